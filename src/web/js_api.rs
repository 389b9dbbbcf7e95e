//! The JS module for developers who embed the engine (`atelier.js`, built by
//! `scripts/build-js.sh`): load a model package, pick a backend, stylize a picture or run one
//! network pass. It is a thin facade over the same core and engines the app's worker uses; the
//! benchmarks drive Atelier in the browser through it.
//!
//! ```js
//! import init, { Atelier } from './atelier.js';
//! await init();
//! const atelier = await Atelier.load('models/', 'auto');   // 'auto' | 'webgpu' | 'cpu'
//! const { width, height, rgba } = await atelier.stylize(fileBytes, 'starry-night', 1024);
//! // larger strokes, mixed with a second style:
//! await atelier.stylize(fileBytes, 'starry-night', 2048, 'the-scream', 0.3, 2.0);
//! // learn a painting of your own (20 s here), then paint with it; keep `file` to add it later:
//! const { id, name, file } = await atelier.learn(paintingBytes, 'My harbour', 20, [photoBytes],
//!     (p) => console.log(p.stage, p.steps, p.elapsedMs, p.totalMs));
//! await atelier.stylize(fileBytes, id, 1024);
//! const again = atelier.addStyleFile(file);   // { id, name }
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use image::RgbaImage;
use wasm_bindgen::prelude::*;

use super::gpu_probe::probe_webgpu;
use super::package_fetch::{load_loss_network, load_package, load_style_signatures};
use crate::engine::EngineKind;
use crate::model::{StyleChoice, StyleFile};
use crate::pipeline::{adjust, Adjustments, Brush, PaintRequest};
use crate::studio::{self, CpuReason, EngineChoice, EngineStatus, Studio, StudioError, StudioEvent};

/// `{ width, height, rgba: Uint8ClampedArray }`, ready for `new ImageData(rgba, width, height)`.
fn picture(image: &RgbaImage) -> JsValue {
    let out = Object::new();
    set(&out, "width", &image.width().into());
    set(&out, "height", &image.height().into());
    set(&out, "rgba", &Uint8ClampedArray::from(image.as_raw().as_slice()).into());
    out.into()
}

/// A loaded package and its engine. Calls are serialised: a second call while one runs is an error.
#[wasm_bindgen]
pub struct Atelier {
    inner: Rc<RefCell<Option<Studio>>>,
    models_url: String,
    /// Fetched by the first `learn`, then kept.
    loss_network: RefCell<Option<Rc<crate::learn::LossNetwork>>>,
    /// Fetched with the loss network (None inside: the package has none that fit).
    style_signatures: RefCell<Option<Option<Rc<crate::learn::StyleSignatures>>>>,
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn js_error(e: StudioError) -> JsError {
    JsError::new(&e.to_string())
}

/// Take the studio out for an async call (no RefCell borrow across an await).
fn take(inner: &Rc<RefCell<Option<Studio>>>) -> Result<Studio, JsError> {
    inner.borrow_mut().take().ok_or_else(|| JsError::new("Atelier is busy with another call"))
}

/// The sliders' values from a caller: each in 0..1 where given (a number outside, or NaN, is an
/// error, not a clamp: a caller's mistake should not paint quietly).
fn adjustments(strength: Option<f32>, preserve_colour: Option<f32>) -> Result<Adjustments, JsError> {
    let unit = |name: &str, v: Option<f32>, default: f32| match v {
        None => Ok(default),
        Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Some(v) => Err(JsError::new(&format!("{name} must be a number from 0 to 1, not {v}"))),
    };
    let defaults = Adjustments::default();
    Ok(Adjustments {
        strength: unit("strength", strength, defaults.strength)?,
        preserve_colour: unit("preserveColour", preserve_colour, defaults.preserve_colour)?,
    })
}

impl Atelier {
    /// The package's style signatures, fetched once (`load_style_signatures`).
    async fn style_signatures(&self, package: &crate::model::ModelPackage) -> Option<Rc<crate::learn::StyleSignatures>> {
        if let Some(kept) = self.style_signatures.borrow().clone() {
            return kept;
        }
        let signatures = load_style_signatures(&self.models_url, package).await.map(Rc::new);
        *self.style_signatures.borrow_mut() = Some(signatures.clone());
        signatures
    }
}

#[wasm_bindgen]
impl Atelier {
    /// Fetch and verify the package under `models_url` (ending in '/'), then open the engine:
    /// `engine` is 'webgpu' (software adapters included; its failures are errors), 'cpu', or
    /// 'auto' (a hardware WebGPU adapter where there is one, else the CPU engine, which also takes
    /// over from a GPU that fails).
    pub async fn load(models_url: String, engine: String) -> Result<Atelier, JsError> {
        // The engine is checked before anything is downloaded; the studio asks for WebGPU only
        // when it may be used (the adapter request alone logs warnings where there is none).
        let choice: EngineChoice = engine.parse().map_err(js_error)?;
        let package = load_package(&models_url, &|_, _| {}).await.map_err(js_error)?;
        let studio = Studio::open_probing(package, choice, || probe_webgpu(false)).await.map_err(|e| match e {
            StudioError::NoGpu(reason) => JsError::new(&format!("WebGPU is not usable here: {reason:?}")),
            e => js_error(e),
        })?;
        Ok(Atelier { inner: Rc::new(RefCell::new(Some(studio))), models_url, loss_network: RefCell::default(), style_signatures: RefCell::default() })
    }

