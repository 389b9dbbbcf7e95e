//! The inference Web Worker: a thin shell over `Studio`. It fetches the package, probes WebGPU,
//! keeps the visitor's photos decoded and the paintings already made, runs requests one at a time
//! and passes on what the studio reports. A cancel is handled as it arrives: the running pass
//! stops at its next checkpoint, and nothing is reloaded.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};
use image::RgbaImage;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::gpu_probe::probe_webgpu;
use super::history_meta::history_copies;
use super::package_fetch::load_package;
use crate::engine::{Checkpoint, Engine, LosesDevice, WonnxEngine};
use crate::learn::LossNetwork;
use crate::model::{StyleFile, StyleParams};
use crate::imaging::ImageError;
use crate::protocol::{EngineStatus, Fault, OwnStyleInfo, PageHas, PaintedPixels, PhotoShelf, Stage, WorkerRequest, WorkerResponse, LARGEST_SIDE};
use crate::studio::{
    self, CachedPainting, CpuReason, EngineChoice, GpuProbe, PaintingCache, PaintingKey, Studio, StudioError, StudioEvent,
};

mod learning;

use learning::{LearnFlags, LearnJob};

/// Paintings kept for going back to them (a 4096 px painting with its photo is 128 MB).
const CACHE_BYTES: usize = 256 << 20;
/// How often a running pass lets messages (a cancel) in: a yield costs a few milliseconds.
const YIELD_EVERY_MS: f64 = 50.0;

/// Which job runs, and which were cancelled: shared with the checkpoint inside the engine.
#[derive(Default)]
struct JobFlags {
    running: Cell<u64>,
    cancelled_through: Cell<u64>,
    last_yield_ms: Cell<f64>,
}

impl JobFlags {
    fn go_on(&self) -> bool {
        self.running.get() > self.cancelled_through.get()
    }
}

#[derive(Default)]
struct WorkerState {
    studio: Option<Studio>,
    /// Why there is no studio, once opening it failed.
    unavailable: Option<StudioError>,
    /// The photos the page named, decoded (or why they could not be), at most `LARGEST_SIDE` px.
    photos: PhotoShelf<Result<Rc<RgbaImage>, StudioError>>,
    cache: Option<PaintingCache>,
    fault: Option<Fault>,
    queue: VecDeque<(HandlerId, WorkerRequest)>,
    draining: bool,
    /// Where the package came from (absolute, ending in '/'): the loss network is beside it.
    models_url: String,
    /// Fetched for the first painting learned, then kept.
    loss_network: Option<Rc<LossNetwork>>,
    /// Photos painted so far (learning lets the first stage's painting go first).
    paintings_done: u64,
    /// Fetched with the loss network (None inside: the package has none that fit).
    style_signatures: Option<Option<Rc<crate::learn::StyleSignatures>>>,
    /// Own styles added or removed while a painting had the studio out: applied when it is back.
    own_pending: Vec<OwnChange>,
    /// The ids of the own styles added and not removed, pending ones included.
    own_ids: std::collections::HashSet<String>,
    /// The live view's frames so far (None: no live view open).
    live: Option<LiveState>,
}

/// What a live view carries between frames.
#[derive(Default)]
struct LiveState {
    steadier: crate::live::Steadier,
    /// The style of the last frame: another one is shown as it comes, not blended in.
    style: Option<crate::model::StyleChoice>,
}

/// A change to the studio's own styles.
enum OwnChange {
    Add(String, StyleParams),
    Remove(String),
}

impl WorkerState {
    /// Apply `change` now, or as soon as the painting that has the studio gives it back.
    fn change_own(&mut self, change: OwnChange) {
        match &change {
            OwnChange::Add(id, _) => self.own_ids.insert(id.clone()),
            OwnChange::Remove(id) => self.own_ids.remove(id),
        };
        self.own_pending.push(change);
        self.apply_own_changes();
    }

