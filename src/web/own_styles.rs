//! The visitor's own styles as the page keeps them (issue 33): learned here or opened from a
//! style file or a link, shown after the gallery's paintings, kept on the device between visits.
//! DOM-free (the page's `own_store` reads and writes the storage), tested natively.

use serde::{Deserialize, Serialize};

use crate::model::package::{Localized, StyleEntry};
use crate::model::style_file::base64;
use crate::protocol::OwnStyleInfo;

/// What the page keeps on the device: the style files, oldest first, and beside each the
/// painting it was learned from (base64 JPEG, `OwnStyleInfo::painting`; "" for none, and absent
/// in what pages before it kept).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    styles: Vec<String>,
    #[serde(default)]
    paintings: Vec<String>,
    /// Styles a new package refused, kept until they are learned again (their paintings base64).
    #[serde(default)]
    to_learn_again: Vec<StoredAgain>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredAgain {
    name: String,
    painting: String,
}

/// A kept style that an updated package refused, waiting to be learned again from the painting
/// kept with it: kept on the device (in place of the style) until that is done, so closing the
/// page in between loses nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ToLearnAgain {
    pub name: String,
    pub painting: Vec<u8>,
}

/// A kept style as the page reads it back: its file and the painting kept with it (may be empty).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStyle {
    pub file: Vec<u8>,
    pub painting: Vec<u8>,
}

