//! The Atelier page: a thin yew shell. It reads files, talks to the worker, blends the sliders
//! with the core's `pipeline::adjust` and draws pixels; it holds no inference logic. Beside it:
//! `canvas` (drawing, downloads, sharing, the poster), `listeners` (window drops and keys),
//! `service_worker` (offline mode and updates), `jobs`, `history_meta`, `shortcuts`, `i18n`.

use gloo_events::EventListener;
use image::RgbaImage;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use std::rc::Rc;

use super::canvas::{
    can_share_files, canvas_png, download_canvas, draw, draw_poster, share_png, thumbnail_url, PosterWords,
};
use super::history::{self, HistoryItem, HistoryMeta};
use super::listeners::{focus_style_card, key_listeners, window_drop_listeners, zoom_listeners, ZoomAt};
use super::service_worker::{apply_update, register_service_worker};
use super::i18n::{cpu_reason, problem, words, Lang, Problem};
use super::samples::{Sample, SAMPLES};
use super::session::{full_screen_side, PhotoSource, Session, SIZES};
use super::shortcuts::{neighbour, Shortcut};
use crate::engine::EngineKind;
use crate::model::package::StyleEntry;
use crate::pipeline::{adjust, Adjustments, Brush, PaintRequest};
use crate::protocol::{CpuReason, EngineStatus, HistoryCopies, Stage, Switches, WorkerRequest, WorkerResponse, PageHas};

/// Where the model package is served from, relative to the page.
mod export;
mod view;
mod worker_client;

use worker_client::WorkerClient;

const MODELS_PATH: &str = "models/";
/// The worker's first script (static/worker-loader.js): it picks the threaded or the
/// single-threaded build of the worker, which Trunk and scripts/build-threads.sh put beside it.
const WORKER_LOADER: &str = "./worker-loader.js";
const LANG_KEY: &str = "atelier.lang";
const THEME_KEY: &str = "atelier.theme";
const BRUSH_KEY: &str = "atelier.brush";
/// The lasting reason (`CpuReason::lasting_key`) whose engine notice the visitor closed.
const ENGINE_NOTICE_KEY: &str = "atelier.engine-notice-closed";