    fn apply_own_changes(&mut self) {
        let Some(studio) = self.studio.as_mut() else { return };
        for change in self.own_pending.drain(..) {
            match change {
                OwnChange::Add(id, params) => {
                    if let Err(e) = studio.add_own_style(&id, params) {
                        log::warn!("an own style was not added: {e}");
                    }
                }
                OwnChange::Remove(id) => {
                    studio.remove_own_style(&id);
                }
            }
        }
    }
}

thread_local! {
    /// Where a panic is reported before the wasm instance aborts: the page's handler and the job.
    static CRASH_REPORT: RefCell<Option<(WorkerScope<InferenceWorker>, HandlerId, u64)>> = const { RefCell::new(None) };
}

/// Tell the page that this worker is gone, once, if a job was running.
fn report_crash(message: String) {
    CRASH_REPORT.with(|report| {
        let taken = report.try_borrow_mut().ok().and_then(|mut report| report.take());
        if let Some((scope, id, job)) = taken {
            scope.respond(id, WorkerResponse::Crashed { job, message });
        }
    });
}

pub struct InferenceWorker {
    state: Rc<RefCell<WorkerState>>,
    flags: Rc<JobFlags>,
    learn_flags: Rc<LearnFlags>,
}

impl Worker for InferenceWorker {
    type Message = ();
    type Input = WorkerRequest;
    type Output = WorkerResponse;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        // A panic aborts this wasm instance: say so to the page first, which replaces the worker.
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            report_crash(info.to_string());
        }));
        // A trap without a panic (an allocation failure aborts so) reaches only the worker's `error`
        // event. The instance's memory is intact after a trap, so reporting from here still works;
        // after a panic the report was made already (and taken).
        let on_error = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
            report_crash(event.message());
        });
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = global.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
        on_error.forget();
        InferenceWorker { state: Rc::default(), flags: Rc::default(), learn_flags: Rc::default() }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, scope: &WorkerScope<Self>, request: WorkerRequest, id: HandlerId) {
        match request {
            WorkerRequest::Cancel { job } => {
                self.flags.cancelled_through.set(self.flags.cancelled_through.get().max(job));
                return;
            }
            // Answered here, between two steps of whatever runs: that is what the page checks.
            WorkerRequest::Ping => return scope.respond(id, WorkerResponse::Pong),
            WorkerRequest::StopLearning { job } => return self.learn_flags.stop(job),
            // A newer painting to learn ends the one before at its next step.
            WorkerRequest::Learn { job, .. } => self.learn_flags.start(job),
            _ => {}
        }
        // The rest one at a time, in order: the engine is not re-entrant and Init must finish
        // before the first Stylize.
        let start = {
            let mut state = self.state.borrow_mut();
            state.queue.push_back((id, request));
            !std::mem::replace(&mut state.draining, true)
        };
        if start {
            wasm_bindgen_futures::spawn_local(drain(self.state.clone(), self.flags.clone(), self.learn_flags.clone(), scope.clone()));
        }
    }
}

