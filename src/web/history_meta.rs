//! What the history keeps of each painting besides its pixels, and which entries one painting
//! replaces. DOM-free (the IndexedDB side is `history`), so it is tested natively.

use serde::{Deserialize, Serialize};

use image::RgbaImage;

use crate::imaging;
use crate::model::StyleChoice;
use crate::pipeline::{Adjustments, Brush};
use crate::protocol::{HistoryCopies, PicturePair};

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
    /// The long side the painting was made at (the history keeps at most `HISTORY_SIDE`); None
    /// for entries saved before it was kept.
    #[serde(default)]
    pub painted_side: Option<u32>,
}

/// The longest side the history keeps a painting at (a 4096 px painting is kept at 2048).
pub const HISTORY_SIDE: u32 = 2048;
/// The longest side of a history entry's thumbnail.
pub const THUMBNAIL_SIDE: u32 = 96;

/// The copies of `photo` and `stylized` (the same size) the history keeps: scaled to at most
/// `HISTORY_SIDE` (None where they are no larger), and to `THUMBNAIL_SIDE`.
pub fn history_copies(photo: &RgbaImage, stylized: &RgbaImage) -> HistoryCopies {
    let pair = |w: u32, h: u32| PicturePair {
        width: w,
        height: h,
        photo: imaging::resize_to(photo, w, h).into_raw(),
        stylized: imaging::resize_to(stylized, w, h).into_raw(),
    };
    let (w, h) = imaging::fit_within(photo.width(), photo.height(), HISTORY_SIDE);
    let scaled = ((w, h) != photo.dimensions()).then(|| pair(w, h));
    let (tw, th) = imaging::fit_within(w, h, THUMBNAIL_SIDE);
    HistoryCopies { scaled, thumbnail: pair(tw, th) }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub id: u32,
    pub meta: HistoryMeta,
}

impl HistoryMeta {
    /// What tells this entry from its neighbours besides the painting and the photo: the brush
    /// where it is not the default, and the size it was painted at ("2048 px", "brush 2.00×").
    pub fn settings_note(&self, brush_word: &str) -> String {
        let mut parts = Vec::new();
        if let Some(side) = self.painted_side {
            parts.push(format!("{side} px"));
        }
        if self.brush != Brush::default() {
            parts.push(format!("{} {:.2}×", brush_word.to_lowercase(), self.brush.size()));
        }
        parts.join(" · ")
    }

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

    fn picture(w: u32, h: u32, seed: u8) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| image::Rgba([(x as u8).wrapping_add(seed), y as u8, seed, 255]))
    }

    #[test]
    fn history_copies_scale_only_what_is_larger_and_always_make_a_thumbnail() {
        let copies = history_copies(&picture(4096, 2048, 1), &picture(4096, 2048, 2));
        let scaled = copies.scaled.expect("a 4096 px painting is kept at 2048");
        assert_eq!((scaled.width, scaled.height), (2048, 1024));
        assert_eq!((scaled.photo.len(), scaled.stylized.len()), (2048 * 1024 * 4, 2048 * 1024 * 4));
        assert_ne!(scaled.photo, scaled.stylized, "photo and painting stay apart");
        assert_eq!((copies.thumbnail.width, copies.thumbnail.height), (96, 48));
        assert_eq!(copies.thumbnail.photo.len(), 96 * 48 * 4);

        let small = history_copies(&picture(640, 480, 3), &picture(640, 480, 4));
        assert_eq!(small.scaled, None, "the page keeps the pixels it was sent");
        assert_eq!((small.thumbnail.width, small.thumbnail.height), (96, 72));
        // The thumbnail is the picture scaled, not made up: a flat picture stays flat.
        let flat = RgbaImage::from_pixel(300, 200, image::Rgba([10, 200, 30, 255]));
        let thumb = history_copies(&flat, &flat).thumbnail;
        assert!(thumb.stylized.chunks(4).all(|p| p == [10, 200, 30, 255]));
    }

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
            painted_side: Some(width),
        }
    }

    #[test]
    fn entries_of_one_photo_say_what_sets_them_apart() {
        let starry = || StyleChoice::single("starry-night");
        assert_eq!(meta("a.jpg", starry(), 1.0, 1024).settings_note("Brush size"), "1024 px");
        assert_eq!(meta("a.jpg", starry(), 2.0, 2048).settings_note("Brush size"), "2048 px · brush size 2.00×");
        let mut old = meta("a.jpg", starry(), 0.5, 800);
        old.painted_side = None;
        assert_eq!(old.settings_note("笔触大小"), "笔触大小 0.50×");
        // Entries stored before the size was kept still read.
        let json = serde_json::to_string(&old).unwrap().replace(",\"painted_side\":null", "");
        assert!(!json.contains("painted_side"));
        assert_eq!(serde_json::from_str::<HistoryMeta>(&json).unwrap(), old);
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
