//! The page's window-wide listeners: files dragged or dropped anywhere on the window, and the
//! keyboard shortcuts (`shortcuts` decides what a key does; this reads the event and the focus),
//! and zooming on the picture. Each reports through the callbacks it is given (the page's
//! messages), and knows nothing of the page's component.

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::shortcuts::{ends_peek, shortcut, KeyPress, Shortcut};

/// A zoom gesture: by `factor` about a point of the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoomAt {
    pub factor: f64,
    pub client_x: f64,
    pub client_y: f64,
}

/// Document-level dragover/drop/dragleave: a photo dropped anywhere is taken (the drop zone's own
/// handler runs first and marks the event handled), and the page shows it will take it.
/// `on_dragging`: a file is over the window (true) or left it (false); `on_file`: one was dropped.
pub fn window_drop_listeners(on_dragging: Callback<bool>, on_file: Callback<web_sys::File>) -> Vec<EventListener> {
    use gloo_events::EventListenerOptions;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return Vec::new() };
    let options = EventListenerOptions::enable_prevent_default();
    let over = {
        let on_dragging = on_dragging.clone();
        EventListener::new_with_options(&document, "dragover", options, move |event| {
            event.prevent_default();
            on_dragging.emit(true);
        })
    };
    let leave = {
        let on_dragging = on_dragging.clone();
        EventListener::new(&document, "dragleave", move |event| {
            // Leaving the window (no element to go to), not just one element for another.
            if event.dyn_ref::<web_sys::DragEvent>().is_some_and(|e| e.related_target().is_none()) {
                on_dragging.emit(false);
            }
        })
    };
    let drop = {
        let (on_dragging, on_file) = (on_dragging.clone(), on_file.clone());
        EventListener::new_with_options(&document, "drop", options, move |event| {
            on_dragging.emit(false);
            if event.default_prevented() {
                return;
            }
            event.prevent_default();
            let file = event.dyn_ref::<web_sys::DragEvent>().and_then(|e| e.data_transfer()).and_then(|d| d.files()).and_then(|f| f.get(0));
            if let Some(file) = file {
                on_file.emit(file);
            }
        })
    };
    vec![over, leave, drop]
}

/// The window's keyboard shortcuts (`shortcuts` decides; this only reads the event and the
/// focus). The peek ends on the key's release and when the window loses the focus, so it
/// cannot stick.
pub fn key_listeners(on_shortcut: Callback<Shortcut>, on_peek_end: Callback<()>) -> Vec<EventListener> {
    use gloo_events::EventListenerOptions;
    let Some(window) = web_sys::window() else { return Vec::new() };
    let down = {
        let on_shortcut = on_shortcut.clone();
        let options = EventListenerOptions::enable_prevent_default();
        EventListener::new_with_options(&window, "keydown", options, move |event| {
            let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
            let key = e.key();
            let press = KeyPress {
                key: &key,
                command: e.ctrl_key() || e.meta_key(),
                alt: e.alt_key(),
                shift: e.shift_key(),
                repeat: e.repeat(),
                in_control: focus_in_control(),
            };
            if let Some(found) = shortcut(&press) {
                // Ctrl+S would otherwise save the page itself; an arrow would scroll it.
                e.prevent_default();
                on_shortcut.emit(found);
            }
        })
    };
    let up = {
        let on_peek_end = on_peek_end.clone();
        EventListener::new(&window, "keyup", move |event| {
            if event.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|e| ends_peek(&e.key())) {
                on_peek_end.emit(());
            }
        })
    };
    let blur = {
        let on_peek_end = on_peek_end.clone();
        EventListener::new(&window, "blur", move |_| on_peek_end.emit(()))
    };
    vec![down, up, blur]
}

/// Whether the focus is in a control that takes keys itself: a text field, slider or menu.
fn focus_in_control() -> bool {
    let Some(active) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element()) else {
        return false;
    };
    match active.tag_name().as_str() {
        // A file picker, checkbox or button keeps no keys for itself (the file input has the
        // focus right after a photo is chosen).
        "INPUT" => !matches!(
            active.get_attribute("type").unwrap_or_default().as_str(),
            "file" | "checkbox" | "radio" | "button" | "submit" | "reset" | "color"
        ),
        "SELECT" | "TEXTAREA" => true,
        _ => active.has_attribute("contenteditable"),
    }
}

/// Move the keyboard focus to a style's card (after an arrow chose it), so the focus ring and
/// the gallery's scroll follow the choice.
pub fn focus_style_card(id: &str) {
    let card = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(&format!("[data-testid=\"style-card-{id}\"]")).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(card) = card {
        let _ = card.focus();
    }
}