async fn drain(state: Rc<RefCell<WorkerState>>, flags: Rc<JobFlags>, learn_flags: Rc<LearnFlags>, scope: WorkerScope<InferenceWorker>) {
    loop {
        let next = state.borrow_mut().queue.pop_front();
        let Some((id, request)) = next else {
            state.borrow_mut().draining = false;
            return;
        };
        let respond = |response| scope.respond(id, response);
        match request {
            WorkerRequest::Init { models_url, engine, software_gpu, gpu_failed, fault } => {
                #[cfg(target_feature = "atomics")]
                start_threads(scope.clone(), id);
                state.borrow_mut().models_url = models_url.clone();
                let settings = InitSettings { choice: engine, software_gpu, gpu_failed, fault };
                init(&state, &flags, &models_url, settings, &respond).await
            }
            WorkerRequest::SetPhoto { photo, also_keep, bytes } => {
                keep_photo(&state, photo, also_keep, studio::prepare_visitor_photo(&bytes, LARGEST_SIDE))
            }
            WorkerRequest::SetPhotoPixels { photo, also_keep, width, height, rgba } => {
                let pixels = RgbaImage::from_raw(width, height, rgba)
                    .map(|image| studio::fit_photo(Cow::Owned(image), LARGEST_SIDE))
                    .ok_or_else(|| StudioError::Photo(ImageError::Corrupt(format!("{width}x{height} pixels do not fit the buffer"))));
                keep_photo(&state, photo, also_keep, pixels)
            }
            WorkerRequest::Stylize { job, photo, request, page_has } => {
                CRASH_REPORT.with(|report| *report.borrow_mut() = Some((scope.clone(), id, job)));
                flags.running.set(job);
                let key = PaintingKey { photo, request };
                let (response, fresh) = if flags.go_on() {
                    match paint(&state, &flags, job, key, page_has, &respond).await {
                        Ok(painted) => painted,
                        Err(error) => (WorkerResponse::Failed { job, error }, None),
                    }
                } else {
                    (WorkerResponse::Failed { job, error: StudioError::Cancelled }, None)
                };
                CRASH_REPORT.with(|report| *report.borrow_mut() = None);
                respond(response);
                // A new painting: the page shows it first; the copies its history keeps are scaled
                // after, here and not on the page's thread, and then it goes into the cache.
                if let Some((key, made)) = fresh {
                    respond(WorkerResponse::History { job, copies: history_copies(&made.photo, &made.painting) });
                    if let Some(cache) = state.borrow_mut().cache.as_mut() {
                        cache.put(key, made);
                    }
                }
            }
            WorkerRequest::AddOwnStyle { bytes, from, painting } => respond(add_own_style(&state, &bytes, from, painting)),
            WorkerRequest::RemoveOwnStyle { id } => state.borrow_mut().change_own(OwnChange::Remove(id)),
            WorkerRequest::Learn { job, painting, name, photo, sample_urls, seconds } => {
                // Beside the queue, not in it: paintings of the preview go on while it learns.
                let photo = photo.and_then(|p| state.borrow().photos.get(p).and_then(|kept| kept.as_ref().ok().cloned()));
                let request = LearnJob { job, painting, name, photo, sample_urls, seconds };
                let scope = scope.clone();
                let respond = move |response| scope.respond(id, response);
                wasm_bindgen_futures::spawn_local(learning::learn(state.clone(), learn_flags.clone(), request, respond));
            }
            WorkerRequest::LiveFrame { frame, width, height, rgba, style, adjustments } => {
                respond(live_frame(&state, &flags, frame, (width, height, rgba), style, adjustments, &respond).await)
            }
            WorkerRequest::LiveStop => state.borrow_mut().live = None,
            // Answered as they arrive (`received`), never queued.
            WorkerRequest::Cancel { .. } | WorkerRequest::Ping | WorkerRequest::StopLearning { .. } => {}
        }
    }
}

/// Threads the CPU engine uses at most in the browser (the calling one included): beyond 8 the
/// bands get thin and the memory per thread grows for little.
#[cfg(target_feature = "atomics")]
const MAX_THREADS: usize = 8;

/// The threaded build (worker_mt): a pool of threads for the CPU engine, started beside the
/// package download; the page hears how many once they run. Where the pool cannot start the
/// engine stays on this one thread.
#[cfg(target_feature = "atomics")]
fn start_threads(scope: WorkerScope<InferenceWorker>, id: HandlerId) {
    wasm_bindgen_futures::spawn_local(async move {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let cores = global.navigator().hardware_concurrency() as usize;
        let workers = cores.clamp(1, MAX_THREADS) - 1;
        if workers == 0 {
            return;
        }
        // The loader (static/worker-loader.js) is this worker's script: the build sits beside it.
        let href = js_sys::Reflect::get(&global, &"location".into())
            .and_then(|location| js_sys::Reflect::get(&location, &"href".into()))
            .ok()
            .and_then(|href| href.as_string())
            .unwrap_or_default();
        let glue = match web_sys::Url::new_with_base(crate::engine::THREADED_GLUE, &href) {
            Ok(url) => url.href(),
            Err(_) => return web_sys::console::warn_1(&format!("Atelier: no URL for the threaded build beside {href}").into()),
        };
        match crate::engine::start_pool(&glue, workers).await {
            Ok(threads) => scope.respond(id, WorkerResponse::Threads(threads as u32)),
            Err(error) => web_sys::console::warn_1(&format!("Atelier: the CPU engine stays on one thread: {error:?}").into()),
        }
    });
}

