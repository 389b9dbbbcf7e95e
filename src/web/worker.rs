//! The inference Web Worker: a thin shell over `Studio`. It fetches the package, probes WebGPU,
//! runs requests one at a time and passes on what the studio reports.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};

use super::gpu_probe::probe_webgpu;
use super::package_fetch::load_package;
use crate::engine::{Engine, LosesDevice, WonnxEngine};
use crate::model::StyleChoice;
use crate::pipeline::Brush;
use crate::protocol::{EngineStatus, Fault, Stage, WorkerRequest, WorkerResponse};
use crate::studio::{self, EngineChoice, GpuProbe, Studio, StudioError, StudioEvent};

#[derive(Default)]
struct WorkerState {
    studio: Option<Studio>,
    /// Why there is no studio, once opening it failed.
    unavailable: Option<StudioError>,
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
        // One request at a time, in order: the engine is not re-entrant and Init must finish
        // before the first Stylize.
        let start = {
            let mut state = self.state.borrow_mut();
            state.queue.push_back((id, request));
            !std::mem::replace(&mut state.draining, true)
        };
        if start {
            wasm_bindgen_futures::spawn_local(drain(self.state.clone(), scope.clone()));
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
            WorkerRequest::Init { models_url, engine, software_gpu, fault } => {
                init(&state, &models_url, engine, software_gpu, fault, &respond).await
            }
            WorkerRequest::Stylize { job, image_bytes, style, max_side, brush } => {
                let request = StylizeRequest { job, image_bytes: &image_bytes, style: &style, max_side, brush };
                let response = stylize(&state, request, &respond).await.unwrap_or_else(|error| WorkerResponse::Failed { job, error });
                respond(response);
            }
        }
    }
}

async fn init(
    state: &Rc<RefCell<WorkerState>>,
    models_url: &str,
    choice: EngineChoice,
    software_gpu: bool,
    fault: Option<Fault>,
    respond: &impl Fn(WorkerResponse),
) {
    let opened = async {
        let package = load_package(models_url, &|done, total| respond(WorkerResponse::Loading { done, total })).await?;
        let probe = match choice {
            EngineChoice::Cpu => GpuProbe::Missing(studio::CpuReason::Chosen),
            _ => match probe_webgpu().await {
                GpuProbe::Software(adapter) if software_gpu => GpuProbe::Hardware(adapter),
                probe => probe,
            },
        };
        Studio::open_with(package, choice, probe, |generator| {
            let gpu: Box<dyn Engine> = Box::new(WonnxEngine::new(generator));
            if fault == Some(Fault::GpuLost) {
                Box::new(LosesDevice::new(gpu, 0))
            } else {
                gpu
            }
        })
    }
    .await;
    match opened {
        Ok(studio) => {
            respond(WorkerResponse::Styles(studio.package().manifest.styles.clone()));
            respond(WorkerResponse::Engine(studio.status().clone()));
            state.borrow_mut().studio = Some(studio);
        }
        Err(problem) => {
            state.borrow_mut().unavailable = Some(problem.clone());
            respond(WorkerResponse::Engine(EngineStatus::Unavailable { problem }));
        }
    }
}

struct StylizeRequest<'a> {
    job: u64,
    image_bytes: &'a [u8],
    style: &'a StyleChoice,
    max_side: u32,
    brush: Brush,
}

async fn stylize(
    state: &Rc<RefCell<WorkerState>>,
    request: StylizeRequest<'_>,
    respond: &impl Fn(WorkerResponse),
) -> Result<WorkerResponse, StudioError> {
    let job = request.job;
    let started = js_sys::Date::now();
    respond(WorkerResponse::Progress { job, stage: Stage::Decoding });
    let photo = studio::prepare_photo(request.image_bytes, request.max_side)?;
    // Take the studio out while it paints, so no RefCell borrow is held across an await.
    let taken = state.borrow_mut().studio.take();
    let mut studio = taken.ok_or_else(|| state.borrow().unavailable.clone().unwrap_or(StudioError::NotReady))?;
    let mut events = |event| {
        match event {
            StudioEvent::Pass { done, total } => respond(WorkerResponse::Progress { job, stage: Stage::Painting { done, total } }),
            StudioEvent::FellBack(reason) => respond(WorkerResponse::Engine(EngineStatus::Cpu { reason })),
        }
        true
    };
    let painting = studio.paint(&photo, request.style, request.brush, &mut events).await;
    state.borrow_mut().studio = Some(studio);
    let painting = painting?;
    Ok(WorkerResponse::Done {
        job,
        width: photo.width(),
        height: photo.height(),
        photo: photo.into_raw(),
        stylized: painting.image.into_raw(),
        engine: painting.engine,
        elapsed_ms: js_sys::Date::now() - started,
    })
}
