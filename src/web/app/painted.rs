//! The picture on show.

use std::rc::Rc;

use image::RgbaImage;

use crate::engine::EngineKind;
use crate::pipeline::PaintRequest;
use crate::protocol::PageHas;

/// The picture on show and what it was made from.
pub struct Painted {
    /// Where it came from: the worker job ("7") or a history entry ("history-3"). Sliders
    /// change the pixels, never this.
    pub origin: String,
    /// Shared with the next painting of the same photo (a style change sends no pixels back).
    pub photo: Rc<RgbaImage>,
    pub stylized: RgbaImage,
    /// The engine and the time it took; None for a picture reopened from the history.
    pub timing: Option<(EngineKind, f64)>,
    /// Shown again from the worker's paintings, not painted again.
    pub cached: bool,
    pub settings: PaintRequest,
    /// The worker's id of `photo` (None for a history entry): a painting of the same photo at the
    /// same size comes without the photo's pixels, which are these.
    pub photo_id: Option<u64>,
    /// The painting before its detail stage (`WorkerResponse::Preview`), on show while its job
    /// paints the detail. Cancelled or failed then, it stays on show as a painting.
    pub preview: bool,
}

/// One picture is equal only to itself: components compare the `Rc`s they are given without
/// comparing megapixels.
impl PartialEq for Painted {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Painted {
    pub fn page_has(&self) -> Option<PageHas> {
        let (width, height) = self.photo.dimensions();
        self.photo_id.map(|photo| PageHas { photo, width, height })
    }
}
