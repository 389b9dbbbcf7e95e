//! The inference Web Worker: owns the engine, serialises requests, answers with pixels.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::gpu_probe::probe_webgpu;
use crate::engine::{StyleEngine, WonnxEngine};
use crate::imaging;
use crate::model::decode_model;
use crate::protocol::{EngineStatus, Stage, WorkerRequest, WorkerResponse};
use crate::{MAX_SINGLE_PASS_SIDE, MODEL_STRIDE};

#[derive(Default)]
struct WorkerState {
    engine: Option<Box<dyn StyleEngine>>,
    unavailable_reason: Option<String>,
    queue: VecDeque<(HandlerId, WorkerRequest)>,
    draining: bool,
}

pub struct InferenceWorker {
    state: Rc<RefCell<WorkerState>>,
}

impl Worker for InferenceWorker {
    type Message = ();
    type Input = WorkerRequest;
    type Output = WorkerResponse;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        console_error_panic_hook::set_once();
        InferenceWorker { state: Rc::default() }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, scope: &WorkerScope<Self>, request: WorkerRequest, id: HandlerId) {
        // Requests run one at a time, in order: the engine is not re-entrant and an Init must
        // finish before the first Stylize uses the engine.
        let start = {
            let mut state = self.state.borrow_mut();
            state.queue.push_back((id, request));
            !std::mem::replace(&mut state.draining, true)
        };
        if start {
            let (state, scope) = (self.state.clone(), scope.clone());
            wasm_bindgen_futures::spawn_local(drain(state, scope));
        }
    }
}

async fn drain(state: Rc<RefCell<WorkerState>>, scope: WorkerScope<InferenceWorker>) {
    loop {
        let next = state.borrow_mut().queue.pop_front();
        let Some((id, request)) = next else {
            state.borrow_mut().draining = false;
            return;
        };
        let respond = |response| scope.respond(id, response);
        match request {
            WorkerRequest::Init { model_url } => respond(WorkerResponse::Engine(init(&state, &model_url).await)),
            WorkerRequest::Stylize { job, file_name: _, image_bytes } => {
                let response = match stylize(&state, job, &image_bytes, &respond).await {
                    Ok(done) => done,
                    Err(message) => WorkerResponse::Failed { job, message },
                };
                respond(response);
            }
        }
    }
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let response: web_sys::Response = JsFuture::from(global.fetch_with_str(url))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|e| format!("could not download the model: {e:?}"))?;
    if !response.ok() {
        return Err(format!("could not download the model: HTTP {}", response.status()));
    }
    let buffer = response.array_buffer().map_err(|e| format!("could not read the model: {e:?}"))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| format!("could not read the model: {e:?}"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

async fn init(state: &Rc<RefCell<WorkerState>>, model_url: &str) -> EngineStatus {
    let status = match probe_webgpu().await {
        Err(reason) => Err(reason),
        Ok(adapter) => match fetch_bytes(model_url).await.and_then(|b| decode_model(&b).map_err(|e| e.to_string())) {
            Ok(model) => {
                state.borrow_mut().engine = Some(Box::new(WonnxEngine::new(model)));
                Ok(adapter)
            }
            Err(reason) => Err(reason),
        },
    };
    match status {
        Ok(detail) => EngineStatus::Ready { kind: crate::engine::EngineKind::WebGpu, detail },
        Err(reason) => {
            state.borrow_mut().unavailable_reason = Some(reason.clone());
            EngineStatus::Unavailable { reason }
        }
    }
}

async fn stylize(
    state: &Rc<RefCell<WorkerState>>,
    job: u64,
    image_bytes: &[u8],
    respond: &impl Fn(WorkerResponse),
) -> Result<WorkerResponse, String> {
    let started = js_sys::Date::now();
    respond(WorkerResponse::Progress { job, stage: Stage::Decoding });
    let image = imaging::decode(image_bytes).map_err(|e| e.to_string())?;
    let (width, height) = imaging::model_resolution(image.width(), image.height(), MAX_SINGLE_PASS_SIDE, MODEL_STRIDE);
    let image = imaging::resize_to(&image, width, height);

    // Take the engine out while it runs so no RefCell borrow is held across an await.
    let mut engine = {
        let mut state = state.borrow_mut();
        match state.engine.take() {
            Some(engine) => engine,
            None => {
                return Err(state
                    .unavailable_reason
                    .clone()
                    .unwrap_or_else(|| "No inference engine is available.".into()))
            }
        }
    };
    respond(WorkerResponse::Progress { job, stage: Stage::Running });
    let result = engine.stylize(&imaging::to_tensor(&image)).await;
    state.borrow_mut().engine = Some(engine);
    let output = result.map_err(|e| e.to_string())?;

    respond(WorkerResponse::Progress { job, stage: Stage::Encoding });
    let pixels = imaging::from_tensor(&output, Some(&image));
    Ok(WorkerResponse::Done { job, width, height, rgba: pixels.into_raw(), elapsed_ms: js_sys::Date::now() - started })
}