/// Zoom gestures on the picture: Ctrl+wheel (a trackpad's pinch arrives as one) and two fingers.
/// Native listeners, not yew's: the page must be able to cancel them (yew's wheel listener is
/// passive), or the browser zooms the whole page. While two fingers are down `pinching` is set,
/// so the before/after divider does not follow them.
/// `on_divider`: two fingers that stop pinching leave the divider where the second one lifted.
pub fn zoom_listeners(
    frame: &web_sys::Element,
    on_zoom: Callback<ZoomAt>,
    on_divider: Callback<f32>,
    pinching: Rc<Cell<bool>>,
) -> Vec<EventListener> {
    use gloo_events::EventListenerOptions;
    let options = EventListenerOptions::enable_prevent_default();
    let wheel = {
        let on_zoom = on_zoom.clone();
        EventListener::new_with_options(frame, "wheel", options, move |event| {
            let Some(e) = event.dyn_ref::<web_sys::WheelEvent>() else { return };
            if !e.ctrl_key() {
                return; // a plain wheel scrolls the page
            }
            e.prevent_default();
            // Lines and pages as pixels; one notch (about 100 px) zooms by about 1.2x.
            let pixels = match e.delta_mode() {
                1 => e.delta_y() * 16.0,
                2 => e.delta_y() * 400.0,
                _ => e.delta_y(),
            };
            let factor = (-pixels.clamp(-300.0, 300.0) / 550.0).exp();
            on_zoom.emit(ZoomAt { factor, client_x: e.client_x() as f64, client_y: e.client_y() as f64 });
        })
    };
    // The fingers on the picture: (pointer id, x, y).
    let fingers: Rc<RefCell<Vec<(i32, f64, f64)>>> = Rc::default();
    // Where the divider was when the first finger landed (that finger moves it; a pinch puts
    // it back). Read from the page: this runs before the app's own handler, which is delegated.
    let divider_at_touch: Rc<Cell<Option<f32>>> = Rc::default();
    let down = {
        let (fingers, pinching, on_divider, frame) = (fingers.clone(), pinching.clone(), on_divider.clone(), frame.clone());
        EventListener::new(&frame.clone(), "pointerdown", move |event| {
            let Some(e) = event.dyn_ref::<web_sys::PointerEvent>() else { return };
            if e.pointer_type() != "touch" {
                return;
            }
            let mut fingers = fingers.borrow_mut();
            fingers.retain(|f| f.0 != e.pointer_id());
            fingers.push((e.pointer_id(), e.client_x() as f64, e.client_y() as f64));
            match fingers.len() {
                1 => divider_at_touch.set(
                    frame
                        .query_selector(".compare-handle")
                        .ok()
                        .flatten()
                        .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok())
                        .and_then(|input| input.value().parse::<f32>().ok()),
                ),
                2 => {
                    if let Some(percent) = divider_at_touch.get() {
                        on_divider.emit(percent / 100.0);
                    }
                }
                _ => {}
            }
            pinching.set(fingers.len() >= 2);
        })
    };
    let moved = {
        let fingers = fingers.clone();
        EventListener::new_with_options(frame, "pointermove", options, move |event| {
            let Some(e) = event.dyn_ref::<web_sys::PointerEvent>() else { return };
            let mut fingers = fingers.borrow_mut();
            let Some(at) = fingers.iter().position(|f| f.0 == e.pointer_id()) else { return };
            let spread = |f: &[(i32, f64, f64)]| ((f[0].1 - f[1].1).powi(2) + (f[0].2 - f[1].2).powi(2)).sqrt();
            let before = (fingers.len() == 2).then(|| spread(&fingers));
            fingers[at] = (e.pointer_id(), e.client_x() as f64, e.client_y() as f64);
            if let Some(before) = before.filter(|&d| d > 8.0) {
                e.prevent_default();
                let (x, y) = ((fingers[0].1 + fingers[1].1) / 2.0, (fingers[0].2 + fingers[1].2) / 2.0);
                on_zoom.emit(ZoomAt { factor: spread(&fingers) / before, client_x: x, client_y: y });
            }
        })
    };
    let mut listeners = vec![wheel, down, moved];
    for name in ["pointerup", "pointercancel"] {
        let (fingers, pinching) = (fingers.clone(), pinching.clone());
        listeners.push(EventListener::new(frame, name, move |event| {
            let Some(e) = event.dyn_ref::<web_sys::PointerEvent>() else { return };
            let mut fingers = fingers.borrow_mut();
            fingers.retain(|f| f.0 != e.pointer_id());
            // The divider stays put until the last finger is lifted.
            if fingers.is_empty() {
                pinching.set(false);
            }
        }));
    }
    listeners
}

/// Pasting a photo anywhere on the page.
pub fn paste_listener(on_file: Callback<web_sys::File>) -> Option<EventListener> {
    let document = web_sys::window().and_then(|w| w.document())?;
    Some(EventListener::new(&document, "paste", move |event| {
        let file = event
            .dyn_ref::<web_sys::ClipboardEvent>()
            .and_then(|e| e.clipboard_data())
            .and_then(|d| d.files())
            .and_then(|f| f.get(0));
        if let Some(file) = file {
            on_file.emit(file);
        }
    }))
}