struct InitSettings {
    choice: EngineChoice,
    software_gpu: bool,
    gpu_failed: Option<String>,
    fault: Option<Fault>,
}

async fn init(
    state: &Rc<RefCell<WorkerState>>,
    flags: &Rc<JobFlags>,
    models_url: &str,
    settings: InitSettings,
    respond: &impl Fn(WorkerResponse),
) {
    let fault = settings.fault;
    let opened = async {
        let package = load_package(models_url, &|done, total| respond(WorkerResponse::Loading { done, total })).await?;
        // Asked by the studio only where a GPU might be used. A worker that replaces one that
        // died on the GPU does not try it again.
        let (gpu_failed, software_gpu) = (settings.gpu_failed, settings.software_gpu);
        let probe = || async move {
            match gpu_failed {
                Some(message) => GpuProbe::Missing(CpuReason::GpuFailed(message)),
                None => match probe_webgpu(fault == Some(Fault::GpuProbeHangs)).await {
                    GpuProbe::Software(adapter) if software_gpu => GpuProbe::Hardware(adapter),
                    probe => probe,
                },
            }
        };
        Studio::open_probing_with(package, settings.choice, probe, |generator| {
            let gpu: Box<dyn Engine> = Box::new(WonnxEngine::new(generator));
            if fault == Some(Fault::GpuLost) {
                Box::new(LosesDevice::new(gpu, 0))
            } else {
                gpu
            }
        })
        .await
    }
    .await;
    match opened {
        Ok(mut studio) => {
            studio.set_checkpoint(Some(checkpoint(flags.clone())));
            respond(WorkerResponse::Styles(studio.package().manifest.styles.clone()));
            respond(WorkerResponse::Engine(studio.status().clone()));
            let mut state = state.borrow_mut();
            state.studio = Some(studio);
            state.cache = Some(PaintingCache::new(CACHE_BYTES));
            state.fault = fault;
            // Own styles the page gave before the package was here.
            state.apply_own_changes();
        }
        Err(problem) => {
            state.borrow_mut().unavailable = Some(problem.clone());
            respond(WorkerResponse::Engine(EngineStatus::Unavailable { problem }));
        }
    }
}

/// Lets messages in every `YIELD_EVERY_MS` of a pass, and stops the pass once its job is cancelled.
fn checkpoint(flags: Rc<JobFlags>) -> Checkpoint {
    Rc::new(move || {
        let flags = flags.clone();
        Box::pin(async move {
            let now = js_sys::Date::now();
            if now - flags.last_yield_ms.get() >= YIELD_EVERY_MS {
                yield_to_event_loop().await;
                flags.last_yield_ms.set(js_sys::Date::now());
            }
            flags.go_on()
        })
    })
}

/// A message to ourselves through a MessageChannel: the event loop runs queued messages (a
/// cancel) first. Unlike setTimeout(0), which browsers clamp to 4 ms once nested (measured: 6 %
/// slower CPU paintings at one yield per 50 ms), it costs microseconds.
struct Yielder {
    channel: web_sys::MessageChannel,
    waiting: Rc<RefCell<VecDeque<js_sys::Function>>>,
    _on_message: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

thread_local! {
    static YIELDER: Option<Yielder> = {
        let channel = web_sys::MessageChannel::new().ok();
        channel.map(|channel| {
            let waiting: Rc<RefCell<VecDeque<js_sys::Function>>> = Rc::default();
            let queue = waiting.clone();
            let on_message = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
                if let Some(resolve) = queue.borrow_mut().pop_front() {
                    let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
                }
            });
            channel.port1().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            Yielder { channel, waiting, _on_message: on_message }
        })
    };
}