/// At most this many own styles are kept: each is ~20 KB of storage and its painting ~30-60 KB
/// more (about 2 MB for all, within the 5 MB a page may keep), and a gallery longer than this is
/// a list nobody scrolls.
pub const MAX_OWN_STYLES: usize = 24;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnShelf {
    styles: Vec<OwnStyleInfo>,
    /// The style of the painting being learned: shown and painted with, not kept until finished.
    learning: Option<String>,
    /// Oldest first; the first is the one learned again next (or now).
    to_learn_again: Vec<ToLearnAgain>,
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
    pub fn put(&mut self, mut style: OwnStyleInfo) -> bool {
        if let Some(there) = self.styles.iter_mut().find(|s| s.id == style.id) {
            // The same style from a file or a link carries no painting: the one kept stays.
            if style.painting.is_empty() {
                style.painting = std::mem::take(&mut there.painting);
            }
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
    /// the first. `finished`: from now on it is kept like any other. A style kept already is never
    /// taken over: where the first guess is the row of one (a style stopped at its own first
    /// guess), that card shows the guess, and the next step gets a card of its own.
    pub fn learned(&mut self, style: OwnStyleInfo, replaces: Option<&str>, finished: bool) -> bool {
        let id = style.id.clone();
        let learning = self.learning.clone();
        let replaces = replaces.filter(|old| learning.as_deref() == Some(*old));
        if replaces.is_none() && !finished && self.kept().any(|s| s.id == id) {
            self.learning = None;
            return true;
        }
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

    /// A kept style the package refused, with the painting it was learned from: to learn again.
    /// False where as many are waiting as can be kept.
    pub fn learn_again(&mut self, name: String, painting: Vec<u8>) -> bool {
        if self.to_learn_again.len() >= MAX_OWN_STYLES {
            return false;
        }
        self.to_learn_again.push(ToLearnAgain { name, painting });
        true
    }

    /// The style to learn again next.
    pub fn next_to_learn_again(&self) -> Option<&ToLearnAgain> {
        self.to_learn_again.first()
    }

    /// The next style to learn again is done with (learned, or its painting cannot be learned).
    pub fn learned_again(&mut self) -> Option<ToLearnAgain> {
        (!self.to_learn_again.is_empty()).then(|| self.to_learn_again.remove(0))
    }

    pub fn waiting_to_learn_again(&self) -> &[ToLearnAgain] {
        &self.to_learn_again
    }

    fn kept(&self) -> impl Iterator<Item = &OwnStyleInfo> {
        self.styles.iter().filter(|s| self.learning.as_deref() != Some(s.id.as_str()))
    }

    /// The text the page stores: every kept style's file and painting (the one being learned is
    /// not kept).
    pub fn to_stored(&self) -> String {
        let styles = self.kept().map(|s| String::from_utf8_lossy(&s.file).into_owned()).collect();
        let paintings = self.kept().map(|s| base64::encode(&s.painting)).collect();
        let to_learn_again = self.to_learn_again.iter().map(|a| StoredAgain { name: a.name.clone(), painting: base64::encode(&a.painting) }).collect();
        serde_json::to_string(&Stored { styles, paintings, to_learn_again }).unwrap_or_default()
    }

    /// The styles a stored text keeps to learn again; none whose painting is not base64.
    pub fn to_learn_again_from_stored(text: &str) -> Vec<ToLearnAgain> {
        let stored: Stored = serde_json::from_str(text).unwrap_or_default();
        stored
            .to_learn_again
            .into_iter()
            .take(MAX_OWN_STYLES)
            .filter_map(|a| Some(ToLearnAgain { name: a.name, painting: base64::decode(&a.painting).filter(|p| !p.is_empty())? }))
            .collect()
    }

    /// The style files in a stored text with their paintings, each still to be checked by the
    /// worker; nothing from text that is not the page's, and no painting that is not base64.
    pub fn files_from_stored(text: &str) -> Vec<StoredStyle> {
        let stored: Stored = serde_json::from_str(text).unwrap_or_default();
        let mut paintings = stored.paintings.into_iter();
        stored
            .styles
            .into_iter()
            .take(MAX_OWN_STYLES)
            .map(|file| {
                let painting = paintings.next().and_then(|p| base64::decode(&p)).unwrap_or_default();
                StoredStyle { file: file.into_bytes(), painting }
            })
            .collect()
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
        OwnStyleInfo { id: id.into(), name: name.into(), thumbnail: vec![1, 2], file: format!("{{\"name\":\"{name}\"}}").into_bytes(), painting: vec![] }
    }

    fn files(stored: &[StoredStyle]) -> Vec<Vec<u8>> {
        stored.iter().map(|s| s.file.clone()).collect()
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
        assert_eq!(files(&stored), vec![style("own-a", "Harbour").file, style("own-3", "Mine").file]);
        // Learned to a row the shelf has already: one card, not two.
        shelf.learned(style("own-4", "Again"), None, false);
        shelf.learned(style("own-a", "Again"), Some("own-4"), true);
        assert_eq!(shelf.styles().iter().filter(|s| s.id == "own-a").count(), 1);
        assert!(shelf.get("own-4").is_none());
    }

    #[test]
    fn a_learning_whose_first_guess_is_a_kept_style_never_takes_it_away() {
        let mut shelf = OwnShelf::default();
        shelf.put(style("own-k", "Stopped at once"));
        // The first guess has the kept style's row: shown on its card, which stays kept.
        shelf.learned(style("own-k", "New painting"), None, false);
        assert_eq!(shelf.get("own-k").unwrap().name, "Stopped at once");
        assert!(!shelf.is_learning("own-k"));
        assert_eq!(OwnShelf::files_from_stored(&shelf.to_stored()).len(), 1, "still kept");
        // The next step gets a card of its own; the kept one stays.
        shelf.learned(style("own-n1", "New painting"), Some("own-k"), false);
        shelf.learned(style("own-n2", "New painting"), Some("own-n1"), true);
        let ids: Vec<&str> = shelf.styles().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["own-k", "own-n2"]);
        // Ended before a step of its own: the kept style is not forgotten with it.
        shelf.learned(style("own-k", "Another"), None, false);
        shelf.learning_ended();
        assert!(shelf.get("own-k").is_some());
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
    fn the_painting_is_kept_beside_its_style_and_older_stored_text_still_reads() {
        let mut shelf = OwnShelf::default();
        shelf.put(style("own-a", "From a file"));
        shelf.learned(OwnStyleInfo { painting: vec![0xff, 0xd8, 7, 8, 9], ..style("own-b", "Learned") }, None, true);
        let stored = OwnShelf::files_from_stored(&shelf.to_stored());
        assert_eq!(stored.len(), 2);
        assert_eq!((stored[0].painting.as_slice(), stored[1].painting.as_slice()), (&[][..], &[0xff, 0xd8, 7, 8, 9][..]));
        // What pages before the paintings were kept stored: the styles, no paintings.
        let older = r#"{"styles":["{\"name\":\"Old\"}"]}"#;
        assert_eq!(OwnShelf::files_from_stored(older), vec![StoredStyle { file: br#"{"name":"Old"}"#.to_vec(), painting: vec![] }]);
        // The same style opened again from its file (no painting) keeps the painting.
        shelf.put(style("own-b", "From its file"));
        assert_eq!(shelf.get("own-b").unwrap().painting, [0xff, 0xd8, 7, 8, 9]);
        // A painting that is not base64 is dropped, its style kept.
        let damaged = r#"{"styles":["{}","{}"],"paintings":["%%%"]}"#;
        assert_eq!(OwnShelf::files_from_stored(damaged).iter().map(|s| s.painting.len()).collect::<Vec<_>>(), [0, 0]);
    }

    #[test]
    fn styles_to_learn_again_are_kept_until_learned() {
        let mut shelf = OwnShelf::default();
        shelf.put(style("own-a", "Fits"));
        assert!(shelf.learn_again("Old mill".into(), vec![1, 2, 3]));
        assert!(shelf.learn_again("Pond".into(), vec![4, 5]));
        assert_eq!(shelf.next_to_learn_again().map(|a| a.name.as_str()), Some("Old mill"));
        // Kept through a reload, in order, beside the style that fits.
        let text = shelf.to_stored();
        assert_eq!(OwnShelf::files_from_stored(&text).len(), 1);
        let again = OwnShelf::to_learn_again_from_stored(&text);
        assert_eq!(again, vec![ToLearnAgain { name: "Old mill".into(), painting: vec![1, 2, 3] }, ToLearnAgain { name: "Pond".into(), painting: vec![4, 5] }]);
        // Learned: the next one comes up, and it is no longer kept to learn again.
        assert_eq!(shelf.learned_again().map(|a| a.name), Some("Old mill".into()));
        assert_eq!(OwnShelf::to_learn_again_from_stored(&shelf.to_stored()).len(), 1);
        assert_eq!(shelf.learned_again().map(|a| a.name), Some("Pond".into()));
        assert!(shelf.learned_again().is_none());
        for _ in 0..MAX_OWN_STYLES {
            assert!(shelf.learn_again("x".into(), vec![1]));
        }
        assert!(!shelf.learn_again("one too many".into(), vec![1]));
        for junk in ["", r#"{"styles":[],"to_learn_again":[{"name":"x","painting":"%%"}]}"#, r#"{"styles":[],"to_learn_again":[{"name":"x","painting":""}]}"#] {
            assert!(OwnShelf::to_learn_again_from_stored(junk).is_empty(), "{junk}");
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
