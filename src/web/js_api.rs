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
use super::worker::load_package;
use crate::engine::{CpuEngine, Engine, EngineKind, Tensors, WonnxEngine};
use crate::imaging;
use crate::model::{GraphVariant, ModelPackage, StyleChoice, INPUT_NAME, OUTPUT_NAME};
use crate::pipeline::{self, Brush, RenderOptions};

struct Loaded {
    package: ModelPackage,
    options: RenderOptions,
    engine: Box<dyn Engine>,
    adapter: String,
}

/// A loaded package and one engine. Calls are serialised: a second call while one runs is an error.
#[wasm_bindgen]
pub struct Atelier {
    inner: Rc<RefCell<Option<Loaded>>>,
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Take the loaded state out for an async call (no RefCell borrow across an await).
fn take(inner: &Rc<RefCell<Option<Loaded>>>) -> Result<Loaded, JsError> {
    inner.borrow_mut().take().ok_or_else(|| JsError::new("Atelier is busy with another call"))
}

#[wasm_bindgen]
impl Atelier {
    /// Fetch and verify the package under `models_url` (ending in '/'), then open the engine:
    /// `backend` is 'webgpu', 'cpu', or 'auto' (WebGPU where usable, else the CPU engine).
    pub async fn load(models_url: String, backend: String) -> Result<Atelier, JsError> {
        // The backend is checked before anything is downloaded, and WebGPU is only asked for
        // when it may be used (the adapter request alone logs warnings where there is none).
        let wants_gpu = match backend.as_str() {
            "webgpu" | "auto" => true,
            "cpu" => false,
            other => return Err(JsError::new(&format!("unknown backend '{other}': use 'auto', 'webgpu' or 'cpu'"))),
        };
        let package = load_package(&models_url, &|_| {}).await.map_err(|e| JsError::new(&e))?;
        let options = RenderOptions::for_generator(&package.generator, package.stride())?;
        let gpu = if wants_gpu { Some(probe_webgpu().await) } else { None };
        let (engine, adapter): (Box<dyn Engine>, String) = match gpu {
            Some(Ok(adapter)) => (Box::new(WonnxEngine::new(package.generator.clone())), adapter),
            Some(Err(reason)) if backend == "webgpu" => {
                return Err(JsError::new(&format!("WebGPU is not usable here: {reason:?}")))
            }
            _ => (Box::new(CpuEngine::new(package.generator.clone())), String::new()),
        };
        let loaded = Loaded { package, options, engine, adapter };
        Ok(Atelier { inner: Rc::new(RefCell::new(Some(loaded))) })
    }

    /// 'webgpu' or 'cpu'.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<String, JsError> {
        let inner = self.inner.borrow();
        let loaded = inner.as_ref().ok_or_else(|| JsError::new("Atelier is busy with another call"))?;
        Ok(match loaded.engine.kind() {
            EngineKind::Gpu => "webgpu".into(),
            EngineKind::Cpu => "cpu".into(),
        })
    }

    /// The GPU adapter's description ('' on the CPU engine).
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.borrow().as_ref().map(|l| l.adapter.clone()).unwrap_or_default()
    }

    /// The package's style ids, in gallery order.
    #[wasm_bindgen(js_name = styleIds)]
    pub fn style_ids(&self) -> Vec<String> {
        self.inner
            .borrow()
            .as_ref()
            .map(|l| l.package.manifest.styles.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default()
    }

    /// Decode `image` (PNG, JPEG, WebP, GIF, BMP), fit it within `max_side` (0: keep its size), stylize it with
    /// `style` (optionally mixed with `mix_style` at `mix` in 0..1) with strokes of relative size
    /// `brush` (0.25 to 4, default 1: the size the styles were trained for; relative to the
    /// picture, so any `max_side` gives the same strokes) and resolve to
    /// `{ width, height, rgba: Uint8ClampedArray }`, ready for `new ImageData(rgba, width, height)`.
    pub async fn stylize(
        &self,
        image: Uint8Array,
        style: String,
        max_side: u32,
        mix_style: Option<String>,
        mix: Option<f32>,
        brush: Option<f32>,
    ) -> Result<JsValue, JsError> {
        let brush = brush.map(Brush::new).transpose()?.unwrap_or_default();
        let photo = imaging::decode(&image.to_vec())?;
        let (width, height) = imaging::fit_within(photo.width(), photo.height(), max_side);
        let photo = imaging::resize_to(&photo, width, height);
        let choice = StyleChoice { style, mix: mix_style.map(|other| (other, mix.unwrap_or(0.5))) };
        let mut loaded = take(&self.inner)?;
        let result = async {
            let params = loaded.package.style_params(&choice)?;
            let (stride, working_side) = (loaded.package.stride(), loaded.package.working_side());
            let mut keep_going = |_, _| true;
            let options = &loaded.options;
            let painting =
                pipeline::paint(loaded.engine.as_mut(), &photo, &params, stride, options, brush, working_side, &mut keep_going);
            Ok::<_, JsError>(painting.await?)
        }
        .await;
        *self.inner.borrow_mut() = Some(loaded);
        let stylized = result?;
        let out = Object::new();
        set(&out, "width", &width.into());
        set(&out, "height", &height.into());
        set(&out, "rgba", &Uint8ClampedArray::from(stylized.as_raw().as_slice()).into());
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
        let mut loaded = take(&self.inner)?;
        let result = async {
            let params = loaded.package.style_params(&StyleChoice::single(&style))?;
            let mut inputs: Tensors = params.inputs.into_iter().collect();
            inputs.insert(INPUT_NAME.into(), content.to_vec());
            let mut outputs = loaded.engine.run(GraphVariant::Plain, height, width, &inputs).await?;
            outputs.remove(OUTPUT_NAME).ok_or_else(|| JsError::new("the generator returned no output"))
        }
        .await;
        *self.inner.borrow_mut() = Some(loaded);
        Ok(Float32Array::from(result?.as_slice()))
    }
}
