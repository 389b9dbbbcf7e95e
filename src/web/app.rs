//! The Atelier page: a thin yew shell that keeps the session (`session`, tested natively) and
//! routes messages between the worker and the page's components; it holds no inference logic.
//! Its rooms: `worker_client` (the worker's life), `picker`, `viewer` (the picture, zoom, full
//! screen), `gallery`, `controls`, `downloads` with `export`, `history_panel` with
//! `history_store`, `top_bar`, and `view` (how they are laid out). Beside it in `web`: `canvas`
//! (drawing, downloads, sharing, the poster), `listeners` (window drops and keys),
//! `service_worker` (offline mode and updates), `jobs`, `history_meta`, `shortcuts`, `i18n`.

use gloo_events::EventListener;
use image::RgbaImage;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use std::rc::Rc;

use super::canvas::can_share_files;
use super::history::HistoryItem;
use super::i18n::{problem, words, Lang, Problem};
use super::listeners::{focus_style_card, key_listeners, paste_listener, window_drop_listeners};
use super::samples::{Sample, SAMPLES};
use super::service_worker::register_service_worker;
use super::session::{full_screen_side, PhotoSource, Session};
use super::shortcuts::{neighbour, Shortcut};
use crate::engine::EngineKind;
use crate::model::package::StyleEntry;
use crate::pipeline::Adjustments;
use crate::protocol::{CpuReason, EngineStatus, PaintedPixels, Switches, WorkerRequest, WorkerResponse};

mod controls;
mod downloads;
mod export;
mod gallery;
mod history_panel;
mod history_store;
mod live_view;
mod own;
mod own_painting;
mod painted;
mod picker;
mod prefs;
mod top_bar;
mod view;
mod viewer;
mod worker_client;

use controls::ControlChange;
use downloads::ExportAsk;
use history_store::HistoryMsg;
use live_view::LiveInbox;
use own::{OwnMsg, OwnState};
pub use painted::Painted;
use picker::PhotoPick;
use prefs::{prefers_dark, store, stored, BRUSH_KEY, ENGINE_NOTICE_KEY, LANG_KEY, THEME_KEY};
use worker_client::WorkerClient;

