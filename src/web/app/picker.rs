//! Where a photo comes from: the drop zone (a click opens the file picker), the phone's camera,
//! and the sample photos. Pasting and dropping anywhere on the window are `listeners`'.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::web::i18n::{words, Lang};
use crate::web::samples::SAMPLES;

/// A photo the visitor chose.
pub enum PhotoPick {
    File(web_sys::File),
    /// One of `samples::SAMPLES`, by index.
    Sample(usize),
}

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub lang: Lang,
    /// The newest photo's name (None: no photo yet).
    pub file_name: Option<String>,
    pub on_pick: Callback<PhotoPick>,
    /// "Live camera": open the live view.
    pub on_live: Callback<()>,
    pub live_open: bool,
}

#[function_component(PhotoPicker)]
pub fn photo_picker(props: &PickerProps) -> Html {
    let (lang, w) = (props.lang, words(props.lang));
    let on_file = {
        let on_pick = props.on_pick.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let file = input.files().and_then(|files| files.get(0));
            input.set_value("");
            if let Some(file) = file {
                on_pick.emit(PhotoPick::File(file));
            }
        })
    };
    let on_drop = {
        let on_pick = props.on_pick.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                on_pick.emit(PhotoPick::File(file));
            }
        })
    };
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    html! {
        <div class="pickers">
            // The browser's own file control speaks the browser's language ("No file chosen"):
            // it stays for keyboards and screen readers but is drawn by the page, in the page's language.
            <label class="drop-zone" data-testid="drop-zone" ondrop={on_drop} ondragover={on_dragover}>
                <span class="drop-title">{ w.choose_photo }</span>
                <span class="drop-hint">{ w.drop_hint }</span>
                <span class="pick-row">
                    <span class="pick-button" aria-hidden="true">{ w.browse }</span>
                    <span class="file-name" data-testid="file-name">{
                        props.file_name.clone().unwrap_or_else(|| w.no_file.to_string())
                    }</span>
                </span>
                <input class="visually-hidden" type="file" accept="image/*" data-testid="image-input" onchange={on_file.clone()} />
            </label>
            // Phones: the camera straight away (with `capture` a phone offers no gallery, so it is its own button).
            <label class="camera" data-testid="camera-button">
                { w.take_photo }
                <input class="visually-hidden" type="file" accept="image/*" capture="environment" data-testid="camera-input" onchange={on_file} />
            </label>
            <button class="live-button" type="button" data-testid="live-camera" aria-pressed={props.live_open.to_string()}
                onclick={props.on_live.reform(|_| ())}>{ w.live_camera }</button>
            // Drawn the same in index.html before the wasm arrives (no layout shift).
            <div class="samples" data-testid="samples">
                <span class="samples-label">{ w.try_sample }</span>
                { for SAMPLES.iter().enumerate().map(|(i, s)| {
                    let name = format!("{}: {}", w.sample_photo, s.title(lang));
                    html! {
                        <button class="sample" type="button" data-testid={format!("sample-{}", s.id)}
                            aria-label={name.clone()} title={name}
                            onclick={props.on_pick.reform(move |_| PhotoPick::Sample(i))}>
                            <img src={s.thumbnail_url()} width="56" height="56" alt="" />
                        </button>
                    }
                }) }
            </div>
        </div>
    }
}

/// A file of the build (a sample photo), as bytes; the error is the browser's detail.
pub(super) async fn fetch_same_origin(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|e| format!("{e:?}"))?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
