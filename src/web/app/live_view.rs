//! The live camera view: the camera's frames painted as they come, in the chosen style with the
//! sliders, and "Take picture" to paint a frame at full size as a photo of the studio.
//!
//! The page keeps at most one frame at the worker: the next is grabbed from the camera only when
//! the last comes back, so a slow device drops frames rather than queueing them, and what is on
//! show is never more than about one painting behind the camera. The size of the frames follows
//! the rate (`live::LiveRate`); steadying a still scene is the worker's (`live::Steadier`).
//! Closing the view, hiding the tab or leaving stops the camera.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream};
use yew::prelude::*;

use crate::engine::EngineKind;
use crate::live::{frame_size, LiveRate, SizeChange};
use crate::model::StyleChoice;
use crate::pipeline::Adjustments;
use crate::protocol::{WorkerRequest, WorkerResponse};
use crate::web::camera::CameraProblem;
use crate::web::i18n::{words, Lang, Problem};

/// Where the App hands the live view the worker's answers about frames.
pub type LiveInbox = Rc<RefCell<Option<Callback<WorkerResponse>>>>;

#[derive(Properties)]
pub struct LiveProps {
    pub lang: Lang,
    /// The style the studio has chosen (None while the styles load).
    pub style: Option<StyleChoice>,
    pub adjustments: Adjustments,
    pub send: Callback<WorkerRequest>,
    pub inbox: LiveInbox,
    /// "Take picture": the camera's frame at its full size, as a PNG file.
    pub on_capture: Callback<web_sys::File>,
    /// The view is done: closed by the visitor or the tab hidden (None), or a problem to say.
    pub on_close: Callback<Option<Problem>>,
}

impl PartialEq for LiveProps {
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang
            && self.style == other.style
            && self.adjustments == other.adjustments
            && Rc::ptr_eq(&self.inbox, &other.inbox)
    }
}

pub enum LiveMsg {
    Opened(Result<MediaStream, CameraProblem>),
    /// The cameras' device ids (after permission, when the browser tells).
    Cameras(Vec<String>),
    /// Try to send a frame (the video is ready, a frame came back, or a wait ended).
    Pump,
    Reply(WorkerResponse),
    Switch,
    Capture,
    Close,
    /// The camera's track ended while open.
    TrackEnded,
    Hidden,
}

pub struct LiveView {
    video: NodeRef,
    canvas: NodeRef,
    /// Where frames are scaled to the live size before they go to the worker.
    grab: Option<HtmlCanvasElement>,
    stream: Option<MediaStream>,
    /// The track's `ended` listeners and the page's `visibilitychange`.
    listeners: Vec<EventListener>,
    rate: LiveRate,
    next_frame: u64,
    /// The frame at the worker, and when it was sent.
    in_flight: Option<(u64, f64)>,
    last_shown: Option<f64>,
    shown: u64,
    size_note: Option<SizeChange>,
    engine: Option<EngineKind>,
    /// The camera in use faces the visitor (mirrored on screen, as a mirror is).
    front: bool,
    /// The camera in use, and every camera's device id: the switch goes to the next.
    device: Option<String>,
    cameras: Vec<String>,
    /// A pump is already waiting on a timer.
    pump_waiting: bool,
    /// The worker's time for the last frame (for the benchmark: the rest is the page's).
    paint_ms: f64,
    /// False once the view is gone: a camera that opens after that (the visitor closed the view
    /// during the browser's question) is stopped at once, not left on.
    alive: Rc<std::cell::Cell<bool>>,
}

impl Component for LiveView {
    type Message = LiveMsg;
    type Properties = LiveProps;

