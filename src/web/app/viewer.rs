//! The picture: the painting over its photo with the before/after divider, zoom (100 %,
//! Ctrl+wheel, two fingers, + / - / 0), full screen (F) and the peek at the original (hold O).
//! It owns that view state and draws the painting, sliders applied, into the two canvases the
//! page gives it (the page reads them back for downloads and the poster). What comes under the
//! picture (the empty state, the download buttons) is its children.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::{slider_value, Painted};
use crate::pipeline::{adjust, Adjustments};
use crate::web::canvas::draw;
use crate::web::i18n::{words, Lang};
use crate::web::listeners::{key_listeners, zoom_listeners, ZoomAt};
use crate::web::shortcuts::Shortcut;

#[derive(Properties, PartialEq)]
pub struct ViewerProps {
    pub lang: Lang,
    pub painted: Option<Rc<Painted>>,
    pub adjustments: Adjustments,
    /// A photo just chosen is shown in the picture's place until it is painted.
    pub hidden: bool,
    /// The picture on show is a preview whose finest strokes are still being painted.
    #[prop_or_default]
    pub detail_pending: bool,
    /// Where the painting (sliders applied) and its photo are drawn.
    pub result_canvas: NodeRef,
    pub photo_canvas: NodeRef,
    /// The picture went full screen: the screen's long side in device pixels (the page paints
    /// again at that size where the painting is smaller).
    pub on_full_screen: Callback<f64>,
    #[prop_or_default]
    pub children: Html,
}

pub enum ViewerMsg {
    Divider(f32),
    Zoom(ZoomAt),
    /// One canvas pixel per CSS pixel (panned by scrolling), or fitted to the view.
    ToggleActualSize,
    ToggleFullScreen,
    /// A keyboard shortcut; the picture takes the peek, zoom and full-screen keys.
    Shortcut(Shortcut),
    /// The peek key was released, or the window lost the focus while it was held.
    PeekEnd,
}

pub struct Viewer {
    /// CSS pixels per picture pixel while zoomed (1 = 100 %); None: the picture fits the view.
    zoom: Option<f64>,
    /// The zoom at which the picture fits (the least zoom), measured when zooming starts.
    fit_zoom: f64,
    /// Where to scroll the zoomed picture after the next render: the point under the pointer
    /// stays under it.
    pending_scroll: Option<(f64, f64)>,
    /// Two fingers are on the picture: the divider does not follow them.
    pinching: Rc<Cell<bool>>,
    /// Where one finger's gesture on the picture stands (`Swipe`).
    swipe: Rc<Cell<Swipe>>,
    divider: f32,
    /// The original is shown in place of the painting while the peek key is held.
    peeking: bool,
    /// The painting or the sliders changed since the canvases were drawn.
    stale: bool,
    compare_box: NodeRef,
    compare_frame: NodeRef,
    _zoom_listeners: Vec<EventListener>,
    _keys: Vec<EventListener>,
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
/// Returns whether it asked to enter.
fn toggle_full_screen(element: &NodeRef) -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return false };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
        false
    } else if let Some(element) = element.cast::<web_sys::Element>() {
        let _ = element.request_fullscreen();
        true
    } else {
        false
    }
}

/// The screen's long side in device pixels.
fn screen_px() -> Option<f64> {
    let window = web_sys::window()?;
    let screen = window.screen().ok()?;
    let side = screen.width().unwrap_or(0).max(screen.height().unwrap_or(0));
    Some(side as f64 * window.device_pixel_ratio())
}