async fn yield_to_event_loop() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let posted = YIELDER.with(|yielder| match yielder {
            Some(y) => {
                y.waiting.borrow_mut().push_back(resolve.clone());
                y.channel.port2().post_message(&wasm_bindgen::JsValue::UNDEFINED).is_ok()
            }
            None => false,
        });
        if !posted {
            let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
            let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Keep a decoded photo and the one the page names (its photo on show); forget the rest, and
/// their paintings.
fn keep_photo(state: &Rc<RefCell<WorkerState>>, photo: u64, also_keep: Option<u64>, decoded: Result<RgbaImage, StudioError>) {
    let mut state = state.borrow_mut();
    state.photos.put(photo, also_keep, decoded.map(Rc::new));
    let kept = state.photos.ids();
    if let Some(cache) = state.cache.as_mut() {
        cache.keep_photos(&kept);
    }
}

/// Check a style file against the open package and paint with it from now on; `painting`, the
/// one kept with it, goes with the answer either way.
fn add_own_style(state: &Rc<RefCell<WorkerState>>, bytes: &[u8], from: crate::protocol::OwnStyleFrom, painting: Vec<u8>) -> WorkerResponse {
    let mut state = state.borrow_mut();
    let Some(studio) = state.studio.as_ref() else {
        let error = crate::model::StyleFileError::NotAStyle("the painter is not ready".into());
        return WorkerResponse::OwnStyleRefused { from, error, painting };
    };
    match StyleFile::parse(bytes, studio.package()) {
        Ok(file) => {
            let id = file.style_id();
            state.change_own(OwnChange::Add(id.clone(), file.params.clone()));
            let style = OwnStyleInfo { id, name: file.name.clone(), thumbnail: file.thumbnail.clone(), file: file.to_bytes(), painting };
            WorkerResponse::OwnStyleAdded { style, from }
        }
        Err(error) => WorkerResponse::OwnStyleRefused { from, error, painting },
    }
}

/// `photo` (id `photo_id`) and its painting for the page; the photo's pixels stay out where the
/// page holds it (`page_has`).
fn pixels(photo_id: u64, photo: &RgbaImage, painting: &RgbaImage, page_has: Option<PageHas>) -> PaintedPixels {
    let (width, height) = photo.dimensions();
    let photo_is_the_pages = page_has == Some(PageHas { photo: photo_id, width, height });
    PaintedPixels {
        width,
        height,
        photo: if photo_is_the_pages { Vec::new() } else { photo.as_raw().clone() },
        stylized: painting.as_raw().clone(),
        photo_is_the_pages,
    }
}

fn done(job: u64, photo_id: u64, made: &CachedPainting, page_has: Option<PageHas>, elapsed_ms: f64, cached: bool) -> WorkerResponse {
    let pixels = pixels(photo_id, &made.photo, &made.painting, page_has);
    WorkerResponse::Done { job, pixels, engine: made.engine, elapsed_ms, cached }
}

async fn paint(
    state: &Rc<RefCell<WorkerState>>,
    flags: &Rc<JobFlags>,
    job: u64,
    key: PaintingKey,
    page_has: Option<PageHas>,
    respond: &impl Fn(WorkerResponse),
) -> Result<(WorkerResponse, Option<(PaintingKey, CachedPainting)>), StudioError> {
    let started = js_sys::Date::now();
    if let Some(cached) = state.borrow_mut().cache.as_mut().and_then(|cache| cache.get(&key)) {
        return Ok((done(job, key.photo, &cached, page_has, js_sys::Date::now() - started, true), None));
    }
    let original = {
        let state = state.borrow();
        state.photos.get(key.photo).cloned().ok_or(StudioError::NotReady)??
    };
    match state.borrow().fault {
        Some(Fault::Panic) => panic!("injected fault: the worker panics while painting job {job}"),
        Some(Fault::Trap) => core::arch::wasm32::unreachable(),
        Some(Fault::Hang) => loop {
            std::hint::spin_loop();
        },
        _ => {}
    }
    // Owned: it goes into the cache with its painting.
    let photo = studio::fit_photo(Cow::Borrowed(&*original), key.request.max_side);
    respond(WorkerResponse::Progress { job, stage: Stage::Painting { done: 0, total: 0 } });
    // Take the studio out while it paints, so no RefCell borrow is held across an await.
    let taken = state.borrow_mut().studio.take();
    let mut studio = taken.ok_or_else(|| state.borrow().unavailable.clone().unwrap_or(StudioError::NotReady))?;
    let mut events = |event: StudioEvent<'_>| {
        match event {
            StudioEvent::Pass { done, total } => respond(WorkerResponse::Progress { job, stage: Stage::Painting { done, total } }),
            StudioEvent::FellBack(reason) => respond(WorkerResponse::Engine(EngineStatus::Cpu { reason })),
            StudioEvent::Coarse(coarse) => respond(WorkerResponse::Preview { job, pixels: pixels(key.photo, &photo, coarse, page_has) }),
        }
        flags.go_on()
    };
    let painting = studio.paint(&photo, &key.request.style, key.request.brush, &mut events).await;
    {
        let mut state = state.borrow_mut();
        state.studio = Some(studio);
        state.paintings_done += 1;
        state.apply_own_changes();
    }
    let painting = painting?;
    let made = CachedPainting { photo, painting: painting.image, engine: painting.engine };
    let response = done(job, key.photo, &made, page_has, js_sys::Date::now() - started, false);
    Ok((response, Some((key, made))))
}