    fn create(ctx: &Context<Self>) -> Self {
        *ctx.props().inbox.borrow_mut() = Some(ctx.link().callback(LiveMsg::Reply));
        let on_hidden = ctx.link().callback(|()| LiveMsg::Hidden);
        let visibility = web_sys::window().and_then(|w| w.document()).map(|document| {
            let watched = document.clone();
            EventListener::new(&document, "visibilitychange", move |_| {
                if watched.hidden() {
                    on_hidden.emit(());
                }
            })
        });
        let alive = Rc::new(std::cell::Cell::new(true));
        open_camera(ctx, None, &alive);
        LiveView {
            video: NodeRef::default(),
            canvas: NodeRef::default(),
            grab: None,
            stream: None,
            listeners: visibility.into_iter().collect(),
            rate: live_side_switch().map_or_else(LiveRate::default, LiveRate::fixed),
            next_frame: 1,
            in_flight: None,
            last_shown: None,
            shown: 0,
            size_note: None,
            engine: None,
            front: false,
            device: None,
            cameras: Vec::new(),
            pump_waiting: false,
            paint_ms: 0.0,
            alive,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: LiveMsg) -> bool {
        match msg {
            LiveMsg::Opened(Ok(stream)) => {
                self.stop_camera();
                if let Some(video) = self.video.cast::<HtmlVideoElement>() {
                    video.set_src_object(Some(&stream));
                    let _ = video.play();
                }
                // A camera unplugged or taken while the view is open ends its track.
                for track in stream.get_tracks().iter().filter_map(|t| t.dyn_into::<web_sys::EventTarget>().ok()) {
                    let on_ended = ctx.link().callback(|()| LiveMsg::TrackEnded);
                    self.listeners.push(EventListener::new(&track, "ended", move |_| on_ended.emit(())));
                }
                self.device = track_setting(&stream, "deviceId");
                self.front = track_setting(&stream, "facingMode").as_deref() == Some("user");
                self.stream = Some(stream);
                count_cameras(ctx);
                ctx.link().send_message(LiveMsg::Pump);
            }
            LiveMsg::Opened(Err(problem)) => {
                ctx.props().on_close.emit(Some(Problem::Camera(problem)));
                return false;
            }
            LiveMsg::Cameras(ids) => self.cameras = ids,
            LiveMsg::Pump => {
                self.pump_waiting = false;
                self.pump(ctx);
                return false;
            }
            LiveMsg::Reply(response) => return self.on_reply(ctx, response),
            LiveMsg::Switch => {
                // The next camera by its id: facing modes are not reported by every camera
                // (laptops' and external ones), ids always are.
                let at = self.device.as_ref().and_then(|d| self.cameras.iter().position(|c| c == d)).unwrap_or(0);
                let Some(next) = self.cameras.get((at + 1) % self.cameras.len().max(1)).cloned() else { return false };
                self.stop_camera();
                ctx.props().send.emit(WorkerRequest::LiveStop);
                open_camera(ctx, Some(next), &self.alive);
            }
            LiveMsg::Capture => {
                let Some(video) = self.video.cast::<HtmlVideoElement>() else { return false };
                let on_capture = ctx.props().on_capture.clone();
                let on_close = ctx.props().on_close.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match capture(&video).await {
                        Ok(file) => on_capture.emit(file),
                        Err(detail) => on_close.emit(Some(Problem::Camera(CameraProblem::Other(detail)))),
                    }
                });
                return false;
            }
            LiveMsg::Close | LiveMsg::Hidden => {
                ctx.props().on_close.emit(None);
                return false;
            }
            LiveMsg::TrackEnded => {
                // Our own stop (switching cameras) ends tracks too: only a track of the stream
                // in use counts.
                if self.stream.is_some() {
                    ctx.props().on_close.emit(Some(Problem::Camera(CameraProblem::Lost)));
                }
                return false;
            }
        }
        true
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &LiveProps) -> bool {
        // A style or the sliders changed: the next frame has them (one is always on its way).
        if old.style.is_none() && ctx.props().style.is_some() {
            ctx.link().send_message(LiveMsg::Pump);
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let w = words(ctx.props().lang);
        let link = ctx.link();
        let rate = match self.rate.fps() {
            Some(fps) => {
                let text = w.live_rate.replace("{fps}", &format!("{fps:.1}")).replace("{side}", &self.rate.side().to_string());
                match self.size_note {
                    Some(SizeChange::Smaller) => format!("{text} · {}", w.live_smaller),
                    Some(SizeChange::Larger) => format!("{text} · {}", w.live_larger),
                    None => text,
                }
            }
            None if self.stream.is_some() => w.live_first.to_string(),
            None => w.live_opening.to_string(),
        };
        let engine = self.engine.map(|e| e.label()).unwrap_or_default();
        html! {
            <section class="live-view" data-testid="live-view" aria-label={w.live_title}>
                // The camera's own picture is not shown: only the painting is.
                <video ref={self.video.clone()} class="live-source" muted=true autoplay=true playsinline=true
                    data-testid="live-video" />
                <canvas ref={self.canvas.clone()} class={classes!("live-canvas", self.front.then_some("mirrored"))}
                    data-testid="live-canvas" data-frames={self.shown.to_string()} data-engine={engine}
                    data-paint-ms={format!("{:.1}", self.paint_ms)} />
                <div class="live-bar">
                    // Not a live region: it changes with every frame, which would chatter to a screen reader.
                    <span class="live-fps" data-testid="live-fps">{ rate }</span>
                    <button class="primary" data-testid="live-capture" onclick={link.callback(|_| LiveMsg::Capture)}
                        disabled={self.stream.is_none()}>{ w.live_capture }</button>
                    if self.cameras.len() > 1 {
                        <button data-testid="live-switch" onclick={link.callback(|_| LiveMsg::Switch)}>{ w.live_switch }</button>
                    }
                    <button data-testid="live-close" onclick={link.callback(|_| LiveMsg::Close)}>{ w.live_close }</button>
                </div>
                <p class="live-private">{ w.live_private }</p>
            </section>
        }
    }

    fn destroy(&mut self, ctx: &Context<Self>) {
        self.alive.set(false);
        self.stop_camera();
        ctx.props().inbox.borrow_mut().take();
        ctx.props().send.emit(WorkerRequest::LiveStop);
    }
}

