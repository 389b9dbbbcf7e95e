//! What the history keeps of each painting besides its pixels, and which entries one painting
//! replaces. DOM-free (the IndexedDB side is `history`), so it is tested natively.

use serde::{Deserialize, Serialize};

use crate::model::StyleChoice;
use crate::pipeline::{Adjustments, Brush};

/// What the list shows and what reopening restores, besides the pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryMeta {
    pub created_ms: f64,
    pub photo_name: String,
    pub style: StyleChoice,
    pub adjustments: Adjustments,
    /// Entries saved before brush sizes were painted with the default brush.
    #[serde(default)]
    pub brush: Brush,
    pub width: u32,
    pub height: u32,
    /// A small JPEG data URL of the result.
    pub thumbnail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub id: u32,
    pub meta: HistoryMeta,
}

impl HistoryMeta {
    /// The same photo painted with the same style, mix, brush and size: the sliders aside, the
    /// same painting. The newer entry replaces the older one.
    pub fn same_painting(&self, other: &HistoryMeta) -> bool {
        self.photo_name == other.photo_name
            && (self.width, self.height) == (other.width, other.height)
            && self.style == other.style
            && self.brush == other.brush
    }
}

/// The entries a new one replaces (one entry per photo and settings).
pub fn replaced_by(items: &[HistoryItem], new: &HistoryMeta) -> Vec<u32> {
    items.iter().filter(|item| item.meta.same_painting(new)).map(|item| item.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(photo: &str, style: StyleChoice, brush: f32, width: u32) -> HistoryMeta {
        HistoryMeta {
            created_ms: 0.0,
            photo_name: photo.into(),
            style,
            adjustments: Adjustments { strength: 1.0, preserve_colour: 0.0 },
            brush: Brush::new(brush).unwrap(),
            width,
            height: 600,
            thumbnail: String::new(),
        }
    }

    #[test]
    fn one_entry_per_photo_and_settings() {
        let starry = || StyleChoice::single("starry-night");
        let items: Vec<HistoryItem> = [
            meta("a.jpg", starry(), 1.0, 800),
            meta("b.jpg", starry(), 1.0, 800),
            meta("a.jpg", StyleChoice::single("the-scream"), 1.0, 800),
            meta("a.jpg", starry(), 2.0, 800),
            meta("a.jpg", starry(), 1.0, 1600),
            meta("a.jpg", StyleChoice { style: "starry-night".into(), mix: Some(("the-scream".into(), 0.3)) }, 1.0, 800),
            meta("a.jpg", starry(), 1.0, 800),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, meta)| HistoryItem { id: i as u32 + 1, meta })
        .collect();
        let mut again = meta("a.jpg", starry(), 1.0, 800);
        again.adjustments.strength = 0.4; // sliders do not make another painting
        assert_eq!(replaced_by(&items, &again), vec![1, 7]);
        assert!(replaced_by(&items, &meta("c.jpg", starry(), 1.0, 800)).is_empty());
    }
}
