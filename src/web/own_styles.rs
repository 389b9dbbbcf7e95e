//! The visitor's own styles as the page keeps them (issue 33): learned here or opened from a
//! style file or a link, shown after the gallery's paintings, kept on the device between visits.
//! DOM-free (the page's `own_store` reads and writes the storage), tested natively.

use serde::{Deserialize, Serialize};

use crate::model::package::{Localized, StyleEntry};
use crate::protocol::OwnStyleInfo;

/// What the page keeps on the device: the style files, oldest first.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    styles: Vec<String>,
}

/// At most this many own styles are kept: each is ~25 KB of storage, and a gallery longer than
/// this is a list nobody scrolls.
pub const MAX_OWN_STYLES: usize = 24;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnShelf {
    styles: Vec<OwnStyleInfo>,
    /// The style of the painting being learned: shown and painted with, not kept until finished.
    learning: Option<String>,
}

impl OwnShelf {
    pub fn styles(&self) -> &[OwnStyleInfo] {
        &self.styles
    }

    pub fn get(&self, id: &str) -> Option<&OwnStyleInfo> {
        self.styles.iter().find(|s| s.id == id)
    }

    /// Whether `id` is the style still being learned.
    pub fn is_learning(&self, id: &str) -> bool {
        self.learning.as_deref() == Some(id)
    }

    /// Add a kept style (a saved one, an import, a link, a finished learning); the same style
    /// again (same id) replaces the one there. False where the shelf is full.
    pub fn put(&mut self, style: OwnStyleInfo) -> bool {
        if let Some(there) = self.styles.iter_mut().find(|s| s.id == style.id) {
            *there = style;
            return true;
        }
        if self.kept().count() >= MAX_OWN_STYLES {
            return false;
        }
        self.styles.push(style);
        true
    }

    /// A step of learning: `style` takes the place of `replaces` (the step before), or comes as
    /// the first. `finished`: from now on it is kept like any other.
    pub fn learned(&mut self, style: OwnStyleInfo, replaces: Option<&str>, finished: bool) -> bool {
        let id = style.id.clone();
        let at = replaces.and_then(|old| self.styles.iter().position(|s| s.id == old));
        match at {
            Some(at) => {
                self.styles[at] = style;
                // The same row learned twice: keep one.
                if let Some(twin) = self.styles.iter().enumerate().position(|(i, s)| i != at && s.id == id) {
                    self.styles.remove(twin);
                }
            }
            None => {
                self.styles.retain(|s| s.id != id);
                self.styles.push(style);
            }
        }
        self.learning = (!finished).then_some(id);
        true
    }