impl LiveView {
    /// Stop every track (the browser's camera indicator goes off) and forget the stream.
    fn stop_camera(&mut self) {
        if let Some(stream) = self.stream.take() {
            stop_tracks(&stream);
        }
        // Keep the visibility listener (the first), drop the tracks'.
        self.listeners.truncate(1);
        if let Some(video) = self.video.cast::<HtmlVideoElement>() {
            video.set_src_object(None);
        }
    }

    /// Send the camera's current frame at the live size, unless one is at the worker.
    fn pump(&mut self, ctx: &Context<Self>) {
        // One frame at the worker at most, however long it takes (SwiftShader: seconds): the
        // next is the camera's frame of the moment it comes back. A replaced worker answers
        // every frame it lost with NotReady (`App::replace_crashed_worker`).
        if self.in_flight.is_some() {
            return;
        }
        let now = js_sys::Date::now();
        let (Some(video), Some(style)) = (self.video.cast::<HtmlVideoElement>(), ctx.props().style.clone()) else {
            return self.pump_later(ctx, 100);
        };
        // HAVE_CURRENT_DATA: a frame to draw.
        if self.stream.is_none() || video.ready_state() < 2 || video.video_width() == 0 {
            return self.pump_later(ctx, 50);
        }
        let (w, h) = frame_size(video.video_width(), video.video_height(), self.rate.side());
        let Some(rgba) = self.grab_frame(&video, w, h) else { return self.pump_later(ctx, 200) };
        let frame = self.next_frame;
        self.next_frame += 1;
        self.in_flight = Some((frame, now));
        let adjustments = ctx.props().adjustments;
        ctx.props().send.emit(WorkerRequest::LiveFrame { frame, width: w, height: h, rgba, style, adjustments });
    }

    fn pump_later(&mut self, ctx: &Context<Self>, ms: u64) {
        if std::mem::replace(&mut self.pump_waiting, true) {
            return;
        }
        ctx.link().send_future(async move {
            yew::platform::time::sleep(std::time::Duration::from_millis(ms)).await;
            LiveMsg::Pump
        });
    }