pub enum Msg {
    Worker(WorkerResponse),
    /// Once a second: is the worker still answering while it paints (`Liveness`)?
    WatchWorker,
    FileChosen(web_sys::File),
    /// One of the sample photos (`samples::SAMPLES`, by index).
    SampleChosen(usize),
    FileRead { job: u64, name: String, bytes: Vec<u8>, sample: Option<&'static Sample> },
    FileUnreadable { job: u64, detail: String },
    PickStyle(String),
    Strength(f32),
    Colour(f32),
    MixStyle(Option<String>),
    MixAmount(f32),
    Brush(Brush),
    Size(u32),
    Cancel,
    Divider(f32),
    Download { jpeg: bool },
    Share,
    Shared(Result<(), String>),
    JpegQuality(f32),
    ToggleLang,
    ToggleTheme,
    HistoryOpened(Result<(Rc<web_sys::IdbDatabase>, Vec<HistoryItem>), String>),
    HistoryListed(Result<Vec<HistoryItem>, String>),
    /// The list after a failed change (the note about the failure stays).
    HistoryRelisted(Vec<HistoryItem>),
    Reopen(u32),
    Reopened { id: u32, result: Result<(Vec<u8>, Vec<u8>), String> },
    DeleteEntry(u32),
    /// "Clear all" asks first (`confirm_clear`); the answer clears or keeps.
    ClearHistory,
    ConfirmClear(bool),
    /// A file is dragged over the window (true) or left it / was dropped (false).
    Dragging(bool),
    /// A new build of the app is installed and waits for the visitor (service worker).
    UpdateReady,
    ApplyUpdate,
    CloseEngineNotice,
    /// The picture at 100 % (one canvas pixel per CSS pixel, panned by scrolling) or fitted.
    ToggleActualSize,
    /// The picture full screen, or back (the button, or F).
    ToggleFullScreen,
    /// Zoom by `factor` about a point of the window (Ctrl+wheel, a trackpad's pinch, two fingers).
    Zoom { factor: f64, client_x: f64, client_y: f64 },

    /// The share poster (`poster`): downloaded, or shared where the browser can share files.
    Poster { share: bool },
    /// A keyboard shortcut (`shortcuts`).
    Shortcut(Shortcut),
    /// The peek key was released, or the window lost the focus while it was held.
    PeekEnd,
}

struct Painted {
    /// Where it came from: the worker job ("7") or a history entry ("history-3"). Sliders
    /// change the pixels, never this.
    origin: String,
    photo: RgbaImage,
    stylized: RgbaImage,
    /// The engine and the time it took; None for a picture reopened from the history.
    timing: Option<(EngineKind, f64)>,
    /// Shown again from the worker's paintings, not painted again.
    cached: bool,
    settings: PaintRequest,
    /// The worker's id of `photo` (None for a history entry): a painting of the same photo at the
    /// same size comes without the photo's pixels, which are these.
    photo_id: Option<u64>,
}

impl Painted {
    fn page_has(&self) -> Option<PageHas> {
        let (width, height) = self.photo.dimensions();
        self.photo_id.map(|photo| PageHas { photo, width, height })
    }
}

pub struct App {
    /// The inference worker, its liveness and its replacement (`worker_client`).
    worker: WorkerClient,
    engine: EngineStatus,
    /// The CPU engine's threads in this worker (1 but in the threaded build).
    cpu_threads: u32,
    styles: Vec<StyleEntry>,
    /// The photos, the settings a painting is made with and the painting jobs (`session`).
    session: Session,
    adjustments: Adjustments,
    /// The visitor closed the line that says why the CPU engine paints.
    engine_notice_closed: bool,
    /// The picture shown at 100 % instead of fitted to the view.
    /// CSS pixels per picture pixel while zoomed (1 = 100 %); None: the picture fits the view.
    zoom: Option<f64>,
    /// The zoom at which the picture fits (the least zoom), measured when zooming starts.
    fit_zoom: f64,
    /// Where to scroll the zoomed picture after the next render: the point under the pointer
    /// stays under it.
    pending_scroll: Option<(f64, f64)>,
    /// Two fingers are on the picture: the divider does not follow them.
    pinching: Rc<std::cell::Cell<bool>>,
    /// Where one finger's gesture on the picture stands (`Swipe`).
    swipe: Rc<std::cell::Cell<Swipe>>,

    _zoom_listeners: Vec<EventListener>,
    compare_box: NodeRef,
    compare_frame: NodeRef,
    error: Option<Problem>,
    painted: Option<Painted>,
    divider: f32,
    jpeg_quality: f32,
    lang: Lang,
    dark: Option<bool>,
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
    history: Vec<HistoryItem>,
    history_note: Option<String>,
    /// A note next to the share button (the fallback where the browser cannot share files).
    share_note: Option<String>,
    /// Model package download: (bytes done, bytes in all), while it lasts.
    loading: Option<(u64, u64)>,
    _paste: Option<EventListener>,
    /// The whole window takes a dropped photo: a file dropped beside the small zone must never
    /// make the browser open it in place of the studio (losing the visitor's work).
    _window_drop: Vec<EventListener>,
    _keys: Vec<EventListener>,
    /// "Clear all" was pressed: the history's head asks to confirm.
    confirm_clear: bool,
    /// The original is shown in place of the painting while the peek key is held.
    peeking: bool,
    /// The last painting was cancelled: a line says so, and what is on show, until the next one.
    cancelled: bool,
    dragging: bool,
}

fn absolute_url(path: &str) -> String {
    // The worker runs from a blob: URL, against which relative paths would not resolve.
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(path, &href).map(|u| u.href()).unwrap_or_else(|_| path.to_string())
}

/// A file of the build (a sample photo), as bytes; the error is the browser's detail.
async fn fetch_same_origin(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|e| format!("{e:?}"))?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
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

/// One finger's gesture on the picture.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Swipe {
    #[default]
    Idle,
    /// Down at this window point, direction not yet clear.
    Started { x: f64, y: f64 },
    /// Moving the divider.
    Sideways,
    /// Scrolling the page: the divider stays.
    Vertical,
}