/// Paint one live frame (`WorkerRequest::LiveFrame`).
async fn live_frame(
    state: &Rc<RefCell<WorkerState>>,
    flags: &Rc<JobFlags>,
    frame: u64,
    (width, height, rgba): (u32, u32, Vec<u8>),
    style: crate::model::StyleChoice,
    adjustments: crate::pipeline::Adjustments,
    respond: &impl Fn(WorkerResponse),
) -> WorkerResponse {
    let started = js_sys::Date::now();
    let too_large = width.max(height) > crate::live::LIVE_SIDES[0] * 2;
    let image = match RgbaImage::from_raw(width, height, rgba) {
        Some(image) if !too_large && width >= 16 && height >= 16 => image,
        _ => {
            let error = StudioError::Photo(ImageError::Corrupt(format!("a live frame of {width}x{height} pixels")));
            return WorkerResponse::LiveFailed { frame, error };
        }
    };
    // Taken out while it paints, as for photos: no RefCell borrow across an await.
    let taken = state.borrow_mut().studio.take();
    let Some(mut studio) = taken else {
        let error = state.borrow().unavailable.clone().unwrap_or(StudioError::NotReady);
        return WorkerResponse::LiveFailed { frame, error };
    };
    let mut live = state.borrow_mut().live.take().unwrap_or_default();
    if live.style.as_ref() != Some(&style) {
        live.steadier.forget_painting();
        live.style = Some(style.clone());
    }
    // No job of the page's: a cancel of a photo's painting does not stop a frame.
    flags.running.set(u64::MAX);
    let mut on_fallback = |reason| respond(WorkerResponse::Engine(EngineStatus::Cpu { reason }));
    let painted = studio.paint_live(&image, &style, adjustments, &mut live.steadier, &mut on_fallback).await;
    {
        let mut state = state.borrow_mut();
        state.studio = Some(studio);
        state.apply_own_changes();
        state.live = Some(live);
    }
    match painted {
        Ok(painting) => WorkerResponse::LiveFrame {
            frame,
            width,
            height,
            rgba: painting.image.into_raw(),
            engine: painting.engine,
            elapsed_ms: js_sys::Date::now() - started,
        },
        Err(error) => WorkerResponse::LiveFailed { frame, error },
    }
}