    /// Learning ended without a style (it failed or was stopped before its first guess), or the
    /// one being learned is dropped.
    pub fn learning_ended(&mut self) {
        if let Some(id) = self.learning.take() {
            self.styles.retain(|s| s.id != id);
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<OwnStyleInfo> {
        let at = self.styles.iter().position(|s| s.id == id)?;
        if self.learning.as_deref() == Some(id) {
            self.learning = None;
        }
        Some(self.styles.remove(at))
    }

    fn kept(&self) -> impl Iterator<Item = &OwnStyleInfo> {
        self.styles.iter().filter(|s| self.learning.as_deref() != Some(s.id.as_str()))
    }

    /// The text the page stores: every kept style's file (the one being learned is not kept).
    pub fn to_stored(&self) -> String {
        let styles = self.kept().map(|s| String::from_utf8_lossy(&s.file).into_owned()).collect();
        serde_json::to_string(&Stored { styles }).unwrap_or_default()
    }

    /// The style files in a stored text, each still to be checked by the worker; nothing from
    /// text that is not the page's.
    pub fn files_from_stored(text: &str) -> Vec<Vec<u8>> {
        let stored: Stored = serde_json::from_str(text).unwrap_or_default();
        stored.styles.into_iter().take(MAX_OWN_STYLES).map(String::into_bytes).collect()
    }

    /// The gallery's entries for the own styles, after the package's.
    pub fn entries(&self) -> Vec<StyleEntry> {
        self.styles.iter().map(own_entry).collect()
    }
}

/// An own style as a gallery entry, so the gallery, the mix list, the history and the poster
/// ("after your painting") treat it as any other.
pub fn own_entry(style: &OwnStyleInfo) -> StyleEntry {
    let same = |text: &str| Localized { en: text.to_string(), zh: text.to_string() };
    StyleEntry {
        id: style.id.clone(),
        index: usize::MAX,
        name: same(&style.name),
        description: Localized {
            en: "Learned from your painting, on this device.".into(),
            zh: "在本设备上从你的画中学来的风格。".into(),
        },
        artist: Localized { en: "your painting".into(), zh: "你的画".into() },
        title: same(&style.name),
        year: String::new(),
        thumbnail: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(id: &str, name: &str) -> OwnStyleInfo {
        OwnStyleInfo { id: id.into(), name: name.into(), thumbnail: vec![1, 2], file: format!("{{\"name\":\"{name}\"}}").into_bytes() }
    }

    #[test]
    fn learning_replaces_its_steps_and_is_kept_once_finished() {
        let mut shelf = OwnShelf::default();
        shelf.put(style("own-a", "Harbour"));
        shelf.learned(style("own-1", "Mine"), None, false);
        assert!(shelf.is_learning("own-1"));
        assert_eq!(OwnShelf::files_from_stored(&shelf.to_stored()).len(), 1, "not kept while learning");
        shelf.learned(style("own-2", "Mine"), Some("own-1"), false);
        let ids: Vec<&str> = shelf.styles().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["own-a", "own-2"], "a step takes the place of the one before");
        shelf.learned(style("own-3", "Mine"), Some("own-2"), true);
        assert!(!shelf.is_learning("own-3"));
        let stored = OwnShelf::files_from_stored(&shelf.to_stored());
        assert_eq!(stored, vec![style("own-a", "Harbour").file, style("own-3", "Mine").file]);
        // Learned to a row the shelf has already: one card, not two.
        shelf.learned(style("own-4", "Again"), None, false);
        shelf.learned(style("own-a", "Again"), Some("own-4"), true);
        assert_eq!(shelf.styles().iter().filter(|s| s.id == "own-a").count(), 1);
        assert!(shelf.get("own-4").is_none());
    }

    #[test]
    fn a_learning_that_ends_without_a_style_leaves_nothing() {
        let mut shelf = OwnShelf::default();
        shelf.learned(style("own-1", "Mine"), None, false);
        shelf.learning_ended();
        assert!(shelf.styles().is_empty());
        shelf.learning_ended();
        shelf.put(style("own-a", "Kept"));
        shelf.learning_ended();
        assert_eq!(shelf.styles().len(), 1, "kept styles stay");
    }

    #[test]
    fn the_shelf_is_bounded_and_stored_text_is_checked() {
        let mut shelf = OwnShelf::default();
        for i in 0..MAX_OWN_STYLES {
            assert!(shelf.put(style(&format!("own-{i}"), "x")));
        }
        assert!(!shelf.put(style("own-more", "x")), "full");
        assert!(shelf.put(style("own-3", "renamed")), "the same style again replaces");
        assert_eq!(shelf.get("own-3").unwrap().name, "renamed");
        assert_eq!(shelf.remove("own-3").unwrap().name, "renamed");
        assert!(shelf.remove("own-3").is_none());
        for junk in ["", "null", "[1,2]", "{\"styles\": 5}", "not json"] {
            assert!(OwnShelf::files_from_stored(junk).is_empty(), "{junk}");
        }
    }

    #[test]
    fn an_own_style_reads_as_the_visitors_painting() {
        let entry = own_entry(&style("own-a", "Grandma's harbour"));
        assert_eq!((entry.name.en.as_str(), entry.artist.en.as_str()), ("Grandma's harbour", "your painting"));
        assert_eq!(entry.artist.zh, "你的画");
        assert!(entry.thumbnail.is_none());
    }
}
