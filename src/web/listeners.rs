//! The page's window-wide listeners: files dragged or dropped anywhere on the window, and the
//! keyboard shortcuts (`shortcuts` decides what a key does; this reads the event and the focus).
//! Each hands the app a `Msg`.

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::app::{App, Msg};
use super::shortcuts::{ends_peek, shortcut, KeyPress};

/// Document-level dragover/drop/dragleave: a photo dropped anywhere is taken (the drop zone's own
/// handler runs first and marks the event handled), and the page shows it will take it.
pub fn window_drop_listeners(ctx: &Context<App>) -> Vec<EventListener> {
    use gloo_events::EventListenerOptions;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return Vec::new() };
    let options = EventListenerOptions::enable_prevent_default();
    let over = {
        let link = ctx.link().clone();
        EventListener::new_with_options(&document, "dragover", options, move |event| {
            event.prevent_default();
            link.send_message(Msg::Dragging(true));
        })
    };
    let leave = {
        let link = ctx.link().clone();
        EventListener::new(&document, "dragleave", move |event| {
            // Leaving the window (no element to go to), not just one element for another.
            if event.dyn_ref::<web_sys::DragEvent>().is_some_and(|e| e.related_target().is_none()) {
                link.send_message(Msg::Dragging(false));
            }
        })
    };
    let drop = {
        let link = ctx.link().clone();
        EventListener::new_with_options(&document, "drop", options, move |event| {
            link.send_message(Msg::Dragging(false));
            if event.default_prevented() {
                return;
            }
            event.prevent_default();
            let file = event.dyn_ref::<web_sys::DragEvent>().and_then(|e| e.data_transfer()).and_then(|d| d.files()).and_then(|f| f.get(0));
            if let Some(file) = file {
                link.send_message(Msg::FileChosen(file));
            }
        })
    };
    vec![over, leave, drop]
}

/// The window's keyboard shortcuts (`shortcuts` decides; this only reads the event and the
/// focus). The peek ends on the key's release and when the window loses the focus, so it
/// cannot stick.
pub fn key_listeners(ctx: &Context<App>) -> Vec<EventListener> {
    use gloo_events::EventListenerOptions;
    let Some(window) = web_sys::window() else { return Vec::new() };
    let down = {
        let link = ctx.link().clone();
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
                link.send_message(Msg::Shortcut(found));
            }
        })
    };
    let up = {
        let link = ctx.link().clone();
        EventListener::new(&window, "keyup", move |event| {
            if event.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|e| ends_peek(&e.key())) {
                link.send_message(Msg::PeekEnd);
            }
        })
    };
    let blur = {
        let link = ctx.link().clone();
        EventListener::new(&window, "blur", move |_| link.send_message(Msg::PeekEnd))
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
