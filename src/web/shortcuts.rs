//! The page's keyboard shortcuts, decided without the DOM (so they are tested natively): the
//! app's window listener describes each key press as a `KeyPress` and acts on the `Shortcut`.
//!
//! - Left / Right arrow: the previous / next painting in the gallery (wrapping round).
//! - Hold O: the original photo in place of the painting, while the key is down.
//! - Ctrl+S (Cmd+S on a Mac): download the painting as PNG.
//! - + / -: zoom the picture in / out about its centre; 0: fit it to the view again.
//! - F: the picture full screen (Esc, or F again, leaves).
//!
//! Keys go to a form control first: arrows move a focused slider or menu, letters type into a
//! text field. Saving works everywhere, as it does in other editors.

/// What the page does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    PreviousStyle,
    NextStyle,
    /// Start showing the original (key down); `KeyUp` of the same key ends it.
    PeekOriginal,
    Save,
    ZoomIn,
    ZoomOut,
    ZoomFit,
    FullScreen,
}

/// One keydown, as the listener sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyPress<'a> {
    /// `KeyboardEvent.key`.
    pub key: &'a str,
    /// Ctrl, or Cmd on a Mac.
    pub command: bool,
    pub alt: bool,
    pub shift: bool,
    /// The key is held and the system repeats it.
    pub repeat: bool,
    /// The focus is in a control that takes keys itself (text, slider, menu).
    pub in_control: bool,
}

/// The key that shows the original while it is held.
pub const PEEK_KEY: &str = "o";

/// The shortcut a keydown triggers, if any.
pub fn shortcut(press: &KeyPress) -> Option<Shortcut> {
    if press.command && !press.alt && press.key.eq_ignore_ascii_case("s") {
        return Some(Shortcut::Save);
    }
    if press.command || press.alt || press.in_control {
        return None;
    }
    match press.key {
        "ArrowLeft" if !press.shift => Some(Shortcut::PreviousStyle),
        "ArrowRight" if !press.shift => Some(Shortcut::NextStyle),
        key if key.eq_ignore_ascii_case(PEEK_KEY) && !press.repeat => Some(Shortcut::PeekOriginal),
        // "+" is a shifted key on most layouts, "=" the same key unshifted; both zoom in.
        "+" | "=" => Some(Shortcut::ZoomIn),
        "-" | "_" => Some(Shortcut::ZoomOut),
        "0" if !press.shift => Some(Shortcut::ZoomFit),
        key if key.eq_ignore_ascii_case("f") && !press.repeat && !press.shift => Some(Shortcut::FullScreen),
        _ => None,
    }
}

/// Whether a keyup ends the peek at the original.
pub fn ends_peek(key: &str) -> bool {
    key.eq_ignore_ascii_case(PEEK_KEY)
}

/// The style `step` places from `current` in `ids` (wrapping round); the first or last one
/// when none is chosen yet.
pub fn neighbour<'a>(ids: &[&'a str], current: Option<&str>, step: isize) -> Option<&'a str> {
    if ids.is_empty() {
        return None;
    }
    let n = ids.len() as isize;
    let index = match current.and_then(|c| ids.iter().position(|id| *id == c)) {
        Some(i) => (i as isize + step).rem_euclid(n),
        None if step < 0 => n - 1,
        None => 0,
    };
    Some(ids[index as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> KeyPress<'_> {
        KeyPress { key, ..KeyPress::default() }
    }

    #[test]
    fn arrows_change_the_style_unless_a_control_has_the_focus() {
        assert_eq!(shortcut(&key("ArrowRight")), Some(Shortcut::NextStyle));
        assert_eq!(shortcut(&key("ArrowLeft")), Some(Shortcut::PreviousStyle));
        // A focused slider or menu moves with the arrows instead.
        assert_eq!(shortcut(&KeyPress { in_control: true, ..key("ArrowRight") }), None);
        // Shift+arrow selects text, Alt+arrow goes back in history: not ours.
        assert_eq!(shortcut(&KeyPress { shift: true, ..key("ArrowRight") }), None);
        assert_eq!(shortcut(&KeyPress { alt: true, ..key("ArrowLeft") }), None);
        assert_eq!(shortcut(&key("ArrowUp")), None);
    }

    #[test]
    fn holding_o_peeks_once_and_its_release_ends_it() {
        assert_eq!(shortcut(&key("o")), Some(Shortcut::PeekOriginal));
        assert_eq!(shortcut(&key("O")), Some(Shortcut::PeekOriginal));
        assert_eq!(shortcut(&KeyPress { repeat: true, ..key("o") }), None);
        assert_eq!(shortcut(&KeyPress { in_control: true, ..key("o") }), None);
        assert!(ends_peek("o") && ends_peek("O") && !ends_peek("p"));
    }

    #[test]
    fn ctrl_or_cmd_s_saves_even_from_a_control() {
        for k in ["s", "S"] {
            assert_eq!(shortcut(&KeyPress { command: true, ..key(k) }), Some(Shortcut::Save));
            assert_eq!(shortcut(&KeyPress { command: true, in_control: true, ..key(k) }), Some(Shortcut::Save));
        }
        assert_eq!(shortcut(&key("s")), None);
        assert_eq!(shortcut(&KeyPress { command: true, alt: true, ..key("s") }), None);
    }

    #[test]
    fn plus_minus_zero_zoom_and_f_goes_full_screen() {
        assert_eq!(shortcut(&KeyPress { shift: true, ..key("+") }), Some(Shortcut::ZoomIn));
        assert_eq!(shortcut(&key("=")), Some(Shortcut::ZoomIn));
        assert_eq!(shortcut(&key("-")), Some(Shortcut::ZoomOut));
        assert_eq!(shortcut(&key("0")), Some(Shortcut::ZoomFit));
        assert_eq!(shortcut(&key("f")), Some(Shortcut::FullScreen));
        assert_eq!(shortcut(&key("F")), Some(Shortcut::FullScreen));
        // Ctrl/Cmd with +, - and 0 zoom the whole page: the browser's, not ours.
        for k in ["+", "=", "-", "0"] {
            assert_eq!(shortcut(&KeyPress { command: true, ..key(k) }), None, "{k}");
        }
        // Typing in a field, or a held F, does nothing here.
        assert_eq!(shortcut(&KeyPress { in_control: true, ..key("f") }), None);
        assert_eq!(shortcut(&KeyPress { in_control: true, ..key("-") }), None);
        assert_eq!(shortcut(&KeyPress { repeat: true, ..key("f") }), None);
    }

    #[test]
    fn neighbours_wrap_round_the_gallery() {
        let ids = ["a", "b", "c"];
        assert_eq!(neighbour(&ids, Some("a"), 1), Some("b"));
        assert_eq!(neighbour(&ids, Some("c"), 1), Some("a"));
        assert_eq!(neighbour(&ids, Some("a"), -1), Some("c"));
        assert_eq!(neighbour(&ids, None, 1), Some("a"));
        assert_eq!(neighbour(&ids, None, -1), Some("c"));
        assert_eq!(neighbour(&ids, Some("gone"), 1), Some("a"));
        assert_eq!(neighbour(&[], Some("a"), 1), None);
    }
}
