//! The inference Web Worker: owns the model package and the engine, runs requests one at a
//! time, and falls back to the CPU engine where WebGPU is missing or the GPU fails.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::gpu_probe::probe_webgpu;
use crate::engine::{CpuEngine, Engine, EngineError, LosesDevice, WonnxEngine};
use crate::imaging;
use crate::model::{Manifest, ModelPackage, PackageError};
use crate::pipeline::{self, RenderOptions};
use crate::protocol::{CpuReason, EngineStatus, Fault, Stage, WorkerRequest, WorkerResponse};

#[derive(Default)]
struct WorkerState {
    package: Option<Rc<ModelPackage>>,
    /// Pass and tile sizes for the package's generator, worked out once at load.
    options: Option<RenderOptions>,
    engine: Option<Box<dyn Engine>>,
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
            WorkerRequest::Init { models_url, fault } => init(&state, &models_url, fault, &respond).await,
            WorkerRequest::Stylize { job, image_bytes, style, max_side, brush } => {
                let request = StylizeRequest { job, image_bytes: &image_bytes, style: &style, max_side, brush };
                let response = stylize(&state, request, &respond).await.unwrap_or_else(|message| WorkerResponse::Failed { job, message });
                respond(response);
            }
        }
    }
}

pub(crate) async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    fetch_bytes_with(url, false).await
}

