//! Is WebGPU usable here? Asked before wonnx is touched, because wonnx 0.5.1 panics (and so
//! kills the worker) when there is no adapter, and wgpu throws when `navigator.gpu` is missing.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::studio::{is_software_adapter, CpuReason, GpuProbe};

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_missing(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// How long the browser may take to answer the request for an adapter (it answers in well under
/// a second where WebGPU works; on some drivers the promise never settles).
const PROBE_LIMIT_S: u32 = 10;

/// What WebGPU offers here: a hardware adapter, a software one (SwiftShader: the browser says so
/// with `isFallbackAdapter`, or its name does), or why there is none. `never_answer`: the
/// injected fault of a browser that never answers.
pub async fn probe_webgpu(never_answer: bool) -> GpuProbe {
    match request_adapter(never_answer).await {
        Ok(adapter) => {
            let info = get(&adapter, "info");
            let detail = ["vendor", "architecture", "description"]
                .iter()
                .filter_map(|k| get(&info, k).as_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let detail = if detail.is_empty() { "GPU adapter".to_string() } else { detail };
            // `isFallbackAdapter` moved from the adapter to its info in newer browsers.
            let fallback = get(&adapter, "isFallbackAdapter").as_bool().unwrap_or(false)
                || get(&info, "isFallbackAdapter").as_bool().unwrap_or(false);
            if fallback || is_software_adapter(&detail) {
                GpuProbe::Software(detail)
            } else {
                GpuProbe::Hardware(detail)
            }
        }
        Err(reason) => GpuProbe::Missing(reason),
    }
}

async fn request_adapter(never_answer: bool) -> Result<JsValue, CpuReason> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if is_missing(&gpu) {
        return Err(CpuReason::NoWebGpu);
    }
    let request_adapter: Function = get(&gpu, "requestAdapter").dyn_into().map_err(|_| CpuReason::NoWebGpu)?;
    let promise: Promise = if never_answer {
        Promise::new(&mut |_, _| {})
    } else {
        request_adapter.call0(&gpu).and_then(|p| p.dyn_into()).map_err(|e| CpuReason::ProbeFailed(format!("{e:?}")))?
    };
    // The answer or, after the limit, this marker, whichever comes first.
    let out_of_time = JsValue::from_str("atelier: no answer");
    let marker = out_of_time.clone();
    let limit = Promise::new(&mut |resolve, _| {
        // The global's own setTimeout: this runs in the app's worker and, through the JS module,
        // on a page's thread too.
        let resolve = resolve.bind1(&JsValue::UNDEFINED, &marker);
        if let Ok(set_timeout) = get(&js_sys::global(), "setTimeout").dyn_into::<Function>() {
            let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(PROBE_LIMIT_S * 1000));
        }
    });
    let first = Promise::race(&js_sys::Array::of2(&promise, &limit));
    let adapter = JsFuture::from(first).await.map_err(|e| CpuReason::ProbeFailed(format!("{e:?}")))?;
    if adapter == out_of_time {
        return Err(CpuReason::ProbeTimedOut { seconds: PROBE_LIMIT_S });
    }
    if is_missing(&adapter) {
        return Err(CpuReason::NoAdapter);
    }
    Ok(adapter)
}
