//! What the page remembers on this device (localStorage: language, theme, brush, the engine
//! notice closed) and the document-wide settings they make (lang, theme).

use crate::web::i18n::Lang;

pub(super) const LANG_KEY: &str = "atelier.lang";
pub(super) const THEME_KEY: &str = "atelier.theme";
pub(super) const BRUSH_KEY: &str = "atelier.brush";
/// The lasting reason (`CpuReason::lasting_key`) whose engine notice the visitor closed.
pub(super) const ENGINE_NOTICE_KEY: &str = "atelier.engine-notice-closed";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

pub(super) fn stored(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

pub(super) fn store(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// `store`, saying why where the device refused it (its storage is full, or off).
pub(super) fn store_checked(key: &str, value: &str) -> Result<(), String> {
    let storage = storage().ok_or("no storage on this device")?;
    storage.set_item(key, value).map_err(|e| {
        let name = js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string());
        name.unwrap_or_else(|| format!("{e:?}"))
    })
}

pub(super) fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// The page's language and theme on the document (`lang`, `data-theme`; no theme: the system's).
pub(super) fn apply_to_document(lang: Lang, dark: Option<bool>) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", if lang == Lang::Zh { "zh-CN" } else { "en" });
        let _ = match dark {
            Some(dark) => root.set_attribute("data-theme", if dark { "dark" } else { "light" }),
            None => root.remove_attribute("data-theme"),
        };
    }
}