    /// 'webgpu' or 'cpu'.
    #[wasm_bindgen(getter)]
    pub fn engine(&self) -> Result<String, JsError> {
        let inner = self.inner.borrow();
        let studio = inner.as_ref().ok_or_else(|| JsError::new("Atelier is busy with another call"))?;
        Ok(match studio.engine_kind() {
            EngineKind::Gpu => "webgpu".into(),
            EngineKind::Cpu => "cpu".into(),
        })
    }

    /// The same as `engine`: the name this getter had before the engine had one word.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<String, JsError> {
        self.engine()
    }

    /// The GPU adapter's description ('' on the CPU engine).
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        match self.inner.borrow().as_ref().map(|s| s.status().clone()) {
            Some(EngineStatus::Gpu { adapter }) => adapter,
            _ => String::new(),
        }
    }

    /// Why the CPU engine runs ('' on WebGPU): 'chosen', 'no-webgpu', 'no-adapter',
    /// 'probe-failed', 'probe-timed-out', 'software-gpu' or 'gpu-failed'.
    #[wasm_bindgen(getter, js_name = cpuReason)]
    pub fn cpu_reason(&self) -> String {
        let status = self.inner.borrow().as_ref().map(|s| s.status().clone());
        match status {
            Some(EngineStatus::Cpu { reason }) => match reason {
                CpuReason::Chosen => "chosen",
                CpuReason::NoWebGpu => "no-webgpu",
                CpuReason::NoAdapter => "no-adapter",
                CpuReason::ProbeFailed(_) => "probe-failed",
                CpuReason::ProbeTimedOut { .. } => "probe-timed-out",
                CpuReason::SoftwareGpu(_) => "software-gpu",
                CpuReason::GpuFailed(_) => "gpu-failed",
            }
            .into(),
            _ => String::new(),
        }
    }

    /// The package's style ids, in gallery order.
    #[wasm_bindgen(js_name = styleIds)]
    pub fn style_ids(&self) -> Vec<String> {
        self.inner
            .borrow()
            .as_ref()
            .map(|s| s.package().manifest.styles.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default()
    }

    /// Decode `image` (PNG, JPEG, WebP, GIF, BMP), fit it within `max_side` (0: keep its size), stylize it with
    /// `style` (optionally mixed with `mix_style` at `mix` in 0..1) with strokes of relative size
    /// `brush` (0.25 to 4, default 1: the size the styles were trained for; relative to the
    /// picture, so any `max_side` gives the same strokes), blend it with the photo by `strength`
    /// (0..1, default 1: the whole painting) and bring back the photo's colours by
    /// `preserve_colour` (0..1, default 0), as the studio's sliders do, and resolve to
    /// `{ width, height, rgba: Uint8ClampedArray }`, ready for `new ImageData(rgba, width, height)`.
    /// `detail` false leaves out the detail stage (the painting's texture at 100 % on outputs at
    /// least 3x the working side; default true). Where the stage runs (it takes about as long again as
    /// the painting), `on_preview` is called once with the picture before it, in the same form
    /// and with the same strength and colour: something to show meanwhile.
    #[allow(clippy::too_many_arguments)]
    pub async fn stylize(
        &self,
        image: Uint8Array,
        style: String,
        max_side: u32,
        mix_style: Option<String>,
        mix: Option<f32>,
        brush: Option<f32>,
        strength: Option<f32>,
        preserve_colour: Option<f32>,
        detail: Option<bool>,
        on_preview: Option<js_sys::Function>,
    ) -> Result<JsValue, JsError> {
        let request = PaintRequest {
            style: StyleChoice { style, mix: mix_style.map(|other| (other, mix.unwrap_or(0.5))) },
            max_side,
            brush: brush.map(Brush::new).transpose()?.unwrap_or_default(),
        };
        let adjustments = adjustments(strength, preserve_colour)?;
        let photo = studio::prepare_photo(&image.to_vec(), request.max_side).map_err(js_error)?;
        let mut studio = take(&self.inner)?;
        studio.set_detail(detail.unwrap_or(true));
        let mut events = |event: StudioEvent<'_>| {
            if let (StudioEvent::Coarse(coarse), Some(callback)) = (event, &on_preview) {
                let preview = if adjustments == Adjustments::default() { coarse.clone() } else { adjust(&photo, coarse, adjustments) };
                // The caller's exception is its own: the painting goes on.
                let _ = callback.call1(&JsValue::NULL, &picture(&preview));
            }
            true
        };
        let painting = studio.paint(&photo, &request.style, request.brush, &mut events).await;
        *self.inner.borrow_mut() = Some(studio);
        let painting = painting.map_err(js_error)?;
        let shown = if adjustments == Adjustments::default() { painting.image } else { adjust(&photo, &painting.image, adjustments) };
        Ok(picture(&shown))
    }

    /// Add the style in a style file (`learn`'s `file`, or `atelier learn`'s output) to paint
    /// with: resolves `{ id, name }`; a file of another package, damaged or too large is an error
    /// that says which.
    #[wasm_bindgen(js_name = addStyleFile)]
    pub fn add_style_file(&self, bytes: Uint8Array) -> Result<JsValue, JsError> {
        let mut inner = self.inner.borrow_mut();
        let studio = inner.as_mut().ok_or_else(|| JsError::new("Atelier is busy with another call"))?;
        let bytes = bytes.to_vec();
        let file = StyleFile::parse(&bytes, studio.package()).map_err(|e| JsError::new(&e.to_string()))?;
        let id = file.style_id();
        studio.add_own_style(&id, file.params).map_err(js_error)?;
        let out = Object::new();
        set(&out, "id", &id.into());
        set(&out, "name", &file.name.into());
        Ok(out.into())
    }

    /// Learn the style of `painting` (image bytes, at least 64 px a side) named `name`: the
    /// nearest shipped style or mix first, then `seconds` of refinement on crops of `photos`
    /// (image bytes; the first guess alone for 0 seconds). `on_progress` hears
    /// `{ stage: 'first-guess' | 'refining', steps, elapsedMs, totalMs }`. The style is added (paint
    /// with its `id`); resolves `{ id, name, file: Uint8Array, painting: Uint8Array }`, `file`
    /// being its style file and `painting` the painting as learned (a 256 px JPEG): a style file
    /// belongs to one package, so keep `painting` to learn it again after an update.
    pub async fn learn(
        &self,
        painting: Uint8Array,
        name: String,
        seconds: f32,
        photos: Vec<Uint8Array>,
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsError> {
        use crate::learn::{first_stage, mean_style, LearnSchedule, LearnSettings, Learner, StyleGenerator};
        let error = |e: crate::learn::LearnError| JsError::new(&e.to_string());
        let painting = studio::prepare_photo(&painting.to_vec(), 1024).map_err(js_error)?;
        let photos = photos.iter().map(|p| studio::prepare_photo(&p.to_vec(), 1024)).collect::<Result<Vec<_>, _>>().map_err(js_error)?;
        let package = {
            let inner = self.inner.borrow();
            inner.as_ref().ok_or_else(|| JsError::new("Atelier is busy with another call"))?.package().clone()
        };
        let settings = LearnSettings::default();
        // Cloned out first: a borrow held over the download's await would make a second call's
        // `borrow_mut` below panic.
        let cached = self.loss_network.borrow().clone();
        let loss_network = match cached {
            Some(network) => network,
            None => Rc::new(
                load_loss_network(&self.models_url, &package, settings.deepest())
                    .await
                    .map_err(|e| JsError::new(&format!("the loss network cannot be used: {e}")))?,
            ),
        };
        *self.loss_network.borrow_mut() = Some(loss_network.clone());
        let tell = |stage: &str, schedule: &LearnSchedule| {
            if let Some(callback) = &on_progress {
                let progress = Object::new();
                set(&progress, "stage", &stage.into());
                set(&progress, "steps", &schedule.steps().into());
                set(&progress, "elapsedMs", &schedule.learned_ms().into());
                set(&progress, "totalMs", &schedule.total_ms().into());
                let _ = callback.call1(&JsValue::NULL, &progress);
            }
        };
        let mut schedule = LearnSchedule::new(seconds);
        tell("first-guess", &schedule);
        let generator = StyleGenerator::from_package(&package).map_err(error)?;
        let shipped: Vec<_> = package.manifest.styles.iter().filter_map(|s| package.style_params(&StyleChoice::single(&s.id)).ok()).collect();
        let start = mean_style(&shipped).ok_or_else(|| JsError::new("the package has no styles"))?;
        let mut learner = Learner::new(&generator, &loss_network, &painting, photos, start, settings).map_err(error)?;
        let signatures = self.style_signatures(&package).await;
        let first = first_stage(&learner, &shipped, signatures.as_deref()).map_err(error)?;
        learner.begin_refining(&first).map_err(error)?;
        while !schedule.finished() {
            // The page's other work between steps (this runs on the caller's thread).
            next_task().await;
            let started = js_sys::Date::now();
            learner.step().map_err(error)?;
            schedule.stepped(js_sys::Date::now() - started);
            tell("refining", &schedule);
        }
        let file = StyleFile {
            name: crate::model::style_file::name_or(&name, ""),
            generator_sha256: package.manifest.network.generator.sha256.clone(),
            params: learner.averaged().clone(),
            thumbnail: StyleFile::thumbnail_of(&painting),
        };
        let id = file.style_id();
        {
            let mut inner = self.inner.borrow_mut();
            let studio = inner.as_mut().ok_or_else(|| JsError::new("Atelier is busy with another call"))?;
            studio.add_own_style(&id, file.params.clone()).map_err(js_error)?;
        }
        let out = Object::new();
        set(&out, "id", &id.into());
        set(&out, "name", &file.name.clone().into());
        set(&out, "file", &Uint8Array::from(file.to_bytes().as_slice()).into());
        set(&out, "painting", &Uint8Array::from(crate::learn::keep_painting(&painting, &LearnSettings::default()).as_slice()).into());
        Ok(out.into())
    }

    /// One network pass, nothing around it: `content` is a [1,3,height,width] float32 tensor in
    /// 0..1 (no padding added), the result the generator's [1,3,height,width] output. For
    /// benchmarks and for callers who do their own pre- and post-processing.
    #[wasm_bindgen(js_name = runPass)]
    pub async fn run_pass(
        &self,
        style: String,
        content: Float32Array,
        height: u32,
        width: u32,
    ) -> Result<Float32Array, JsError> {
        let mut studio = take(&self.inner)?;
        let result = studio.run_pass(&style, content.to_vec(), height, width).await;
        *self.inner.borrow_mut() = Some(studio);
        Ok(Float32Array::from(result.map_err(js_error)?.as_slice()))
    }
}

/// A macrotask: lets the page draw and handle input between two steps of learning.
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Ok(set_timeout) = Reflect::get(&global, &"setTimeout".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = set_timeout.call2(&global, &resolve, &0.into());
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
