//! Detail by re-painting (issue 35, "paint to the last pixel"), for every package and every style,
//! a visitor's own included: no network of its own.
//!
//! A 2048 px output is painted at the working side (288 px at the default brush) and brought up
//! ~7x, so at 100 % it is soft. The generator itself paints the finer strokes: the upsampled
//! painting is painted again, as if it were the photo, at `REPAINT_FACTOR` times the working side
//! (the strokes of half the brush, following the painted forms rather than the photo's), brought
//! up to the output the same way, and only its finest band is added to the painting:
//!
//! `out = P + gain * (1 - G_sigma)^2 R`
//!
//! (`G_sigma`: a Gaussian blur, sigma by `fine_band_sigma`, 2 px at 2048 px.) The band is too fine
//! for a screen-sized view to see, so the whole picture stays the painting, while at 100 % the
//! blur of the upsampling becomes crisp stroke edges that follow the painted forms. Measured
//! (docs/training.md, "The re-painting stage"): a single high-pass, `R - G R`, at sigma 4 px
//! carried the strokes' contrast at 10-25 px too and tripled the style ratio at a 256 px view;
//! at sigma 2 it still raised it (median 0.052 -> 0.063); applied twice, with gain 2, the
//! whole picture does not move and the 100 % crops gain more.
//!
//! The band is taken from `R`'s luminance and added alike to the painting's R, G and B
//! (`add_fine_luma_band`): the upsampling and the filtering of one plane instead of three cut the
//! stage's work after the re-painting pass by about 2.5x, and the 100 % crops are nearly as close
//! to the painting (crop ratio 0.76 against 0.74 per channel, five photos, 13 styles;
//! docs/training.md).
//!
//! Pure pixel maths here; the generator pass is `pipeline::paint`'s.

use image::RgbaImage;

use crate::model::Margin;
use crate::upsample::LumaPlane;

/// The re-painting's working side over the painting's: strokes of half the brush.
pub const REPAINT_FACTOR: u32 = 2;

/// The reflected margin (px) around the re-painting's pass, at most: only its finest band is
/// kept, and that band does not carry the zero-padded edges' frame a trained margin keeps out of
/// the whole painting. A package's 64 px around a 576 x 384 re-painting made its pass 1.6x the
/// picture's pixels; at 16 px the 100 % crops score the same (crop ratio 0.70 on two photos, 13
/// styles) and the outer pixels carry no frame (docs/training.md, "The re-painting stage").
pub const REPAINT_MARGIN: u32 = 16;

/// The margin of the re-painting's pass for a package's `margin`: a trained margin capped at
/// `REPAINT_MARGIN`; a package trained without one keeps its proportional margin.
pub fn repaint_margin(margin: Margin) -> Margin {
    match margin {
        Margin::Trained(px) => Margin::Trained(px.min(REPAINT_MARGIN)),
        Margin::Proportional => Margin::Proportional,
    }
}

/// The fine band's Gaussian sigma over the re-painting's upsampling factor: 2 px at 2048 px from
/// a 576 px re-painting (the trial's), the same band relative to the strokes at every size.
const SIGMA_PER_UPSAMPLING: f32 = 2.0 * 576.0 / 2048.0;

/// How strongly the band is added: with the twice-applied high-pass, 2 crisped the crops more than
/// 1 or 1.5 while the whole picture did not move (docs/training.md, "The re-painting stage").
pub const FINE_BAND_GAIN: f32 = 2.0;

/// The Gaussian sigma (output px) of the band taken from a re-painting at `repaint_side` brought up
/// to `output_side` (long sides).
pub fn fine_band_sigma(output_side: u32, repaint_side: u32) -> f32 {
    SIGMA_PER_UPSAMPLING * output_side as f32 / repaint_side.max(1) as f32
}