/// `reload`: past every cache (the HTTP cache and the service worker's, which then repairs its copy).
async fn fetch_bytes_with(url: &str, reload: bool) -> Result<Vec<u8>, String> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let mut init = web_sys::RequestInit::new();
    if reload {
        init.cache(web_sys::RequestCache::Reload);
    }
    let response: web_sys::Response = JsFuture::from(global.fetch_with_str_and_init(url, &init))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|e| format!("could not download {url}: {e:?}"))?;
    if !response.ok() {
        return Err(format!("could not download {url}: HTTP {}", response.status()));
    }
    let buffer = response.array_buffer().map_err(|e| format!("could not read {url}: {e:?}"))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| format!("could not read {url}: {e:?}"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A package file checked against the manifest; a damaged copy (from a cache) is fetched once more
/// from the network before the error is reported.
async fn fetch_verified(url: &str, entry: &crate::model::package::FileEntry) -> Result<Vec<u8>, String> {
    let bytes = fetch_bytes(url).await?;
    if entry.verify(&bytes).is_ok() {
        return Ok(bytes);
    }
    log::warn!("{url} failed its check; fetching it again from the network");
    let bytes = fetch_bytes_with(url, true).await?;
    entry.verify(&bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

pub(crate) async fn load_package(models_url: &str, respond: &impl Fn(WorkerResponse)) -> Result<ModelPackage, String> {
    let manifest = Manifest::parse(&fetch_bytes(&format!("{models_url}manifest.json")).await?).map_err(|e| e.to_string())?;
    let network = &manifest.network;
    let total = network.generator.bytes + network.style_params.bytes;
    respond(WorkerResponse::Loading { done: 0, total });
    let generator = fetch_verified(&format!("{models_url}{}", network.generator.file), &network.generator).await?;
    respond(WorkerResponse::Loading { done: generator.len() as u64, total });
    let params = fetch_verified(&format!("{models_url}{}", network.style_params.file), &network.style_params).await?;
    respond(WorkerResponse::Loading { done: total, total });
    ModelPackage::from_parts(manifest, &generator, &params).map_err(|e: PackageError| e.to_string())
}

async fn init(state: &Rc<RefCell<WorkerState>>, models_url: &str, fault: Option<Fault>, respond: &impl Fn(WorkerResponse)) {
    let loaded = load_package(models_url, respond).await.and_then(|package| {
        let options = RenderOptions::for_generator(&package.generator, package.stride()).map_err(|e| e.to_string())?;
        Ok((Rc::new(package), options))
    });
    let (package, options) = match loaded {
        Ok(loaded) => loaded,
        Err(reason) => {
            let reason = format!("The styles could not be loaded: {reason}");
            state.borrow_mut().unavailable_reason = Some(reason.clone());
            respond(WorkerResponse::Engine(EngineStatus::Unavailable { reason }));
            return;
        }
    };
    let (engine, status): (Box<dyn Engine>, EngineStatus) = match probe_webgpu().await {
        Ok(adapter) => {
            let gpu: Box<dyn Engine> = Box::new(WonnxEngine::new(package.generator.clone()));
            let gpu = if fault == Some(Fault::GpuLost) { Box::new(LosesDevice::new(gpu, 0)) } else { gpu };
            (gpu, EngineStatus::Gpu { adapter })
        }
        Err(reason) => (Box::new(CpuEngine::new(package.generator.clone())), EngineStatus::Cpu { reason }),
    };
    respond(WorkerResponse::Styles(package.manifest.styles.clone()));
    respond(WorkerResponse::Engine(status));
    let mut state = state.borrow_mut();
    state.package = Some(package);
    state.options = Some(options);
    state.engine = Some(engine);
}

struct StylizeRequest<'a> {
    job: u64,
    image_bytes: &'a [u8],
    style: &'a crate::model::StyleChoice,
    max_side: u32,
    brush: pipeline::Brush,
}

async fn stylize(
    state: &Rc<RefCell<WorkerState>>,
    request: StylizeRequest<'_>,
    respond: &impl Fn(WorkerResponse),
) -> Result<WorkerResponse, String> {
    let job = request.job;
    let started = js_sys::Date::now();
    respond(WorkerResponse::Progress { job, stage: Stage::Decoding });
    let photo = imaging::decode(request.image_bytes).map_err(|e| e.to_string())?;
    let (width, height) = imaging::fit_within(photo.width(), photo.height(), request.max_side);
    let photo = imaging::resize_to(&photo, width, height);

    let not_ready = |state: &WorkerState| state.unavailable_reason.clone().unwrap_or_else(|| "No engine is ready yet.".into());
    let (package, options) = {
        let state = state.borrow();
        match (state.package.clone(), state.options.clone()) {
            (Some(package), Some(options)) => (package, options),
            _ => return Err(not_ready(&state)),
        }
    };
    let style = package.style_params(request.style).map_err(|e| e.to_string())?;
    // Take the engine out while it runs, so no RefCell borrow is held across an await; every
    // path below puts it back.
    let taken = state.borrow_mut().engine.take();
    let mut engine = taken.ok_or_else(|| not_ready(&state.borrow()))?;
    let mut report = |done: usize, total: usize| {
        respond(WorkerResponse::Progress { job, stage: Stage::Painting { done: done as u32, total: total as u32 } });
        true
    };
    let (stride, working_side) = (package.stride(), package.working_side());
    let brush = request.brush;
    let mut result = pipeline::paint(engine.as_mut(), &photo, &style, stride, &options, brush, working_side, &mut report).await;
    if let Err(EngineError::Gpu(reason)) = &result {
        // A lost or failing GPU: carry on with the CPU engine, for this picture and the next.
        respond(WorkerResponse::Engine(EngineStatus::Cpu { reason: CpuReason::GpuFailed(reason.clone()) }));
        engine = Box::new(CpuEngine::new(package.generator.clone()));
        result = pipeline::paint(engine.as_mut(), &photo, &style, stride, &options, brush, working_side, &mut report).await;
    }
    let kind = engine.kind();
    state.borrow_mut().engine = Some(engine);
    let stylized = result.map_err(|e| e.to_string())?;
    Ok(WorkerResponse::Done {
        job,
        width,
        height,
        photo: photo.into_raw(),
        stylized: stylized.into_raw(),
        engine: kind,
        elapsed_ms: js_sys::Date::now() - started,
    })
}