/// Where the model package is served from, relative to the page.
const MODELS_PATH: &str = "models/";
/// The worker's first script (static/worker-loader.js): it picks the threaded or the
/// single-threaded build of the worker, which Trunk and scripts/build-threads.sh put beside it.
const WORKER_LOADER: &str = "./worker-loader.js";
pub enum Msg {
    Worker(WorkerResponse),
    /// Once a second: is the worker still answering while it paints (`Liveness`)?
    WatchWorker,
    PhotoChosen(PhotoPick),
    FileRead { job: u64, name: String, bytes: Vec<u8>, sample: Option<&'static Sample> },
    FileUnreadable { job: u64, detail: String },
    PickStyle(String),
    Control(ControlChange),
    Cancel,
    Export(ExportAsk),
    Shared(Result<(), String>),
    ToggleLang,
    ToggleTheme,
    History(HistoryMsg),
    /// A file is dragged over the window (true) or left it / was dropped (false).
    Dragging(bool),
    /// A new build of the app is installed and waits for the visitor (service worker).
    UpdateReady,
    CloseEngineNotice,
    /// The picture went full screen on a screen this many device pixels on its long side.
    FullScreen(f64),
    /// A keyboard shortcut (`shortcuts`); the picture's own (zoom, peek, full screen) are the viewer's.
    Shortcut(Shortcut),
    /// The visitor's own styles: learning a painting, style files, links (`own`).
    Own(OwnMsg),
    Live(LiveAsk),
    /// A request of the live view's for the worker (its frames).
    LiveSend(WorkerRequest),
}

/// The live camera view's asks of the App.
pub enum LiveAsk {
    Open,
    /// Closed (by the visitor, the tab hidden), with a problem to say where it ended on one.
    Close(Option<Problem>),
    /// "Take picture": the frame, to paint as a photo.
    Capture(web_sys::File),
}

pub struct App {
    /// The inference worker, its liveness and its replacement (`worker_client`).
    worker: WorkerClient,
    engine: EngineStatus,
    /// The CPU engine's threads in this worker (1 but in the threaded build).
    cpu_threads: u32,
    /// The package's styles, then the visitor's own (`own`): what the gallery shows.
    styles: Rc<Vec<StyleEntry>>,
    shipped_styles: Rc<Vec<StyleEntry>>,
    own: OwnState,
    /// The photos, the settings a painting is made with and the painting jobs (`session`).
    session: Session,
    adjustments: Adjustments,
    /// The visitor closed the line that says why the CPU engine paints.
    engine_notice_closed: bool,
    error: Option<Problem>,
    painted: Option<Rc<Painted>>,
    lang: Lang,
    dark: Option<bool>,
    /// The viewer draws into these; downloads and the poster read them.
    result_canvas: NodeRef,
    photo_canvas: NodeRef,
    /// A new build waits: the page offers to reload into it (never mixes two builds).
    update_ready: bool,
    /// Whether this browser can share a picture file (Web Share level 2); otherwise no Share button.
    can_share_files: bool,
    /// The photo just chosen, shown at once (an object URL of the file) until its painting is ready;
    /// the progress row above it says what is happening.
    chosen: Option<String>,
    db: Option<Rc<web_sys::IdbDatabase>>,
    history: Rc<Vec<HistoryItem>>,
    history_note: Option<String>,
    /// A note next to the share button (the fallback where the browser cannot share files).
    share_note: Option<String>,
    /// Model package download: (bytes done, bytes in all), while it lasts.
    loading: Option<(u64, u64)>,
    /// The last painting was cancelled: a line says so, and what is on show, until the next one.
    cancelled: bool,
    /// What that line says: the cancelled painting's preview is on show (without its finest
    /// strokes), not the picture from before.
    cancelled_preview: bool,
    dragging: bool,
    /// The live camera view is open (`live_view`): paintings of photos wait until it closes.
    live_open: bool,
    /// A painting was asked for while the live view was open: made when it closes.
    live_stale: bool,
    live_inbox: LiveInbox,
    /// Pasting a photo anywhere; a file dropped anywhere on the window (beside the small zone it
    /// must never make the browser open it in place of the studio, losing the visitor's work);
    /// the keyboard shortcuts.
    _listeners: Vec<EventListener>,
}

fn switches() -> Switches {
    Switches::from_query(&web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default())
}

/// Asks for the next `Msg::WatchWorker` in a second.
fn watch_worker_soon(ctx: &Context<App>) {
    ctx.link().send_future(async {
        yew::platform::time::sleep(std::time::Duration::from_secs(1)).await;
        Msg::WatchWorker
    });
}

fn slider_value(e: &InputEvent) -> f32 {
    let input: HtmlInputElement = e.target_unchecked_into();
    input.value().parse::<f32>().unwrap_or(0.0) / 100.0
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let browser_lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
        let lang = Lang::from_code(&stored(LANG_KEY).unwrap_or(browser_lang));
        let dark = stored(THEME_KEY).map(|t| t == "dark");
        let brush = stored(BRUSH_KEY).and_then(|b| crate::pipeline::Brush::parse(&b).ok()).unwrap_or_default();
        let link = ctx.link();
        let on_file = link.callback(|file| Msg::PhotoChosen(PhotoPick::File(file)));
        let mut listeners: Vec<EventListener> = paste_listener(on_file.clone()).into_iter().collect();
        listeners.extend(window_drop_listeners(link.callback(Msg::Dragging), on_file));
        listeners.extend(key_listeners(link.callback(Msg::Shortcut), Callback::noop()));
        let worker = WorkerClient::spawn(link.callback(Msg::Worker), switches(), switches().fault);
        // Queued behind the package: the styles kept on this device, and one a link carries.
        let (own_requests, own_state) = own::saved_and_linked();
        own_requests.into_iter().for_each(|request| worker.send(request));
        watch_worker_soon(ctx);
        let mut app = App {
            worker,
            engine: EngineStatus::Probing,
            cpu_threads: 1,
            styles: Rc::default(),
            shipped_styles: Rc::default(),
            own: own_state,
            session: Session::new(brush),
            adjustments: Adjustments::default(),
            error: None,
            engine_notice_closed: false,
            painted: None,
            lang,
            dark,
            result_canvas: NodeRef::default(),
            photo_canvas: NodeRef::default(),
            update_ready: false,
            can_share_files: can_share_files(),
            chosen: None,
            db: None,
            history: Rc::default(),
            history_note: None,
            share_note: None,
            loading: None,
            cancelled: false,
            cancelled_preview: false,
            dragging: false,
            live_open: false,
            live_stale: false,
            live_inbox: LiveInbox::default(),
            _listeners: listeners,
        };
        prefs::apply_to_document(app.lang, app.dark);
        register_service_worker(link.callback(|_| Msg::UpdateReady));
        history_store::open(ctx);
        // Kept styles an update refused on an earlier visit, not yet learned again.
        app.learn_next_again();
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::PhotoChosen(pick) => return self.photo_chosen(ctx, pick),
            Msg::FileRead { job, name, bytes, sample } => {
                // The previous photo and result stay until the new one is painted: a broken
                // file must not lose the visitor's work.
                let photo = |session: &mut Session| session.new_photo(name, sample, PhotoSource::File(bytes));
                let first_style = self.styles.first().map(|s| s.id.as_str());
                let page_has = self.painted.as_ref().and_then(|p| p.page_has());
                let Some(painting) = self.session.photo_read(job, photo, first_style, page_has, js_sys::Date::now()) else {
                    return false;
                };
                self.send_painting(painting);
            }
            Msg::FileUnreadable { job, detail } => {
                if !self.session.photo_unreadable(job) {
                    return false;
                }
                self.set_chosen(None);
                self.error = Some(Problem::FileUnreadable(detail));
            }
            Msg::PickStyle(id) => {
                self.session.style = Some(id);
                self.run();
            }
            Msg::Control(change) => self.control(change),
            Msg::Cancel => {
                // The worker stops the pass at its next checkpoint and keeps the package and the
                // photos; the session puts the controls back to the picture on show.
                self.cancelled_preview = self.detail_pending();
                if let Some(cancel) = self.session.cancel() {
                    self.worker.send(cancel);
                }
                self.set_chosen(None);
                store(BRUSH_KEY, &self.session.brush.size().to_string());
                self.cancelled = true;
            }
            Msg::CloseEngineNotice => {
                self.engine_notice_closed = true;
                // A lasting reason, once closed, is not said again on the next visit.
                if let Some(key) = self.engine.cpu_reason().and_then(CpuReason::lasting_key) {
                    store(ENGINE_NOTICE_KEY, key);
                }
            }
            Msg::Shortcut(Shortcut::PreviousStyle | Shortcut::NextStyle) if !self.styles.is_empty() => {
                let step = if matches!(msg, Msg::Shortcut(Shortcut::NextStyle)) { 1 } else { -1 };
                let ids: Vec<&str> = self.styles.iter().map(|s| s.id.as_str()).collect();
                let Some(id) = neighbour(&ids, self.session.style.as_deref(), step) else { return false };
                let id = id.to_string();
                focus_style_card(&id);
                return Component::update(self, ctx, Msg::PickStyle(id));
            }
            Msg::Shortcut(Shortcut::Save) if self.painted.is_some() && !self.detail_pending() => return Component::update(self, ctx, Msg::Export(ExportAsk::Png)),
            Msg::Shortcut(_) => return false,
            Msg::FullScreen(screen_px) => {
                // Full screen shows the picture at the screen's size: a smaller painting is
                // painted again at the size that fills it (never less than the one chosen).
                let side = full_screen_side(screen_px, self.session.max_side);
                if side == self.session.max_side {
                    return false;
                }
                self.session.max_side = side;
                self.run();
            }
            // A preview is not exported: its finished painting is on its way.
            Msg::Export(_) if self.detail_pending() => return false,
            Msg::Export(ask) => self.export(ctx, ask),
            // A cancelled share sheet is an AbortError: not worth a message.
            Msg::Shared(Err(e)) if !e.contains("AbortError") => self.share_note = Some(problem(self.lang, &Problem::Export(e))),
            Msg::Shared(_) => return false,
            Msg::ToggleLang => {
                self.lang = self.lang.other();
                store(LANG_KEY, self.lang.code());
                prefs::apply_to_document(self.lang, self.dark);
            }
            Msg::ToggleTheme => {
                let dark = !self.dark.unwrap_or_else(prefers_dark);
                self.dark = Some(dark);
                store(THEME_KEY, if dark { "dark" } else { "light" });
                prefs::apply_to_document(self.lang, self.dark);
            }
            Msg::Worker(response) => return self.on_worker(ctx, response),
            Msg::WatchWorker => {
                watch_worker_soon(ctx);
                let Some(silent_ms) = self.worker.watch(js_sys::Date::now(), self.session.jobs.running()) else { return false };
                let seconds = silent_ms.div_ceil(1000);
                let job = self.session.jobs.current();
                self.replace_crashed_worker(job, format!("no answer for {seconds} s"), Problem::WorkerStalled { seconds });
            }
            Msg::History(msg) => return self.on_history(ctx, msg),
            Msg::Dragging(on) => {
                if self.dragging == on {
                    return false;
                }
                self.dragging = on;
            }
            Msg::UpdateReady => self.update_ready = true,
            Msg::Own(msg) => return self.on_own(ctx, msg),
            Msg::Live(ask) => self.on_live(ctx, ask),
            Msg::LiveSend(request) => {
                self.worker.send(request);
                return false;
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        self.render(ctx)
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        self.reveal_own_card();
    }
}

impl App {
    /// A file or a sample photo: shown at once, read beside it (`FileRead`).
    fn photo_chosen(&mut self, ctx: &Context<Self>, pick: PhotoPick) -> bool {
        match pick {
            // A style file dropped or pasted anywhere is opened as one, not as a photo.
            PhotoPick::File(file) if file.name().to_ascii_lowercase().ends_with(".style") => {
                return self.on_own(ctx, OwnMsg::Ask(own_painting::OwnAsk::StyleFile(file)));
            }
            PhotoPick::File(file) => {
                let job = self.new_photo_job();
                self.set_chosen(web_sys::Url::create_object_url_with_blob(&file).ok());
                let name = file.name();
                ctx.link().send_future(async move {
                    match JsFuture::from(file.array_buffer()).await {
                        Ok(buffer) => Msg::FileRead { job, name, bytes: js_sys::Uint8Array::new(&buffer).to_vec(), sample: None },
                        Err(e) => Msg::FileUnreadable { job, detail: format!("{e:?}") },
                    }
                });
            }
            PhotoPick::Sample(index) => {
                let Some(sample) = SAMPLES.get(index) else { return false };
                let job = self.new_photo_job();
                // Shown at once from the build (the service worker's cache), read beside it.
                self.set_chosen(Some(sample.url()));
                ctx.link().send_future(async move {
                    match picker::fetch_same_origin(&sample.url()).await {
                        Ok(bytes) => Msg::FileRead { job, name: sample.file_name(), bytes, sample: Some(sample) },
                        Err(detail) => Msg::FileUnreadable { job, detail },
                    }
                });
            }
        }
        true
    }