/// A normalised Gaussian kernel of `2 * ceil(3 sigma) + 1` taps.
fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil().max(1.0) as usize;
    let weights: Vec<f32> = (0..=2 * radius)
        .map(|i| {
            let d = i as f32 - radius as f32;
            (-(d * d) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let sum: f32 = weights.iter().sum();
    weights.into_iter().map(|w| w / sum).collect()
}

/// A plane of floats, row-major.
struct Plane {
    w: usize,
    h: usize,
    data: Vec<f32>,
}

impl Plane {
    /// The plane minus its Gaussian blur, where the blur sees only the plane's own pixels: the
    /// result is `radius` px smaller on every side (a "valid" convolution, separable).
    fn high_pass_valid(&self, kernel: &[f32]) -> Plane {
        let r = kernel.len() / 2;
        let (w, h) = (self.w - 2 * r, self.h - 2 * r);
        // Along x, every row of the plane (taps as whole-slice multiply-adds, which vectorise).
        let mut along_x = vec![0.0f32; self.h * w];
        for y in 0..self.h {
            let src = &self.data[y * self.w..(y + 1) * self.w];
            let dst = &mut along_x[y * w..(y + 1) * w];
            for (k, &weight) in kernel.iter().enumerate() {
                for (d, &s) in dst.iter_mut().zip(&src[k..k + w]) {
                    *d += weight * s;
                }
            }
        }
        let mut out = vec![0.0f32; h * w];
        for y in 0..h {
            let dst = &mut out[y * w..(y + 1) * w];
            for (k, &weight) in kernel.iter().enumerate() {
                for (d, &s) in dst.iter_mut().zip(&along_x[(y + k) * w..(y + k + 1) * w]) {
                    *d += weight * s;
                }
            }
            let centre = &self.data[(y + r) * self.w + r..];
            for (d, &c) in dst.iter_mut().zip(centre) {
                *d = c - *d;
            }
        }
        Plane { w, h, data: out }
    }
}

/// Floats a band's source plane may hold (16 MB), whatever the picture's width.
const BAND_FLOATS: usize = 1 << 22;

/// `painting + gain * (1 - G_sigma)^2 source`, the band of the re-painting's luminance added
/// alike to the painting's R, G and B, rounded and clamped; alpha is the painting's. The
/// twice-applied high-pass keeps the finest band as the single one does but cuts what lies above
/// it far more steeply (at sigma 2: 7 % of a 16 px period left instead of 27 %), which a view of
/// the whole picture would see. One plane instead of three (and one upsampled before it,
/// `upsample::guided_upsample_luma_uncompensated`): what is added is stroke edges in light and
/// dark; the colours of the finest band are left out, as a screen's eye and JPEG's chroma
/// subsampling leave them (a band per channel scored 0.74 at 100 % against this one's 0.76, and
/// drew faint coloured specks; docs/training.md). The source is extended by repeating its edge
/// pixels. In bands of rows, on the CPU engine's threads: besides the output (and its bands,
/// joined at the end), each thread holds at most 16 MB of floats whatever the size.
///
/// Panics only on a programming error: a plane and a picture of different sizes.
pub fn add_fine_luma_band(painting: &RgbaImage, source: &LumaPlane, sigma: f32, gain: f32) -> RgbaImage {
    let width = source.width + 4 * (3.0 * sigma).ceil().max(1.0) as usize;
    add_fine_luma_band_in_bands(painting, source, sigma, gain, (BAND_FLOATS / width).max(16))
}

/// `add_fine_luma_band` in bands of at most `band_rows` rows (halo included): the same pixels for
/// any.
fn add_fine_luma_band_in_bands(painting: &RgbaImage, source: &LumaPlane, sigma: f32, gain: f32, band_rows: usize) -> RgbaImage {
    assert_eq!((painting.width() as usize, painting.height() as usize), (source.width, source.height), "the painting and its re-painting must have one size");
    let (w, h) = (source.width, source.height);
    if w == 0 || h == 0 || !(sigma > 0.0 && sigma.is_finite()) {
        return painting.clone();
    }
    let kernel = gaussian_kernel(sigma);
    let r = kernel.len() / 2;
    let (pw, halo) = (w + 4 * r, 4 * r);
    // Bands of at most `band_rows` rows, halo included, and at least two per thread.
    let per_thread = h.div_ceil(2 * crate::engine::cpu_threads()).max(1);
    let band_rows = band_rows.saturating_sub(halo).max(1).min(per_thread);
    let bands = crate::engine::map_parallel(h.div_ceil(band_rows), |i| {
        let y0 = i * band_rows;
        let rows = band_rows.min(h - y0);
        // Rows y0 - 2r .. y0 + rows + 2r, columns -2r .. w + 2r, edge pixels repeated.
        let ph = rows + halo;
        let mut data = Vec::with_capacity(pw * ph);
        for py in 0..ph {
            let y = (y0 + py).saturating_sub(2 * r).min(h - 1);
            let row = &source.data[y * w..(y + 1) * w];
            data.resize(data.len() + 2 * r, row[0]);
            data.extend_from_slice(row);
            data.resize(data.len() + 2 * r, row[w - 1]);
        }
        let band = Plane { w: pw, h: ph, data }.high_pass_valid(&kernel).high_pass_valid(&kernel);
        let mut bytes = painting.as_raw()[y0 * w * 4..(y0 + rows) * w * 4].to_vec();
        for (px, &b) in bytes.chunks_exact_mut(4).zip(&band.data) {
            for v in &mut px[..3] {
                *v = (*v as f32 + gain * b).round().clamp(0.0, 255.0) as u8;
            }
        }
        bytes
    });
    RgbaImage::from_raw(w as u32, h as u32, bands.concat()).expect("every row of the picture was banded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    /// The same band by the textbook way: the whole source extended by 2 radii of repeated
    /// edge pixels, each high-pass a plain 2D sum over the kernel's square, in f64, added to each
    /// of R, G and B.
    fn reference(painting: &RgbaImage, source: &LumaPlane, sigma: f32, gain: f32) -> RgbaImage {
        let kernel = gaussian_kernel(sigma);
        let r = kernel.len() as i64 / 2;
        let (w, h) = (source.width as i64, source.height as i64);
        let (pw, ph) = (w + 4 * r, h + 4 * r);
        let high_pass = |plane: &Vec<f64>, pw: i64, ph: i64| -> Vec<f64> {
            let (ow, oh) = (pw - 2 * r, ph - 2 * r);
            let mut out = vec![0.0f64; (ow * oh) as usize];
            for y in 0..oh {
                for x in 0..ow {
                    let mut blur = 0.0f64;
                    for (j, ky) in kernel.iter().enumerate() {
                        for (i, kx) in kernel.iter().enumerate() {
                            blur += (*ky as f64) * (*kx as f64) * plane[((y + j as i64) * pw + x + i as i64) as usize];
                        }
                    }
                    out[(y * ow + x) as usize] = plane[((y + r) * pw + x + r) as usize] - blur;
                }
            }
            out
        };
        let extended: Vec<f64> = (0..ph)
            .flat_map(|y| (0..pw).map(move |x| (x, y)))
            .map(|(x, y)| source.data[((y - 2 * r).clamp(0, h - 1) * w + (x - 2 * r).clamp(0, w - 1)) as usize] as f64)
            .collect();
        let once = high_pass(&extended, pw, ph);
        let twice = high_pass(&once, pw - 2 * r, ph - 2 * r);
        let mut out = painting.clone();
        for (i, p) in out.pixels_mut().enumerate() {
            for v in &mut p.0[..3] {
                *v = (*v as f64 + gain as f64 * twice[i]).round().clamp(0.0, 255.0) as u8;
            }
        }
        out
    }

    /// The red channel of `img` as a plane (grey pictures: their luminance).
    fn plane(img: &RgbaImage) -> LumaPlane {
        LumaPlane { width: img.width() as usize, height: img.height() as usize, data: img.pixels().map(|p| p.0[0] as f32).collect() }
    }

    fn noisy(w: u32, h: u32, seed: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            let n = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503) ^ seed).wrapping_mul(2246822519) >> 24;
            Rgba([(n as u8).wrapping_add((x * 3) as u8), (x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, (seed % 256) as u8])
        })
    }

    #[test]
    fn bands_of_rows_add_what_the_whole_picture_filtered_at_once_gives() {
        for (w, h, sigma, gain) in [(37, 29, 1.0f32, 1.0f32), (64, 48, 2.0, 1.5), (5, 3, 2.5, 1.0), (1, 9, 0.7, 2.0)] {
            let (painting, source) = (noisy(w, h, 7), plane(&noisy(w, h, 99)));
            let theirs = reference(&painting, &source, sigma, gain);
            let whole = add_fine_luma_band(&painting, &source, sigma, gain);
            let worst = whole.as_raw().iter().zip(theirs.as_raw()).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0);
            assert!(worst <= 1, "{w}x{h} sigma {sigma}: {worst} levels off");
            assert!(whole.pixels().zip(painting.pixels()).all(|(o, p)| o.0[3] == p.0[3]), "alpha is the painting's");
            for band_rows in [1, 5, 40] {
                assert_eq!(add_fine_luma_band_in_bands(&painting, &source, sigma, gain, band_rows), whole, "{w}x{h}, bands of {band_rows}");
            }
        }
    }

    #[test]
    fn a_flat_or_smooth_re_painting_adds_nothing() {
        let painting = noisy(40, 30, 3);
        let flat = RgbaImage::from_pixel(40, 30, Rgba([120, 30, 240, 255]));
        assert_eq!(add_fine_luma_band(&painting, &plane(&flat), 2.0, 1.5), painting);
        // A ramp is its own blur away from the borders: only the clamped borders may move.
        let ramp = RgbaImage::from_fn(40, 30, |x, _| Rgba([(x * 6) as u8, 0, 0, 255]));
        let out = add_fine_luma_band(&painting, &plane(&ramp), 1.0, 1.0);
        for (x, y, p) in out.enumerate_pixels() {
            if (7..33).contains(&x) {
                assert!(p.0[0].abs_diff(painting.get_pixel(x, y).0[0]) <= 1, "({x},{y}) moved");
            }
        }
    }

    #[test]
    fn the_band_keeps_fine_detail_and_drops_coarse_contrast() {
        let base = RgbaImage::from_pixel(64, 64, Rgba([128, 128, 128, 255]));
        // A one-pixel checker is all fine band; a half-and-half split is coarse except at its edge.
        let checker = RgbaImage::from_fn(64, 64, |x, y| {
            let v = if (x + y) % 2 == 0 { 100 } else { 156 };
            Rgba([v, v, v, 255])
        });
        let out = add_fine_luma_band(&base, &plane(&checker), 2.0, 1.0);
        let swing = |img: &RgbaImage, x: u32| img.get_pixel(x, 32).0[0] as i32 - img.get_pixel(x + 1, 32).0[0] as i32;
        assert!(swing(&out, 30).abs() >= 50, "the checker's swing survives: {}", swing(&out, 30));
        let split = RgbaImage::from_fn(64, 64, |x, _| {
            let v = if x < 32 { 60 } else { 200 };
            Rgba([v, v, v, 255])
        });
        let out = add_fine_luma_band(&base, &plane(&split), 2.0, 1.0);
        for x in [2u32, 12, 50, 61] {
            assert_eq!(out.get_pixel(x, 10).0[0], 128, "far from the edge nothing is added at x={x}");
        }
        assert!(out.get_pixel(31, 10).0[0] < 110 && out.get_pixel(32, 10).0[0] > 146, "the edge itself gets crisper");
    }

    #[test]
    fn the_band_scales_with_the_upsampling() {
        assert!((fine_band_sigma(2048, 576) - 2.0).abs() < 1e-4);
        assert!((fine_band_sigma(4096, 576) - 4.0).abs() < 1e-4);
        assert!((fine_band_sigma(1024, 576) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn the_luminance_band_moves_the_three_channels_alike_and_keeps_alpha() {
        let painting = RgbaImage::from_fn(48, 40, |x, y| Rgba([110 + (x % 7) as u8, 128, 120 + (y % 5) as u8, 200]));
        let source = plane(&RgbaImage::from_fn(48, 40, |x, y| {
            let v = if (x / 2 + y / 3) % 2 == 0 { 110 } else { 150 };
            Rgba([v, v, v, 255])
        }));
        // (No channel reaches 0 or 255: a clamped channel would move less.)
        let out = add_fine_luma_band(&painting, &source, 1.5, 1.0);
        let mut moved = 0;
        for (o, p) in out.pixels().zip(painting.pixels()) {
            let d: Vec<i32> = (0..3).map(|c| o.0[c] as i32 - p.0[c] as i32).collect();
            assert!(d.iter().all(|&v| (v - d[0]).abs() <= 1), "one change for R, G and B: {d:?}");
            assert_eq!(o.0[3], p.0[3], "alpha is the painting's");
            moved += (d[0] != 0) as usize;
        }
        assert!(moved > 48 * 40 / 2, "the fine pattern's band is added: {moved} pixels moved");
    }

    #[test]
    fn the_re_painting_keeps_at_most_its_own_margin_of_a_trained_one() {
        assert_eq!(repaint_margin(Margin::Trained(64)), Margin::Trained(REPAINT_MARGIN));
        assert_eq!(repaint_margin(Margin::Trained(8)), Margin::Trained(8));
        assert_eq!(repaint_margin(Margin::Proportional), Margin::Proportional);
    }
}