/// A finger's direction once it has moved `SWIPE_SLOP_PX` from where it went down; None before.
fn classify_swipe(dx: f64, dy: f64) -> Option<Swipe> {
    const SWIPE_SLOP_PX: f64 = 8.0;
    if dx.abs().max(dy.abs()) < SWIPE_SLOP_PX {
        None
    } else if dx.abs() > dy.abs() {
        Some(Swipe::Sideways)
    } else {
        Some(Swipe::Vertical)
    }
}

/// One press of + or - zooms by this much (the wheel's steps are finer).
const KEY_ZOOM_STEP: f64 = 1.25;

/// `element` full screen, or leave full screen where something is (Esc leaves it too, by the
/// browser). Where the browser refuses (an iframe without allowfullscreen) nothing happens.
fn toggle_full_screen(element: &NodeRef) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Some(element) = element.cast::<web_sys::Element>() {
        let _ = element.request_fullscreen();
    }
}

fn slider_value(e: &InputEvent) -> f32 {
    let input: HtmlInputElement = e.target_unchecked_into();
    input.value().parse::<f32>().unwrap_or(0.0) / 100.0
}

/// The brush slider runs over log2(brush size), so 0.5 -> 1 -> 2 are equal steps.
fn brush_from_slider(e: &Event) -> Option<Brush> {
    let input: HtmlInputElement = e.target_unchecked_into();
    input.value().parse::<f32>().ok().and_then(|v| Brush::new(2f32.powf(v)).ok())
}