impl Component for Viewer {
    type Message = ViewerMsg;
    type Properties = ViewerProps;

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link();
        Viewer {
            zoom: None,
            fit_zoom: 1.0,
            pending_scroll: None,
            pinching: Rc::default(),
            swipe: Rc::default(),
            divider: 0.5,
            peeking: false,
            stale: true,
            compare_box: NodeRef::default(),
            compare_frame: NodeRef::default(),
            _zoom_listeners: Vec::new(),
            _keys: key_listeners(link.callback(ViewerMsg::Shortcut), link.callback(|()| ViewerMsg::PeekEnd)),
        }
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &ViewerProps) -> bool {
        let new = ctx.props();
        if new.painted != old.painted || new.adjustments != old.adjustments {
            self.stale = true;
        }
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: ViewerMsg) -> bool {
        let has_picture = ctx.props().painted.is_some();
        match msg {
            ViewerMsg::Divider(v) => self.divider = v,
            ViewerMsg::Zoom(at) => return self.zoom_by(ctx, at.factor, at.client_x, at.client_y),
            ViewerMsg::ToggleActualSize => {
                self.zoom = if self.zoom.is_some() { None } else { Some(1.0) };
                self.pending_scroll = None;
            }
            ViewerMsg::Shortcut(Shortcut::PeekOriginal) if has_picture => self.peeking = true,
            ViewerMsg::Shortcut(zoom @ (Shortcut::ZoomIn | Shortcut::ZoomOut)) => {
                // About the middle of what is in view of the picture.
                let Some(view) = self.compare_box.cast::<web_sys::Element>().map(|e| e.get_bounding_client_rect()) else {
                    return false;
                };
                let factor = if zoom == Shortcut::ZoomIn { KEY_ZOOM_STEP } else { 1.0 / KEY_ZOOM_STEP };
                return self.zoom_by(ctx, factor, view.left() + view.width() / 2.0, view.top() + view.height() / 2.0);
            }
            ViewerMsg::Shortcut(Shortcut::ZoomFit) => {
                let changed = self.zoom.is_some();
                self.zoom = None;
                self.pending_scroll = None;
                return changed;
            }
            ViewerMsg::Shortcut(Shortcut::FullScreen) | ViewerMsg::ToggleFullScreen if has_picture => {
                // Full screen shows the picture at the screen's size: the page paints a smaller
                // painting again at the size that fills it.
                if toggle_full_screen(&self.compare_box) {
                    if let Some(px) = screen_px() {
                        ctx.props().on_full_screen.emit(px);
                    }
                }
                return false;
            }
            ViewerMsg::Shortcut(_) | ViewerMsg::ToggleFullScreen => return false,
            ViewerMsg::PeekEnd if self.peeking => self.peeking = false,
            ViewerMsg::PeekEnd => return false,
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        if self._zoom_listeners.is_empty() {
            if let Some(frame) = self.compare_frame.cast::<web_sys::Element>() {
                let link = ctx.link();
                self._zoom_listeners = zoom_listeners(
                    &frame,
                    link.callback(ViewerMsg::Zoom),
                    link.callback(ViewerMsg::Divider),
                    self.pinching.clone(),
                );
            }
        }
        if self.stale {
            self.stale = false;
            let props = ctx.props();
            if let Some(p) = &props.painted {
                let shown = adjust(&p.photo, &p.stylized, props.adjustments);
                let _ = draw(&props.result_canvas, &shown);
                let _ = draw(&props.photo_canvas, &p.photo);
            }
        }
        if let (Some((left, top)), Some(container)) = (self.pending_scroll.take(), self.compare_box.cast::<web_sys::Element>()) {
            container.set_scroll_left(left.round() as i32);
            container.set_scroll_top(top.round() as i32);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        let w = words(props.lang);
        let link = ctx.link();
        let painted = props.painted.as_deref();
        let actual_size = self.zoom.is_some();
        // The picture's aspect: full screen sizes the frame to it, so the divider spans the
        // picture and not the black bars beside it.
        let aspect = painted.map_or(String::new(), |p| {
            format!("; --aspect: {:.5}", p.stylized.width() as f64 / p.stylized.height().max(1) as f64)
        });
        let zoom_width = match (self.zoom, painted) {
            (Some(z), Some(p)) => format!("; --zoom-width: {:.1}px", p.stylized.width() as f64 * z),
            _ => String::new(),
        };
        html! {
            <figure class="result" data-empty={ painted.is_none().to_string() } hidden={props.hidden}>
                <div class={classes!("compare", actual_size.then_some("actual"), self.peeking.then_some("peek"))} data-testid="compare"
                    ref={self.compare_box.clone()}
                    data-peek={self.peeking.to_string()}
                    data-zoom={ self.zoom.map_or("fit".to_string(), |z| format!("{z:.3}")) }
                    style={format!("--divider: {}%{zoom_width}{aspect}", self.divider * 100.0)}>
                    <div class="frame" ref={self.compare_frame.clone()}
                        onpointerdown={self.on_compare_pointer(ctx)} onpointermove={self.on_compare_pointer(ctx)}>
                        <canvas ref={props.photo_canvas.clone()} class="before" aria-hidden="true" />
                        <canvas ref={props.result_canvas.clone()} class="after" data-testid="result-image"
                            data-state={ match painted {
                                None => "empty",
                                Some(_) if props.detail_pending => "preview",
                                Some(_) => "ready",
                            } }
                            data-job={ painted.map(|p| p.origin.clone()) }
                            data-cached={ painted.map(|p| p.cached.to_string()) } />
                        // The before/after handle lies on the picture itself: drag anywhere on it, or
                        // use the arrow keys. At 100 % the picture pans instead.
                        if !actual_size {
                            <span class="compare-line" aria-hidden="true" />
                            <input class="compare-handle" type="range" min="0" max="100" step="1"
                                value={format!("{}", (self.divider * 100.0).round())}
                                data-testid="compare-handle" aria-label={w.compare}
                                oninput={link.callback(|e: InputEvent| ViewerMsg::Divider(slider_value(&e)))} />
                        }
                    </div>
                    // Shown in full screen only: phones have no Esc key.
                    <button class="exit-full-screen" data-testid="fullscreen-exit"
                        onclick={link.callback(|_| ViewerMsg::ToggleFullScreen)}>{ w.exit_full_screen }</button>
                </div>
                <div class="view-tools" hidden={painted.is_none()}>
                    <button class="ghost" data-testid="zoom-toggle" aria-pressed={actual_size.to_string()}
                        onclick={link.callback(|_| ViewerMsg::ToggleActualSize)}>
                        { if actual_size { w.fit_view } else { w.actual_size } }
                    </button>
                    if let Some(z) = self.zoom {
                        <span class="zoom-level" data-testid="zoom-level">{ format!("{:.0} %", z * 100.0) }</span>
                    }
                    <button class="ghost" data-testid="fullscreen-toggle" onclick={link.callback(|_| ViewerMsg::ToggleFullScreen)}>
                        { w.full_screen }
                    </button>
                    <p class="shortcuts" data-testid="shortcuts">{ w.shortcuts }</p>
                </div>
                if let Some(p) = painted {
                    <figcaption>{ match p.timing {
                        Some(_) if p.cached => format!("{}×{} px · {}", p.stylized.width(), p.stylized.height(), w.shown_again),
                        Some((engine, ms)) => format!("{}×{} px · {} · {ms:.0} ms", p.stylized.width(), p.stylized.height(), engine.label()),
                        None => format!("{}×{} px · {}", p.stylized.width(), p.stylized.height(), w.history),
                    } }</figcaption>
                }
                { props.children.clone() }
            </figure>
        }
    }
}

impl Viewer {
    /// Zoom by `factor` about the window point (x, y): from the fitted view the least zoom is
    /// the fitted one (zooming out past it fits again), the most 8x; the picture point under
    /// (x, y) stays there.
    fn zoom_by(&mut self, ctx: &Context<Self>, factor: f64, x: f64, y: f64) -> bool {
        const MAX_ZOOM: f64 = 8.0;
        let (Some(canvas), Some(container)) =
            (ctx.props().result_canvas.cast::<HtmlCanvasElement>(), self.compare_box.cast::<web_sys::Element>())
        else {
            return false;
        };
        if ctx.props().painted.is_none() || canvas.width() == 0 || !factor.is_finite() || factor <= 0.0 {
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

    /// The divider follows a pointer pressed on the picture (the range input under it is for
    /// keys and screen readers: its thumb would offset the pointer on small pictures).
    /// yew delegates events to its root, so `current_target` is not the frame: a NodeRef is.
    /// Zoomed in, a mouse drag pans the picture instead (touch pans natively).
    /// A finger moves the divider only once its gesture is sideways: a vertical swipe that
    /// starts on the picture scrolls the page (the frame's touch-action lets it) and leaves the
    /// divider where it was.
    fn on_compare_pointer(&self, ctx: &Context<Self>) -> Callback<PointerEvent> {
        let (zoomed, frame_ref, box_ref, pinching, swipe) =
            (self.zoom.is_some(), self.compare_frame.clone(), self.compare_box.clone(), self.pinching.clone(), self.swipe.clone());
        ctx.link().batch_callback(move |e: PointerEvent| {
            if e.buttons() & 1 == 0 || pinching.get() {
                return None;
            }
            if !zoomed && e.pointer_type() == "touch" {
                let (x, y) = (e.client_x() as f64, e.client_y() as f64);
                if e.type_() == "pointerdown" {
                    swipe.set(Swipe::Started { x, y });
                    return None;
                }
                match swipe.get() {
                    Swipe::Sideways => {}
                    Swipe::Started { x: x0, y: y0 } => match classify_swipe(x - x0, y - y0) {
                        Some(Swipe::Sideways) => {
                            swipe.set(Swipe::Sideways);
                            if let Some(frame) = frame_ref.cast::<web_sys::Element>() {
                                let _ = frame.set_pointer_capture(e.pointer_id());
                            }
                        }
                        Some(other) => {
                            swipe.set(other);
                            return None;
                        }
                        None => return None,
                    },
                    Swipe::Idle | Swipe::Vertical => return None,
                }
            }
            if zoomed {
                if e.pointer_type() == "mouse" && e.type_() == "pointermove" {
                    let container: web_sys::Element = box_ref.cast()?;
                    container.set_scroll_left(container.scroll_left() - e.movement_x());
                    container.set_scroll_top(container.scroll_top() - e.movement_y());
                }
                return None;
            }
            let frame: web_sys::Element = frame_ref.cast()?;
            if e.type_() == "pointerdown" {
                e.prevent_default();
                let _ = frame.set_pointer_capture(e.pointer_id());
            }
            let rect = frame.get_bounding_client_rect();
            (rect.width() > 0.0).then(|| ViewerMsg::Divider((((e.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0)) as f32))
        })
    }
}