    /// The video's frame scaled to `w` x `h`, as RGBA.
    fn grab_frame(&mut self, video: &HtmlVideoElement, w: u32, h: u32) -> Option<Vec<u8>> {
        if self.grab.is_none() {
            self.grab = web_sys::window()?.document()?.create_element("canvas").ok()?.dyn_into().ok();
        }
        let canvas = self.grab.as_ref()?;
        if canvas.width() != w || canvas.height() != h {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        let context = context_2d(canvas, true)?;
        context.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w as f64, h as f64).ok()?;
        Some(context.get_image_data(0.0, 0.0, w as f64, h as f64).ok()?.data().0)
    }

    fn on_reply(&mut self, ctx: &Context<Self>, response: WorkerResponse) -> bool {
        match response {
            WorkerResponse::LiveFrame { frame, width, height, rgba, engine, elapsed_ms } => {
                self.paint_ms = elapsed_ms;
                if self.in_flight.is_some_and(|(f, _)| f == frame) {
                    self.in_flight = None;
                }
                self.show(width, height, rgba);
                self.engine = Some(engine);
                let now = js_sys::Date::now();
                if let Some(last) = self.last_shown.replace(now) {
                    if let Some(change) = self.rate.shown(now - last) {
                        self.size_note = Some(change);
                    }
                }
                self.shown += 1;
                self.pump(ctx);
                true
            }
            WorkerResponse::LiveFailed { frame, error } => {
                match error {
                    // The package is still loading, or the worker was replaced and lost the
                    // frame (frame 0: whichever was on its way): try again shortly.
                    crate::studio::StudioError::NotReady => {
                        if frame == 0 || self.in_flight.is_some_and(|(f, _)| f == frame) {
                            self.in_flight = None;
                        }
                        self.pump_later(ctx, 300);
                        false
                    }
                    error => {
                        self.in_flight = None;
                        ctx.props().on_close.emit(Some(Problem::Studio(error)));
                        false
                    }
                }
            }
            _ => false,
        }
    }

    /// Put a painted frame on the canvas: its pixels at their own size, which the page's CSS
    /// scales to the view (the browser's smoothing upsamples it).
    fn show(&self, width: u32, height: u32, rgba: Vec<u8>) {
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else { return };
        if canvas.width() != width || canvas.height() != height {
            canvas.set_width(width);
            canvas.set_height(height);
        }
        let Some(context) = context_2d(&canvas, false) else { return };
        if let Ok(data) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width, height) {
            let _ = context.put_image_data(&data, 0.0, 0.0);
        }
    }
}

fn context_2d(canvas: &HtmlCanvasElement, read_back: bool) -> Option<CanvasRenderingContext2d> {
    let options = js_sys::Object::new();
    if read_back {
        let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into());
    }
    canvas.get_context_with_context_options("2d", &options).ok()??.dyn_into().ok()
}

/// Ask for a camera (`device`, or the rear one where the device says which that is): a
/// `getUserMedia` call through `Reflect`, so that a browser without `navigator.mediaDevices` (an
/// insecure page) is an error like the others.
fn open_camera(ctx: &Context<LiveView>, device: Option<String>, alive: &Rc<std::cell::Cell<bool>>) {
    let on_opened = ctx.link().callback(LiveMsg::Opened);
    let alive = alive.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let opened = get_user_media(device).await.map_err(|e| camera_problem(&e));
        match opened {
            Ok(stream) if !alive.get() => stop_tracks(&stream),
            opened => on_opened.emit(opened),
        }
    });
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

async fn get_user_media(device: Option<String>) -> Result<MediaStream, JsValue> {
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let devices = js_sys::Reflect::get(&navigator, &"mediaDevices".into())?;
    if devices.is_undefined() || devices.is_null() {
        return Err(js_sys::TypeError::new("navigator.mediaDevices is missing").into());
    }
    let get: js_sys::Function = js_sys::Reflect::get(&devices, &"getUserMedia".into())?.dyn_into()?;
    let ideal = |value: JsValue| {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"ideal".into(), &value);
        o
    };
    let video = js_sys::Object::new();
    match device {
        Some(id) => {
            let exact = js_sys::Object::new();
            js_sys::Reflect::set(&exact, &"exact".into(), &id.into())?;
            js_sys::Reflect::set(&video, &"deviceId".into(), &exact)?;
        }
        None => {
            js_sys::Reflect::set(&video, &"facingMode".into(), &ideal("environment".into()))?;
        }
    }
    // As large as the camera gives easily: "Take picture" keeps the frame at this size.
    js_sys::Reflect::set(&video, &"width".into(), &ideal(1920.into()))?;
    js_sys::Reflect::set(&video, &"height".into(), &ideal(1080.into()))?;
    let constraints = js_sys::Object::new();
    js_sys::Reflect::set(&constraints, &"video".into(), &video)?;
    js_sys::Reflect::set(&constraints, &"audio".into(), &false.into())?;
    let promise: js_sys::Promise = get.call1(&devices, &constraints)?.dyn_into()?;
    JsFuture::from(promise).await?.dyn_into()
}

