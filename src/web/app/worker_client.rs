//! The inference worker's life, for the page: spawning it (with the package loading), watching
//! that it still answers while it paints (`jobs::Liveness`: asked after a quiet spell, replaced
//! after a long one), and replacing it after a crash. It talks to the page through one
//! `Callback<WorkerResponse>`; what a new worker must be told again (the photos, the painting to
//! replay) is the session's to say (`Session::after_worker_crash`, tested natively).

use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use wasm_bindgen::JsCast;
use yew::Callback;

use super::{MODELS_PATH, WORKER_LOADER};
use crate::protocol::{EngineChoice, Fault, Switches, WorkerRequest, WorkerResponse};
use crate::web::jobs::{Liveness, LivenessCheck};
use crate::web::worker::InferenceWorker;

pub(super) struct WorkerClient {
    bridge: WorkerBridge<InferenceWorker>,
    /// The browser's handle on the worker, to end it when it is replaced.
    handle: Option<web_sys::Worker>,
    /// Whether the worker still answers while it paints.
    liveness: Liveness,
    on_response: Callback<WorkerResponse>,
    switches: Switches,
}

impl WorkerClient {
    /// A worker with the package loading; `fault`: one to inject (the browser tests').
    pub(super) fn spawn(on_response: Callback<WorkerResponse>, switches: Switches, fault: Option<Fault>) -> Self {
        let (bridge, handle) = start(&on_response, &switches, None, fault);
        let liveness = Liveness::new(switches.stall_ms.map_or(Liveness::DEFAULT_STALL_MS, f64::from));
        WorkerClient { bridge, handle, liveness, on_response, switches }
    }

    pub(super) fn send(&self, request: WorkerRequest) {
        self.bridge.send(request);
    }

    /// The worker said something (any answer).
    pub(super) fn heard(&mut self, now_ms: f64) {
        self.liveness.heard(now_ms);
    }

    /// Called once a second; `busy`: a painting is under way. Asks a quiet worker whether it is
    /// there; returns how long it has been silent where it must be replaced.
    pub(super) fn watch(&mut self, now_ms: f64, busy: bool) -> Option<u32> {
        match self.liveness.check(now_ms, busy) {
            LivenessCheck::Fine => None,
            LivenessCheck::Ping => {
                self.send(WorkerRequest::Ping);
                None
            }
            LivenessCheck::Stalled { silent_ms } => Some(silent_ms),
        }
    }

    /// End the worker (a panic aborted its wasm, or it stopped answering) and start another,
    /// which knows no photos yet; `gpu_failed`: the old one died on the GPU (paint on the CPU).
    pub(super) fn replace(&mut self, gpu_failed: Option<String>) {
        if let Some(old) = self.handle.take() {
            old.terminate();
        }
        (self.bridge, self.handle) = start(&self.on_response, &self.switches, gpu_failed, None);
        self.liveness.new_worker();
    }
}

/// A worker with the package loading, and the browser's handle on it where it could be had.
fn start(
    on_response: &Callback<WorkerResponse>,
    switches: &Switches,
    gpu_failed: Option<String>,
    fault: Option<Fault>,
) -> (WorkerBridge<InferenceWorker>, Option<web_sys::Worker>) {
    let loader = if switches.single_thread { format!("{WORKER_LOADER}?threads=1") } else { WORKER_LOADER.to_string() };
    let on_response = on_response.clone();
    let (worker, handle) = noting_the_worker(|| {
        InferenceWorker::spawner().callback(move |r| on_response.emit(r)).spawn_with_loader(&loader)
    });
    worker.send(WorkerRequest::Init {
        models_url: absolute_url(MODELS_PATH),
        engine: EngineChoice::Auto,
        software_gpu: switches.software_gpu,
        gpu_failed,
        fault,
    });
    (worker, handle)
}

/// Runs `spawn` with the page's `Worker` constructor wrapped in a proxy that notes the worker it
/// makes. gloo-worker keeps its `web_sys::Worker` to itself, and dropping its bridge only asks the
/// worker to close, which a worker caught in an endless loop never reads; `terminate()` on the
/// handle ends it (and its thread pool) at once.
fn noting_the_worker<T>(spawn: impl FnOnce() -> T) -> (T, Option<web_sys::Worker>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsValue;
    let global = js_sys::global();
    let name = JsValue::from_str("Worker");
    let Ok(native) = js_sys::Reflect::get(&global, &name) else { return (spawn(), None) };
    let made = Rc::new(std::cell::RefCell::new(None::<JsValue>));
    let noted = made.clone();
    let construct = Closure::<dyn FnMut(JsValue, JsValue) -> Result<JsValue, JsValue>>::new(move |target: JsValue, args: JsValue| {
        let worker = js_sys::Reflect::construct(target.unchecked_ref::<js_sys::Function>(), args.unchecked_ref())?;
        noted.replace(Some(worker.clone()));
        Ok(worker)
    });
    let handler = js_sys::Object::new();
    let wrapped = js_sys::Reflect::set(&handler, &JsValue::from_str("construct"), construct.as_ref()).unwrap_or(false)
        && js_sys::Reflect::set(&global, &name, &js_sys::Proxy::new(&native, &handler)).unwrap_or(false);
    let spawned = spawn();
    if wrapped {
        let _ = js_sys::Reflect::set(&global, &name, &native);
    }
    let handle = made.borrow_mut().take().and_then(|w| w.dyn_into::<web_sys::Worker>().ok());
    (spawned, handle)
}

fn absolute_url(path: &str) -> String {
    // The worker runs from a blob: URL, against which relative paths would not resolve.
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(path, &href).map(|u| u.href()).unwrap_or_else(|_| path.to_string())
}