    /// A slider or setting moved: strength and colour apply to the picture on show (the viewer
    /// draws it again); the rest paint again.
    fn control(&mut self, change: ControlChange) {
        match change {
            ControlChange::Strength(v) => self.adjustments.strength = v,
            ControlChange::Colour(v) => self.adjustments.preserve_colour = v,
            ControlChange::MixStyle(id) => {
                self.session.mix_style = id;
                self.run();
            }
            ControlChange::MixAmount(v) => {
                self.session.mix_amount = v;
                if self.session.mix_style.is_some() {
                    self.run();
                }
            }
            ControlChange::Brush(brush) => {
                self.session.brush = brush;
                store(BRUSH_KEY, &brush.size().to_string());
                self.run();
            }
            ControlChange::Size(side) => {
                self.session.max_side = side;
                self.run();
            }
        }
    }

    /// Show `url` (an object URL) as the chosen photo, freeing the previous one.
    fn set_chosen(&mut self, url: Option<String>) {
        if let Some(old) = std::mem::replace(&mut self.chosen, url).filter(|u| u.starts_with("blob:")) {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
    }

    /// A new photo is on its way (a file or a sample): the job that will read it.
    fn new_photo_job(&mut self) -> u64 {
        // A painting still running is for the old photo: stop it rather than wait for it.
        let (job, cancel) = self.session.photo_coming();
        if let Some(cancel) = cancel {
            self.worker.send(cancel);
        }
        self.error = None;
        self.cancelled = false;
        job
    }

    /// Ask the worker for a new painting of the current photo (or of the photo being read, once
    /// it is here).
    /// The style the live view paints with: the studio's choice, or the first style.
    pub(super) fn live_style(&self) -> Option<crate::model::StyleChoice> {
        let style = self.session.style.clone().or_else(|| self.styles.first().map(|s| s.id.clone()))?;
        Some(crate::model::StyleChoice { style, mix: self.session.mix_style.clone().map(|id| (id, self.session.mix_amount)) })
    }

    fn on_live(&mut self, ctx: &Context<Self>, ask: LiveAsk) {
        match ask {
            LiveAsk::Open => {
                // A painting under way stops: the live view takes the worker.
                if let Some(cancel) = self.session.cancel() {
                    self.worker.send(cancel);
                }
                self.set_chosen(None);
                self.error = None;
                self.live_open = true;
            }
            LiveAsk::Close(problem) => {
                self.live_open = false;
                if problem.is_some() {
                    self.error = problem;
                }
                if std::mem::take(&mut self.live_stale) {
                    self.run();
                }
            }
            LiveAsk::Capture(file) => {
                self.live_open = false;
                self.live_stale = false;
                self.photo_chosen(ctx, PhotoPick::File(file));
            }
        }
    }

    fn run(&mut self) {
        // The live view has the worker: a painting of the photo would halt its frames.
        if self.live_open {
            self.live_stale = true;
            return;
        }
        let page_has = self.painted.as_ref().and_then(|p| p.page_has());
        let painting = self.session.paint(None, self.styles.first().map(|s| s.id.as_str()), page_has, js_sys::Date::now());
        self.send_painting(painting);
    }

    fn send_painting(&mut self, painting: Result<Vec<WorkerRequest>, Problem>) {
        match painting {
            Ok(requests) => {
                if !requests.is_empty() {
                    self.error = None;
                    self.cancelled = false;
                }
                requests.into_iter().for_each(|r| self.worker.send(r));
            }
            Err(problem) => self.error = Some(problem),
        }
    }

    /// The worker died (a panic aborts its wasm) or stopped answering: end it, start another,
    /// give it the photos again and replay the painting it was on, once; `give_up` is what the
    /// visitor reads if that painting ends a worker twice. A GPU-side death moves painting to the
    /// CPU engine.
    fn replace_crashed_worker(&mut self, job: u64, message: String, give_up: Problem) {
        log::warn!("the worker crashed during job {job}: {message}");
        let gpu_failed = (self.engine.kind() == Some(EngineKind::Gpu)).then(|| message.clone());
        self.worker.replace(gpu_failed);
        // A live frame at the old worker is lost with it: the live view sends another.
        if let Some(inbox) = self.live_inbox.borrow().as_ref() {
            inbox.emit(WorkerResponse::LiveFailed { frame: 0, error: crate::studio::StudioError::NotReady });
        }
        self.own_after_worker_replaced();
        self.engine = EngineStatus::Probing;
        self.cpu_threads = 1;
        let again = self.session.after_worker_crash(job);
        again.send.into_iter().for_each(|r| self.worker.send(r));
        if again.gave_up {
            self.set_chosen(None);
            self.error = Some(give_up);
        }
    }

    /// A painting (or a preview of one) arrived: it is the picture on show from now on.
    fn put_on_show(&mut self, arrived: PaintedPixels, made: impl FnOnce(Rc<RgbaImage>, RgbaImage) -> Painted) {
        let PaintedPixels { width, height, photo, photo_is_the_pages, stylized } = arrived;
        self.set_chosen(None);
        // A style change: the photo is the one the page shows already (the worker checked the id
        // and size the request named).
        let photo = if photo_is_the_pages {
            self.painted.as_ref().map(|p| p.photo.clone()).filter(|p| p.dimensions() == (width, height))
        } else {
            RgbaImage::from_raw(width, height, photo).map(Rc::new)
        };
        match (photo, RgbaImage::from_raw(width, height, stylized)) {
            (Some(photo), Some(stylized)) => {
                self.painted = Some(Rc::new(made(photo, stylized)));
                // The engine's line explained the wait; with the painting here it would only
                // cover the buttons (the badge keeps saying which engine paints).
                self.engine_notice_closed = true;
            }
            _ => self.error = Some(Problem::WrongSize),
        }
    }

    /// The picture on show is a preview whose detail the running job is still painting: not yet
    /// one to download (once cancelled or replaced by a newer job, it is the painting on show).
    fn detail_pending(&self) -> bool {
        let jobs = &self.session.jobs;
        self.painted.as_ref().is_some_and(|p| p.preview && jobs.running() && p.origin == jobs.current().to_string())
    }

    fn on_worker(&mut self, ctx: &Context<Self>, response: WorkerResponse) -> bool {
        self.worker.heard(js_sys::Date::now());
        match response {
            WorkerResponse::Pong => return false,
            live @ (WorkerResponse::LiveFrame { .. } | WorkerResponse::LiveFailed { .. }) => {
                if let Some(inbox) = self.live_inbox.borrow().as_ref() {
                    inbox.emit(live);
                }
                return false;
            }
            WorkerResponse::Engine(status) => {
                let lasting = status.cpu_reason().and_then(CpuReason::lasting_key);
                if lasting.is_some() && stored(ENGINE_NOTICE_KEY).as_deref() == lasting {
                    self.engine_notice_closed = true;
                }
                self.engine = status;
            }
            WorkerResponse::Threads(threads) => self.cpu_threads = threads,
            WorkerResponse::Loading { done, total } => self.loading = (done < total).then_some((done, total)),
            WorkerResponse::Styles(styles) => {
                self.shipped_styles = Rc::new(styles);
                self.own_changed();
            }
            WorkerResponse::Progress { job, stage } => return self.session.jobs.progress(job, stage, js_sys::Date::now()),
            WorkerResponse::Preview { job, pixels } => {
                let Some((settings, photo_id)) = self.session.previewed(job) else { return false };
                let made = |photo, stylized| Painted {
                    origin: job.to_string(),
                    photo,
                    stylized,
                    timing: None,
                    cached: false,
                    settings,
                    photo_id,
                    preview: true,
                };
                self.put_on_show(pixels, made);
            }
            WorkerResponse::Done { job, pixels, engine, elapsed_ms, cached } => {
                let Some((settings, photo_id)) = self.session.painted(job) else { return false };
                let timing = Some((engine, elapsed_ms));
                let made = |photo, stylized| Painted { origin: job.to_string(), photo, stylized, timing, cached, settings, photo_id, preview: false };
                // The history's copies follow (`WorkerResponse::History`); a painting shown again
                // from the worker's cache is in the history already.
                self.put_on_show(pixels, made);
            }
            WorkerResponse::Failed { job, error } => {
                // The controls go back to the picture on show (the session sees to it).
                if !self.session.failed(job) {
                    return false;
                }
                self.set_chosen(None);
                self.error = Some(Problem::Studio(error));
            }
            // Kept only for the painting on show (a newer job may have replaced it meanwhile).
            WorkerResponse::History { job, copies } if self.painted.as_ref().is_some_and(|p| p.origin == job.to_string()) => {
                self.save_to_history(ctx, copies);
                return false;
            }
            WorkerResponse::Crashed { job, message } => {
                let give_up = Problem::WorkerCrashed(message.clone());
                self.replace_crashed_worker(job, message, give_up)
            }
            WorkerResponse::History { .. } => return false,
            own @ (WorkerResponse::OwnStyleAdded { .. }
            | WorkerResponse::OwnStyleRefused { .. }
            | WorkerResponse::Learning { .. }
            | WorkerResponse::Learned { .. }
            | WorkerResponse::LearnFailed { .. }) => return self.on_own_response(own),
        }
        true
    }
}

pub fn start() {
    console_error_panic_hook::set_once();
    // index.html draws the top of the page before the wasm arrives; the app takes over from it
    // (its first render runs before the next frame, so nothing blinks or moves).
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    yew::Renderer::<App>::new().render();
}