fn camera_problem(error: &JsValue) -> CameraProblem {
    let text = |key: &str| js_sys::Reflect::get(error, &key.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let (name, message) = (text("name"), text("message"));
    if name.is_empty() && message.is_empty() {
        return CameraProblem::Other(error.as_string().unwrap_or_else(|| format!("{error:?}")));
    }
    CameraProblem::from_error(&name, &message)
}

/// The cameras' device ids (after permission, when the browser tells): more than one shows the
/// switch.
fn count_cameras(ctx: &Context<LiveView>) {
    let on_cameras = ctx.link().callback(LiveMsg::Cameras);
    wasm_bindgen_futures::spawn_local(async move {
        let ids = async {
            let navigator = web_sys::window()?.navigator();
            let devices = js_sys::Reflect::get(&navigator, &"mediaDevices".into()).ok()?;
            let list: js_sys::Function = js_sys::Reflect::get(&devices, &"enumerateDevices".into()).ok()?.dyn_into().ok()?;
            let promise: js_sys::Promise = list.call0(&devices).ok()?.dyn_into().ok()?;
            let found: js_sys::Array = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
            let text = |d: &JsValue, key: &str| js_sys::Reflect::get(d, &key.into()).ok().and_then(|k| k.as_string());
            Some(found.iter().filter(|d| text(d, "kind").as_deref() == Some("videoinput")).filter_map(|d| text(&d, "deviceId")).collect())
        }
        .await;
        on_cameras.emit(ids.unwrap_or_default());
    });
}

/// A track's setting (`deviceId`, `facingMode`) where the browser reports it.
fn track_setting(stream: &MediaStream, key: &str) -> Option<String> {
    let track = stream.get_video_tracks().get(0);
    let settings: js_sys::Function = js_sys::Reflect::get(&track, &"getSettings".into()).ok()?.dyn_into().ok()?;
    js_sys::Reflect::get(&settings.call0(&track).ok()?, &key.into()).ok()?.as_string()
}

/// The video's current frame at its full size, as a PNG file.
async fn capture(video: &HtmlVideoElement) -> Result<web_sys::File, String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return Err("no frame yet".into());
    }
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let canvas: HtmlCanvasElement = document.create_element("canvas").map_err(|e| format!("{e:?}"))?.unchecked_into();
    canvas.set_width(w);
    canvas.set_height(h);
    let context = context_2d(&canvas, false).ok_or("no 2d context")?;
    context.draw_image_with_html_video_element(video, 0.0, 0.0).map_err(|e| format!("{e:?}"))?;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if canvas.to_blob_with_type(&resolve, "image/png").is_err() {
            let _ = reject.call0(&JsValue::UNDEFINED);
        }
    });
    let blob: web_sys::Blob = JsFuture::from(promise).await.map_err(|e| format!("{e:?}"))?.dyn_into().map_err(|_| "no picture from the camera".to_string())?;
    let mut options = web_sys::FilePropertyBag::new();
    options.type_("image/png");
    let name = format!("camera-{}.png", js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default().replace([':', '.'], "-"));
    web_sys::File::new_with_blob_sequence_and_options(&js_sys::Array::of1(&blob), &name, &options).map_err(|e| format!("{e:?}"))
}

/// The page's switch for benchmarks and tests: `?atelier-live-side=N` paints every frame at N px.
fn live_side_switch() -> Option<u32> {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix("atelier-live-side=")).and_then(|s| s.parse().ok())
}
