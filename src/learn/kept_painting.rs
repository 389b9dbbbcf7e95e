//! The painting a style was learned from, kept beside the style on the visitor's device: a
//! style file belongs to one package (its generator's hash), so after an update of the painter
//! every kept style is refused, and with this the studio learns each again by itself instead of
//! asking the visitor for paintings they may no longer have. Kept as the learner reads it (its
//! `painting_side`, 256 px on the long side), not as the style file's 128 px thumbnail: learned
//! from the thumbnail the six unseen paintings scored 0.196 (worst 0.495) against 0.115 from the
//! paintings (docs/learning.md).

use image::RgbaImage;

use super::{LearnSettings, MIN_PAINTING_SIDE};
use crate::imaging;

/// JPEG quality of the kept painting: high, because the learner's finest Gram layer (relu1_1)
/// reads the painting's pixel-level texture, which coarser JPEG blocks would change.
const KEPT_QUALITY: u8 = 95;

/// The side the kept painting is stored at: the learner's `painting_side` on the long side,
/// except that the short side stays at least `MIN_PAINTING_SIDE` (where the painting had that
/// much), so a long, narrow painting that could be learned can be learned again.
pub fn kept_size(width: u32, height: u32, settings: &LearnSettings) -> (u32, u32) {
    let (w, h) = imaging::fit_within(width, height, settings.painting_side);
    let (short, kept_short) = (width.min(height), w.min(h));
    if kept_short >= MIN_PAINTING_SIDE || kept_short >= short {
        return (w, h);
    }
    // Scale so the short side is MIN_PAINTING_SIDE (never up).
    let scale = (MIN_PAINTING_SIDE as f64 / short as f64).min(1.0);
    (((width as f64 * scale).round() as u32).max(1), ((height as f64 * scale).round() as u32).max(1))
}

/// The painting as it is kept: scaled to `kept_size`, JPEG.
pub fn keep_painting(painting: &RgbaImage, settings: &LearnSettings) -> Vec<u8> {
    let (w, h) = kept_size(painting.width(), painting.height(), settings);
    imaging::jpeg_at(painting, w, h, KEPT_QUALITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_at_the_learners_side_but_never_too_narrow_to_learn_again() {
        let s = LearnSettings::default();
        assert_eq!(s.painting_side, 256);
        assert_eq!(kept_size(1024, 768, &s), (256, 192));
        assert_eq!(kept_size(200, 150, &s), (200, 150), "never scaled up");
        // 1000 x 200 at 256 would be 256 x 51: too narrow for the learner's check.
        assert_eq!(kept_size(1000, 200, &s), (320, 64));
        assert_eq!(kept_size(90, 60, &s), (90, 60));
    }

    #[test]
    fn the_kept_painting_is_a_jpeg_of_that_size_and_close_to_the_painting() {
        let painting = RgbaImage::from_fn(600, 400, |x, y| image::Rgba([(x / 3) as u8, (y / 2) as u8, ((x + y) % 256) as u8 / 2, 255]));
        let bytes = keep_painting(&painting, &LearnSettings::default());
        assert!(bytes.starts_with(&[0xff, 0xd8]), "JPEG");
        let kept = image::load_from_memory(&bytes).unwrap().to_rgba8();
        assert_eq!(kept.dimensions(), (256, 171));
        let expected = imaging::resize_to(&painting, 256, 171);
        let mean_error: f64 = kept.pixels().zip(expected.pixels()).map(|(a, b)| (0..3).map(|c| (a[c] as f64 - b[c] as f64).abs()).sum::<f64>()).sum::<f64>()
            / (256.0 * 171.0 * 3.0);
        assert!(mean_error < 2.0, "mean error {mean_error}");
    }
}