fn select_value(e: &Event) -> String {
    let select: HtmlSelectElement = e.target_unchecked_into();
    select.value()
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let stored_lang = storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten());
        let browser_lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
        let lang = Lang::from_code(stored_lang.as_deref().unwrap_or(&browser_lang));
        let dark = storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).map(|t| t == "dark");
        let brush = storage()
            .and_then(|s| s.get_item(BRUSH_KEY).ok().flatten())
            .and_then(|b| Brush::parse(&b).ok())
            .unwrap_or_default();
        let paste = web_sys::window().and_then(|w| w.document()).map(|document| {
            let link = ctx.link().clone();
            EventListener::new(&document, "paste", move |event| {
                let file = event
                    .dyn_ref::<web_sys::ClipboardEvent>()
                    .and_then(|e| e.clipboard_data())
                    .and_then(|d| d.files())
                    .and_then(|f| f.get(0));
                if let Some(file) = file {
                    link.send_message(Msg::FileChosen(file));
                }
            })
        });
        let worker = WorkerClient::spawn(ctx.link().callback(Msg::Worker), switches(), switches().fault);
        watch_worker_soon(ctx);
        let app = App {
            worker,
            engine: EngineStatus::Probing,
            cpu_threads: 1,
            styles: Vec::new(),
            session: Session::new(brush),
            adjustments: Adjustments::default(),
            error: None,
            engine_notice_closed: false,
            zoom: None,
            fit_zoom: 1.0,
            pending_scroll: None,
            pinching: Rc::default(),
            swipe: Rc::default(),
            _zoom_listeners: Vec::new(),
            compare_box: NodeRef::default(),
            compare_frame: NodeRef::default(),
            painted: None,
            divider: 0.5,
            jpeg_quality: 0.9,
            lang,
            dark,
            result_canvas: NodeRef::default(),
            photo_canvas: NodeRef::default(),
            update_ready: false,
            can_share_files: can_share_files(),
            chosen: None,
            db: None,
            history: Vec::new(),
            history_note: None,
            share_note: None,
            loading: None,
            _paste: paste,
            _window_drop: window_drop_listeners(ctx.link().callback(Msg::Dragging), ctx.link().callback(Msg::FileChosen)),
            _keys: key_listeners(ctx.link().callback(Msg::Shortcut), ctx.link().callback(|()| Msg::PeekEnd)),
            confirm_clear: false,
            peeking: false,
            cancelled: false,
            dragging: false,
        };
        app.apply_document_settings();
        register_service_worker(ctx.link().callback(|_| Msg::UpdateReady));
        ctx.link().send_future(async {
            let opened = match history::open().await {
                Ok(db) => history::list(&db).await.map(|items| (Rc::new(db), items)),
                Err(e) => Err(e),
            };
            Msg::HistoryOpened(opened)
        });
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::FileChosen(file) => {
                let job = self.new_photo_job();
                self.set_chosen(web_sys::Url::create_object_url_with_blob(&file).ok());
                let name = file.name();
                ctx.link().send_future(async move {
                    match JsFuture::from(file.array_buffer()).await {
                        Ok(buffer) => Msg::FileRead { job, name, bytes: js_sys::Uint8Array::new(&buffer).to_vec(), sample: None },
                        Err(e) => Msg::FileUnreadable { job, detail: format!("{e:?}") },
                    }
                });
                return true;
            }
            Msg::SampleChosen(index) => {
                let Some(sample) = SAMPLES.get(index) else { return false };
                let job = self.new_photo_job();
                // Shown at once from the build (the service worker's cache), read beside it.
                self.set_chosen(Some(sample.url()));
                ctx.link().send_future(async move {
                    match fetch_same_origin(&sample.url()).await {
                        Ok(bytes) => Msg::FileRead { job, name: sample.file_name(), bytes, sample: Some(sample) },
                        Err(detail) => Msg::FileUnreadable { job, detail },
                    }
                });
                return true;
            }
            Msg::FileRead { job, name, bytes, sample } => {
                // The previous photo and result stay until the new one is painted: a broken
                // file must not lose the visitor's work.
                let photo = |session: &mut Session| session.new_photo(name, sample, PhotoSource::File(bytes));
                let first_style = self.styles.first().map(|s| s.id.as_str());
                let page_has = self.painted.as_ref().and_then(Painted::page_has);
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
            Msg::Strength(v) => {
                self.adjustments.strength = v;
                self.redraw();
            }
            Msg::Colour(v) => {
                self.adjustments.preserve_colour = v;
                self.redraw();
            }
            Msg::MixStyle(id) => {
                self.session.mix_style = id;
                self.run();
            }
            Msg::MixAmount(v) => {
                self.session.mix_amount = v;
                if self.session.mix_style.is_some() {
                    self.run();
                }
            }
            Msg::Brush(brush) => {
                self.session.brush = brush;
                if let Some(s) = storage() {
                    let _ = s.set_item(BRUSH_KEY, &brush.size().to_string());
                }
                self.run();
            }
            Msg::Size(side) => {
                self.session.max_side = side;
                self.run();
            }
            Msg::Cancel => {
                // The worker stops the pass at its next checkpoint and keeps the package and the
                // photos; the session puts the controls back to the picture on show.
                if let Some(cancel) = self.session.cancel() {
                    self.worker.send(cancel);
                }
                self.set_chosen(None);
                self.remember_brush();
                self.cancelled = true;
            }
            Msg::Divider(v) => self.divider = v,
            Msg::CloseEngineNotice => {
                self.engine_notice_closed = true;
                // A lasting reason, once closed, is not said again on the next visit.
                if let (Some(key), Some(s)) = (self.engine.cpu_reason().and_then(CpuReason::lasting_key), storage()) {
                    let _ = s.set_item(ENGINE_NOTICE_KEY, key);
                }
            }
            Msg::ToggleActualSize => {
                self.zoom = match self.zoom {
                    Some(_) => None,
                    None => Some(1.0),
                };
                self.pending_scroll = None;
            }
            Msg::Zoom { factor, client_x, client_y } => return self.zoom_by(factor, client_x, client_y),

            Msg::Shortcut(Shortcut::PreviousStyle | Shortcut::NextStyle) if !self.styles.is_empty() => {
                let step = if matches!(msg, Msg::Shortcut(Shortcut::NextStyle)) { 1 } else { -1 };
                let ids: Vec<&str> = self.styles.iter().map(|s| s.id.as_str()).collect();
                let Some(id) = neighbour(&ids, self.session.style.as_deref(), step) else { return false };
                let id = id.to_string();
                focus_style_card(&id);
                return Component::update(self, ctx, Msg::PickStyle(id));
            }
            Msg::Shortcut(Shortcut::PeekOriginal) if self.painted.is_some() => self.peeking = true,
            Msg::Shortcut(Shortcut::Save) if self.painted.is_some() => return Component::update(self, ctx, Msg::Download { jpeg: false }),
            Msg::Shortcut(zoom @ (Shortcut::ZoomIn | Shortcut::ZoomOut)) => {
                // About the middle of what is in view of the picture.
                let Some(view) = self.compare_box.cast::<web_sys::Element>().map(|e| e.get_bounding_client_rect()) else { return false };
                let factor = if zoom == Shortcut::ZoomIn { KEY_ZOOM_STEP } else { 1.0 / KEY_ZOOM_STEP };
                return self.zoom_by(factor, view.left() + view.width() / 2.0, view.top() + view.height() / 2.0);
            }
            Msg::Shortcut(Shortcut::ZoomFit) => {
                let changed = self.zoom.is_some();
                self.zoom = None;
                self.pending_scroll = None;
                return changed;
            }
            Msg::Shortcut(Shortcut::FullScreen) | Msg::ToggleFullScreen if self.painted.is_some() => {
                let entering = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.fullscreen_element().is_none());
                toggle_full_screen(&self.compare_box);
                // Full screen shows the picture at the screen's size: a smaller painting is
                // painted again at the size that fills it (never less than the one chosen).
                let screen_px = web_sys::window().map(|w| {
                    let ratio = w.device_pixel_ratio();
                    let screen = w.screen().ok();
                    let side = screen.map_or(0, |s| s.width().unwrap_or(0).max(s.height().unwrap_or(0)));
                    side as f64 * ratio
                });
                let wanted = screen_px.map(|px| full_screen_side(px, self.session.max_side));
                if let (true, Some(side)) = (entering, wanted) {
                    if side != self.session.max_side {
                        self.session.max_side = side;
                        self.run();
                        return true;
                    }
                }
                return false;
            }
            Msg::Shortcut(_) | Msg::ToggleFullScreen => return false,
            Msg::PeekEnd if self.peeking => self.peeking = false,
            Msg::PeekEnd => return false,
            Msg::Download { jpeg } => {
                if let Err(detail) = self.download(jpeg) {
                    self.error = Some(Problem::Export(detail));
                }
            }
            Msg::JpegQuality(q) => self.jpeg_quality = q,
            Msg::Poster { share: false } => {
                if let Err(detail) = self.poster_canvas().and_then(|c| download_canvas(&c, "image/png", 1.0, &self.poster_name())) {
                    self.error = Some(Problem::Export(detail));
                }
            }
            Msg::Poster { share: true } => {
                self.share_note = None;
                let name = self.poster_name();
                match self.poster_canvas().and_then(|c| canvas_png(&c)).and_then(|png| share_png(png, &name)) {
                    Ok(Some(future)) => ctx.link().send_future(async move { Msg::Shared(future.await) }),
                    Ok(None) => self.share_note = Some(words(self.lang).share_unsupported.into()),
                    Err(e) => self.error = Some(Problem::Export(e)),
                }
            }
            Msg::Share => {
                self.share_note = None;
                match self.share_file() {
                    Ok(Some(future)) => ctx.link().send_future(async move { Msg::Shared(future.await) }),
                    Ok(None) => self.share_note = Some(words(self.lang).share_unsupported.into()),
                    Err(e) => self.error = Some(Problem::Export(e)),
                }
            }
            // A cancelled share sheet is an AbortError: not worth a message.
            Msg::Shared(Err(e)) if !e.contains("AbortError") => self.share_note = Some(problem(self.lang, &Problem::Export(e))),
            Msg::Shared(_) => return false,
            Msg::ToggleLang => {
                self.lang = self.lang.other();
                if let Some(s) = storage() {
                    let _ = s.set_item(LANG_KEY, self.lang.code());
                }
                self.apply_document_settings();
            }
            Msg::ToggleTheme => {
                let dark = !self.dark.unwrap_or_else(prefers_dark);
                self.dark = Some(dark);
                if let Some(s) = storage() {
                    let _ = s.set_item(THEME_KEY, if dark { "dark" } else { "light" });
                }
                self.apply_document_settings();
            }
            Msg::Worker(response) => return self.on_worker(ctx, response),
            Msg::WatchWorker => {
                watch_worker_soon(ctx);
                let Some(silent_ms) = self.worker.watch(js_sys::Date::now(), self.session.jobs.running()) else { return false };
                let seconds = silent_ms.div_ceil(1000);
                let job = self.session.jobs.current();
                self.replace_crashed_worker(job, format!("no answer for {seconds} s"), Problem::WorkerStalled { seconds });
            }
            Msg::HistoryOpened(Ok((db, items))) => {
                self.db = Some(db);
                self.history = items;
                // The visitor's last painting comes back after a reload (unless work began already).
                if let (None, true, Some(newest)) = (&self.painted, self.session.is_empty(), self.history.first()) {
                    ctx.link().send_message(Msg::Reopen(newest.id));
                }
            }
            Msg::HistoryOpened(Err(e)) | Msg::HistoryListed(Err(e)) => {
                // History is a convenience: without a database the studio still works, and the
                // painting on screen stays (it can be downloaded).
                log::warn!("history unavailable: {e}");
                let w = words(self.lang);
                self.history_note =
                    Some(if e.starts_with(history::QUOTA_EXCEEDED) { w.history_full.to_string() } else { format!("{} ({e})", w.history_failed) });
                // What is stored is still listed.
                if let Some(db) = self.db.clone() {
                    ctx.link().send_future(async move {
                        Msg::HistoryRelisted(history::list(&db).await.unwrap_or_default())
                    });
                }
            }
            Msg::HistoryRelisted(items) => self.history = items,
            Msg::HistoryListed(Ok(items)) => {
                self.history = items;
                self.history_note = None;
            }
            Msg::Reopen(id) => {
                let Some(db) = self.db.clone() else { return false };
                ctx.link().send_future(async move { Msg::Reopened { id, result: history::pixels(&db, id).await } });
                return false;
            }
            Msg::Reopened { id, result } => {
                let Some(item) = self.history.iter().find(|h| h.id == id).cloned() else { return false };
                let (w, h) = (item.meta.width, item.meta.height);
                match result.map(|(p, s)| (RgbaImage::from_raw(w, h, p), RgbaImage::from_raw(w, h, s))) {
                    Ok((Some(photo), Some(stylized))) => {
                        let sample = Sample::by_file_name(&item.meta.photo_name);
                        let source = PhotoSource::Pixels(photo.clone());
                        let (requests, settings) =
                            self.session.reopen(item.meta.photo_name.clone(), sample, source, &item.meta.style, item.meta.brush);
                        requests.into_iter().for_each(|r| self.worker.send(r));
                        self.set_chosen(None);
                        self.cancelled = false;
                        self.adjustments = item.meta.adjustments;
                        self.painted = Some(Painted { origin: format!("history-{id}"), photo, stylized, timing: None, cached: false, settings, photo_id: None });
                        self.redraw();
                    }
                    Ok(_) => self.error = Some(Problem::HistoryDamaged),
                    Err(e) => self.error = Some(Problem::History(e)),
                }
            }
            Msg::DeleteEntry(id) => {
                self.change_history(ctx, move |db| async move { history::delete(&db, id).await });
                return false;
            }
            Msg::Dragging(on) => {
                if self.dragging == on {
                    return false;
                }
                self.dragging = on;
            }
            Msg::UpdateReady => self.update_ready = true,
            Msg::ApplyUpdate => {
                apply_update();
                return false;
            }
            Msg::ClearHistory => self.confirm_clear = true,
            Msg::ConfirmClear(clear) => {
                self.confirm_clear = false;
                if clear {
                    self.change_history(ctx, |db| async move { history::clear(&db).await });
                }
            }
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        if self._zoom_listeners.is_empty() {
            if let Some(frame) = self.compare_frame.cast::<web_sys::Element>() {
                let on_zoom = ctx.link().callback(|z: ZoomAt| Msg::Zoom { factor: z.factor, client_x: z.client_x, client_y: z.client_y });
                self._zoom_listeners = zoom_listeners(&frame, on_zoom, ctx.link().callback(Msg::Divider), self.pinching.clone());
            }
        }
        if let (Some((left, top)), Some(container)) = (self.pending_scroll.take(), self.compare_box.cast::<web_sys::Element>()) {
            container.set_scroll_left(left.round() as i32);
            container.set_scroll_top(top.round() as i32);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        self.render(ctx)
    }

}

fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

impl App {
    /// Zoom by `factor` about the window point (x, y): from the fitted view the least zoom is
    /// the fitted one (zooming out past it fits again), the most 8x; the picture point under
    /// (x, y) stays there.
    fn zoom_by(&mut self, factor: f64, x: f64, y: f64) -> bool {
        const MAX_ZOOM: f64 = 8.0;
        let (Some(canvas), Some(container)) =
            (self.result_canvas.cast::<HtmlCanvasElement>(), self.compare_box.cast::<web_sys::Element>())
        else {
            return false;
        };
        if self.painted.is_none() || canvas.width() == 0 || !factor.is_finite() || factor <= 0.0 {
            return false;
        }
        let shown = canvas.get_bounding_client_rect();
        // The zoom asked for last (several gestures can arrive before the page is drawn again);
        // measured on the page while it fits.
        let drawn = shown.width() / canvas.width() as f64;
        let current = self.zoom.unwrap_or(drawn);
        if self.zoom.is_none() {
            self.fit_zoom = drawn.min(1.0);
        }
        let wanted = (current * factor).min(MAX_ZOOM);
        if wanted <= self.fit_zoom * 1.001 {
            let changed = self.zoom.is_some();
            self.zoom = None;
            return changed;
        }
        let (px, py) = ((x - shown.left()) / drawn, (y - shown.top()) / drawn);
        let frame = container.get_bounding_client_rect();
        self.pending_scroll = Some((px * wanted - (x - frame.left()), py * wanted - (y - frame.top())));
        self.zoom = Some(wanted);
        true
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

    /// Keep the new painting in the device's history, from the copies the worker scaled for it
    /// (pictures above 2048 px are kept at 2048).
    fn save_to_history(&self, ctx: &Context<Self>, copies: HistoryCopies) {
        let (Some(_), Some(p)) = (&self.db, &self.painted) else { return };
        let (w, h, photo, stylized) = match copies.scaled {
            Some(scaled) => (scaled.width, scaled.height, scaled.photo, scaled.stylized),
            None => (p.photo.width(), p.photo.height(), p.photo.as_raw().clone(), p.stylized.as_raw().clone()),
        };
        let thumb = copies.thumbnail;
        let thumbnail = match (
            RgbaImage::from_raw(thumb.width, thumb.height, thumb.photo),
            RgbaImage::from_raw(thumb.width, thumb.height, thumb.stylized),
        ) {
            (Some(photo), Some(stylized)) => thumbnail_url(&adjust(&photo, &stylized, self.adjustments)).unwrap_or_default(),
            _ => String::new(),
        };
        let meta = HistoryMeta {
            created_ms: js_sys::Date::now(),
            photo_name: self.session.photo.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
            style: p.settings.style.clone(),
            adjustments: self.adjustments,
            brush: p.settings.brush,
            width: w,
            height: h,
            thumbnail,
            painted_side: Some(p.stylized.width().max(p.stylized.height())),
        };
        // One entry per photo and settings: the new one replaces the same painting made before.
        let replaced = crate::web::history_meta::replaced_by(&self.history, &meta);
        self.change_history(ctx, move |db| async move {
            history::add(&db, &meta, &photo, &stylized).await?;
            for id in replaced {
                history::delete(&db, id).await?;
            }
            Ok(())
        });
    }

    /// Apply a change to the history database, then show the list as it now stands.
    fn change_history<F, Fut>(&self, ctx: &Context<Self>, change: F)
    where
        F: FnOnce(Rc<web_sys::IdbDatabase>) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + 'static,
    {
        let Some(db) = self.db.clone() else { return };
        ctx.link().send_future(async move {
            let result = match change(db.clone()).await {
                Ok(()) => history::list(&db).await,
                Err(e) => Err(e),
            };
            Msg::HistoryListed(result)
        });
    }

    fn apply_document_settings(&self) {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("lang", if self.lang == Lang::Zh { "zh-CN" } else { "en" });
            match self.dark {
                Some(dark) => {
                    let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
                }
                None => {
                    let _ = root.remove_attribute("data-theme");
                }
            }
        }
    }

