//! The page's pixels in the browser: drawing pictures on canvases, and a canvas out as a
//! download or a shared file. No state: the app decides what, this does it.

use image::RgbaImage;
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::NodeRef;

/// Save a canvas as a file named `name` (an anchor with `download`: no server involved).
pub fn download_canvas(canvas: &HtmlCanvasElement, mime: &str, quality: f32, name: &str) -> Result<(), String> {
    let url = canvas
        .to_data_url_with_type_and_encoder_options(mime, &wasm_bindgen::JsValue::from_f64(quality as f64))
        .map_err(|e| format!("could not encode the picture: {e:?}"))?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| format!("{e:?}"))?.dyn_into().map_err(|_| "no anchor")?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// A canvas as PNG bytes (through its data URL: synchronous, unlike `toBlob`).
pub fn canvas_png(canvas: &HtmlCanvasElement) -> Result<Vec<u8>, String> {
    let url = canvas.to_data_url_with_type("image/png").map_err(|e| format!("could not encode the picture: {e:?}"))?;
    let base64 = url.split_once(',').map(|(_, data)| data).ok_or("not a data URL")?;
    let binary = web_sys::window().ok_or("no window")?.atob(base64).map_err(|e| format!("{e:?}"))?;
    Ok(binary.chars().map(|c| c as u32 as u8).collect())
}

/// Share a PNG as a file through the Web Share API. Ok(None) where the browser cannot share
/// files, so the page can say so.
pub fn share_png(png: Vec<u8>, name: &str) -> Result<Option<impl std::future::Future<Output = Result<(), String>>>, String> {
    use js_sys::{Array, Function, Reflect};
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let (Some(can_share), Some(share)) = (
        Reflect::get(&navigator, &"canShare".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()),
        Reflect::get(&navigator, &"share".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()),
    ) else {
        return Ok(None);
    };
    let parts = Array::of1(&js_sys::Uint8Array::from(png.as_slice()));
    let mut options = web_sys::FilePropertyBag::new();
    options.type_("image/png");
    let file = web_sys::File::new_with_u8_array_sequence_and_options(&parts, name, &options).map_err(|e| format!("{e:?}"))?;
    let data = js_sys::Object::new();
    Reflect::set(&data, &"files".into(), &Array::of1(&file)).map_err(|e| format!("{e:?}"))?;
    Reflect::set(&data, &"title".into(), &"Atelier".into()).map_err(|e| format!("{e:?}"))?;
    if !can_share.call1(&navigator, &data).map(|v| v.is_truthy()).unwrap_or(false) {
        return Ok(None);
    }
    let promise: js_sys::Promise = share.call1(&navigator, &data).map_err(|e| format!("{e:?}"))?.unchecked_into();
    Ok(Some(async move { JsFuture::from(promise).await.map(|_| ()).map_err(|e| format!("{e:?}")) }))
}

pub fn thumbnail_url(image: &RgbaImage) -> Result<String, String> {
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into().ok())
        .ok_or("no canvas")?;
    draw_on(&canvas, image)?;
    canvas.to_data_url_with_type_and_encoder_options("image/jpeg", &wasm_bindgen::JsValue::from_f64(0.8)).map_err(|e| format!("{e:?}"))
}

pub fn draw(canvas: &NodeRef, image: &RgbaImage) -> Result<(), String> {
    draw_on(&canvas.cast().ok_or("the canvas is missing")?, image)
}

pub fn draw_on(canvas: &HtmlCanvasElement, image: &RgbaImage) -> Result<(), String> {
    canvas.set_width(image.width());
    canvas.set_height(image.height());
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("this browser cannot draw on a canvas")?;
    let data = ImageData::new_with_u8_clamped_array_and_sh(Clamped(image.as_raw()), image.width(), image.height())
        .map_err(|e| format!("could not build the picture: {e:?}"))?;
    context.put_image_data(&data, 0.0, 0.0).map_err(|e| format!("could not draw the picture: {e:?}"))
}

/// `navigator.canShare({ files: [a PNG] })`: desktop Chromium and Firefox say no, phones mostly yes.
pub fn can_share_files() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let navigator: wasm_bindgen::JsValue = window.navigator().into();
    let Ok(can_share) = js_sys::Reflect::get(&navigator, &"canShare".into()).unwrap_or_default().dyn_into::<js_sys::Function>() else { return false };
    let mut options = web_sys::FilePropertyBag::new();
    options.type_("image/png");
    let Ok(file) = web_sys::File::new_with_u8_array_sequence_and_options(&js_sys::Array::new(), "atelier.png", &options) else {
        return false;
    };
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"files".into(), &js_sys::Array::of1(&file));
    can_share.call1(&navigator, &data).ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// The words on the share poster, in the page's language.
pub struct PosterWords {
    pub title: String,
    pub credit: String,
    pub work: String,
    pub mix: String,
    pub before: String,
    pub footer: String,
}

/// The share poster on a new canvas, laid out by `crate::poster` and drawn with the browser's
/// fonts (which have every script the words need).
pub fn draw_poster(painting: &HtmlCanvasElement, photo: &HtmlCanvasElement, words: &PosterWords) -> Result<HtmlCanvasElement, String> {
    let layout = crate::poster::layout((painting.width(), painting.height()), (photo.width(), photo.height()));
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into().ok())
        .ok_or("no canvas")?;
    canvas.set_width(layout.width);
    canvas.set_height(layout.height);
    let context: CanvasRenderingContext2d =
        canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into().ok()).ok_or("no 2d context")?;
    context.set_fill_style(&"#f6f1e8".into());
    context.fill_rect(0.0, 0.0, layout.width as f64, layout.height as f64);
    for (source, at) in [(painting, layout.painting), (photo, layout.before)] {
        context
            .draw_image_with_html_canvas_element_and_dw_and_dh(source, at.x as f64, at.y as f64, at.width as f64, at.height as f64)
            .map_err(|e| format!("{e:?}"))?;
    }
    let lines = [
        (layout.title, "600", "#2b2520", words.title.as_str()),
        (layout.credit, "400", "#4d443c", words.credit.as_str()),
        (layout.work, "400", "#4d443c", words.work.as_str()),
        (layout.mix, "400", "#4d443c", words.mix.as_str()),
        (layout.before_label, "400", "#6f665c", words.before.as_str()),
        (layout.footer, "400", "#6f665c", words.footer.as_str()),
    ];
    for (line, weight, colour, text) in lines {
        context.set_font(&format!("{weight} {}px system-ui, 'Noto Sans CJK SC', 'Noto Sans', sans-serif", line.size));
        context.set_fill_style(&colour.into());
        context
            .fill_text_with_max_width(text, line.x as f64, line.baseline as f64, line.max_width as f64)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(canvas)
}
