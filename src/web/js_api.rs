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
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::prelude::*;

use super::gpu_probe::probe_webgpu;
use super::package_fetch::load_package;
use crate::engine::EngineKind;
use crate::model::StyleChoice;
use crate::pipeline::{adjust, Adjustments, Brush, PaintRequest};
use crate::studio::{self, CpuReason, EngineChoice, EngineStatus, Studio, StudioError};

/// A loaded package and its engine. Calls are serialised: a second call while one runs is an error.
#[wasm_bindgen]
pub struct Atelier {
    inner: Rc<RefCell<Option<Studio>>>,
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
        Ok(Atelier { inner: Rc::new(RefCell::new(Some(studio))) })
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
    ) -> Result<JsValue, JsError> {
        let request = PaintRequest {
            style: StyleChoice { style, mix: mix_style.map(|other| (other, mix.unwrap_or(0.5))) },
            max_side,
            brush: brush.map(Brush::new).transpose()?.unwrap_or_default(),
        };
        let adjustments = adjustments(strength, preserve_colour)?;
        let photo = studio::prepare_photo(&image.to_vec(), request.max_side).map_err(js_error)?;
        let mut studio = take(&self.inner)?;
        let painting = studio.paint(&photo, &request.style, request.brush, &mut |_| true).await;
        *self.inner.borrow_mut() = Some(studio);
        let painting = painting.map_err(js_error)?;
        let shown = if adjustments == Adjustments::default() { painting.image } else { adjust(&photo, &painting.image, adjustments) };
        let out = Object::new();
        set(&out, "width", &photo.width().into());
        set(&out, "height", &photo.height().into());
        set(&out, "rgba", &Uint8ClampedArray::from(shown.as_raw().as_slice()).into());
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