    /// The brush of the controls is the one the next visit starts with.
    fn remember_brush(&self) {
        if let Some(s) = storage() {
            let _ = s.set_item(BRUSH_KEY, &self.session.brush.size().to_string());
        }
    }

    /// Ask the worker for a new painting of the current photo (or of the photo being read, once
    /// it is here).
    fn run(&mut self) {
        let page_has = self.painted.as_ref().and_then(Painted::page_has);
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
        self.engine = EngineStatus::Probing;
        self.cpu_threads = 1;
        let again = self.session.after_worker_crash(job);
        again.send.into_iter().for_each(|r| self.worker.send(r));
        if again.gave_up {
            self.set_chosen(None);
            self.error = Some(give_up);
        }
    }

    fn on_worker(&mut self, ctx: &Context<Self>, response: WorkerResponse) -> bool {
        self.worker.heard(js_sys::Date::now());
        match response {
            WorkerResponse::Pong => return false,
            WorkerResponse::Engine(status) => {
                let closed_before = storage().and_then(|s| s.get_item(ENGINE_NOTICE_KEY).ok().flatten());
                if status.cpu_reason().and_then(CpuReason::lasting_key).is_some_and(|key| closed_before.as_deref() == Some(key)) {
                    self.engine_notice_closed = true;
                }
                self.engine = status;
            }
            WorkerResponse::Threads(threads) => self.cpu_threads = threads,
            WorkerResponse::Loading { done, total } => self.loading = (done < total).then_some((done, total)),
            WorkerResponse::Styles(styles) => self.styles = styles,
            WorkerResponse::Progress { job, stage } => return self.session.jobs.progress(job, stage, js_sys::Date::now()),
            WorkerResponse::Done { job, width, height, photo, stylized, photo_is_the_pages, engine, elapsed_ms, cached } => {
                let Some((settings, photo_id)) = self.session.painted(job) else { return false };
                self.set_chosen(None);
                // A style change: the photo is the one the page shows already (the worker checked
                // the id and size the request named).
                let photo = if photo_is_the_pages {
                    self.painted.take().map(|p| p.photo).filter(|p| p.dimensions() == (width, height))
                } else {
                    RgbaImage::from_raw(width, height, photo)
                };
                match (photo, RgbaImage::from_raw(width, height, stylized)) {
                    (Some(photo), Some(stylized)) => {
                        let timing = Some((engine, elapsed_ms));
                        self.painted = Some(Painted { origin: job.to_string(), photo, stylized, timing, cached, settings, photo_id });
                        // The engine's line explained the wait; with the painting here it would only
                        // cover the buttons (the badge keeps saying which engine paints).
                        self.engine_notice_closed = true;
                        self.redraw();
                        // The history's copies follow (`WorkerResponse::History`); a painting shown
                        // again from the worker's cache is in the history already.
                    }
                    _ => self.error = Some(Problem::WrongSize),
                }
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
        }
        true
    }

    fn redraw(&self) {
        let Some(p) = &self.painted else { return };
        let shown = adjust(&p.photo, &p.stylized, self.adjustments);
        let _ = draw(&self.result_canvas, &shown);
        let _ = draw(&self.photo_canvas, &p.photo);
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
