//! Bringing a picture painted at the working resolution to the output size, guided by the
//! full-resolution photo.
//!
//! The network paints at a small working resolution (the brush size sets it), so its strokes keep
//! their size relative to the picture. Upsampling that painting alone gives a soft picture; the
//! photo's own edges must come back, but only where the painting kept them:
//!
//! `out = up(S) + a * (Y - up(y))`
//!
//! - `S`: the painting at working resolution (RGB), `up`: Catmull-Rom (bicubic) upsampling to the
//!   output size;
//! - `Y`: the full-resolution photo's luminance, `y`: the luminance of the photo the network saw
//!   (the same photo, downsampled to the working resolution), so `Y - up(y)` is exactly the
//!   detail the working resolution cannot hold;
//! - `a`: how strongly the painting follows the photo around each pixel: the guided filter's
//!   local slope cov(S_luma, y) / (var(y) + eps) in a 3x3 window at working resolution, clamped
//!   to 0..1 and upsampled the same way. Where the painting kept an edge (a ~ 1) the edge comes back
//!   crisp and in place; where it replaced the photo with strokes (a ~ 0) the photo's texture does
//!   not print through the paint.
//!
//! Before upsampling, `S` and `y` are precompensated for the round trip (`precompensate`): a
//! picture upsampled by interpolation and brought back down to the working size (as a visitor sees
//! a large picture whole on a screen) is the painting blurred by about a pixel, which took the
//! network's finest strokes away (a learned painting's style ratio at a 256 px view rose from 0.102
//! painted at 256 px to 0.141 through a 2048 px output, docs/learning.md). The compensated painting
//! brought back down is the network's painting again, and at 100 % its strokes are crisper.
//!
//! When the painting is the photo itself (`S = y`), `a ~ 1` and the output is the photo again:
//! no halo, no blur, no ringing at edges, which is what the tests check. Everything is linear in
//! the output's pixels and runs row by row: besides the output, memory is a few working-size planes.

use image::{Rgba, RgbaImage};

/// Regularises the local slope: variance (luminance in 0..1) below about (8/255)^2 counts as flat.
const SLOPE_EPS: f32 = 1e-3;

fn luma(p: &Rgba<u8>) -> f32 {
    (0.299 * p.0[0] as f32 + 0.587 * p.0[1] as f32 + 0.114 * p.0[2] as f32) / 255.0
}

/// 3x3 box mean with clamped borders.
fn box3(plane: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut tmp = vec![0.0f32; w * h];
    for y in 0..h {
        let row = &plane[y * w..(y + 1) * w];
        for x in 0..w {
            let (l, r) = (x.saturating_sub(1), (x + 1).min(w - 1));
            tmp[y * w + x] = (row[l] + row[x] + row[r]) / 3.0;
        }
    }
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            out[y * w + x] = (tmp[u * w + x] + tmp[y * w + x] + tmp[d * w + x]) / 3.0;
        }
    }
    out
}

/// The local slope of the painting's luminance against the guide's, clamped to 0..1.
fn detail_gain(painting: &RgbaImage, guide: &RgbaImage) -> Vec<f32> {
    let (w, h) = (painting.width() as usize, painting.height() as usize);
    let s: Vec<f32> = painting.pixels().map(luma).collect();
    let g: Vec<f32> = guide.pixels().map(luma).collect();
    let sg: Vec<f32> = s.iter().zip(&g).map(|(a, b)| a * b).collect();
    let gg: Vec<f32> = g.iter().map(|v| v * v).collect();
    let (ms, mg, msg, mgg) = (box3(&s, w, h), box3(&g, w, h), box3(&sg, w, h), box3(&gg, w, h));
    (0..w * h)
        .map(|i| {
            let cov = msg[i] - ms[i] * mg[i];
            let var = (mgg[i] - mg[i] * mg[i]).max(0.0);
            (cov / (var + SLOPE_EPS)).clamp(0.0, 1.0)
        })
        .collect()
}

/// Catmull-Rom weights (cubic convolution, a = -0.5) for a sample `t` in 0..1 past the second tap.
fn catmull_rom(t: f32) -> [f32; 4] {
    let (t2, t3) = (t * t, t * t * t);
    [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ]
}

/// For each output index along one axis: four source indices (clamped at the borders) and their
/// Catmull-Rom weights, pixel centres aligned. Cubic rather than linear: brought back down to the
/// working resolution (as a visitor sees a large picture on a screen) the strokes are the
/// network's again, where bilinear upsampling visibly softens them.
fn axis_taps(out_len: u32, src_len: u32) -> Vec<([usize; 4], [f32; 4])> {
    let scale = src_len as f32 / out_len as f32;
    let last = src_len as i64 - 1;
    (0..out_len)
        .map(|i| {
            let pos = (i as f32 + 0.5) * scale - 0.5;
            let base = pos.floor();
            let weights = catmull_rom(pos - base);
            let index = |k: i64| (base as i64 + k).clamp(0, last) as usize;
            ([index(-1), index(0), index(1), index(2)], weights)
        })
        .collect()
}

/// How many correction passes `precompensate` makes: along each axis the round trip keeps at
/// least about two thirds of any frequency (under half of the finest diagonal one), so each pass
/// removes at least half of the error left, most frequencies far more.
const PRECOMPENSATION_PASSES: usize = 2;

const IDENTITY: [f32; 5] = [0.0, 0.0, 1.0, 0.0, 0.0];

/// The round trip along one axis around a sample far from the borders: Catmull-Rom upsampling
/// from `src_len` to `out_len`, then each source cell the mean of the output pixels it covers.
/// Returns the weights of the samples at offsets -2..=2 (the cubic's reach, widened by a cell's
/// width), summing to 1. The identity where the sizes are equal.
fn round_trip_kernel(out_len: u32, src_len: u32) -> [f32; 5] {
    if out_len <= src_len || src_len < 8 {
        return IDENTITY;
    }
    let taps = axis_taps(out_len, src_len);
    let scale = out_len as f64 / src_len as f64;
    let middle = (src_len / 2) as usize;
    let (start, end) = (middle as f64 * scale, (middle + 1) as f64 * scale);
    let mut kernel = [0.0f64; 5];
    for (o, (idx, w)) in taps.iter().enumerate() {
        // The share of output pixel `o` (covering o..o+1) inside the middle cell.
        let cover = ((o + 1) as f64).min(end) - (o as f64).max(start);
        if cover <= 0.0 {
            continue;
        }
        for (&i, &wk) in idx.iter().zip(w) {
            let offset = i as i64 - middle as i64;
            if (-2..=2).contains(&offset) {
                kernel[(offset + 2) as usize] += cover / scale * wk as f64;
            }
        }
    }
    let sum: f64 = kernel.iter().sum();
    kernel.map(|k| (k / sum) as f32)
}

/// One plane filtered by `kx` along rows and `ky` along columns (5 taps, clamped borders).
fn filter5(plane: &[f32], w: usize, h: usize, kx: &[f32; 5], ky: &[f32; 5]) -> Vec<f32> {
    let mut rows = vec![0.0f32; w * h];
    for y in 0..h {
        let src = &plane[y * w..(y + 1) * w];
        for x in 0..w {
            rows[y * w + x] = (0..5).map(|k| kx[k] * src[(x + k).saturating_sub(2).min(w - 1)]).sum();
        }
    }
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        for (k, &weight) in ky.iter().enumerate() {
            let from = (y + k).saturating_sub(2).min(h - 1);
            for x in 0..w {
                out[y * w + x] += weight * rows[from * w + x];
            }
        }
    }
    out
}

/// 3x3 minimum and maximum with clamped borders.
fn local_range(plane: &[f32], w: usize, h: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut lo, mut hi) = (vec![f32::MAX; w * h], vec![f32::MIN; w * h]);
    for y in 0..h {
        for x in 0..w {
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let v = plane[ny * w + nx];
                    lo[y * w + x] = lo[y * w + x].min(v);
                    hi[y * w + x] = hi[y * w + x].max(v);
                }
            }
        }
    }
    (lo, hi)
}

/// The plane `x` whose round trip (`kx`, `ky`) is `plane`, by fixed-point passes
/// `x <- x + (plane - R x)`: the inverse of the round trip's blur on what it keeps, no more.
/// Each value stays within the range of its 3x3 neighbourhood in the painting: unbounded, a hard
/// edge gained a rim on each side (16 % of the step beside a flat field after upsampling, a halo
/// ring at 100 %), and a painting that is the photo a halo where the detail gain is below 1. The
/// bound keeps most of the gain (a learned painting at 2048 px: 0.108 unbounded, 0.111 bounded,
/// 0.124 without, docs/learning.md).
fn precompensate(plane: &[f32], w: usize, h: usize, kx: &[f32; 5], ky: &[f32; 5], passes: usize) -> Vec<f32> {
    let mut x = plane.to_vec();
    if passes == 0 || (*kx == IDENTITY && *ky == IDENTITY) {
        return x;
    }
    let (lo, hi) = local_range(plane, w, h);
    for _ in 0..passes {
        let trip = filter5(&x, w, h, kx, ky);
        for (i, v) in x.iter_mut().enumerate() {
            *v = (*v + plane[i] - trip[i]).clamp(lo[i], hi[i]);
        }
    }
    x
}

/// `painting` (working resolution) to the size of `photo`, guided by it. `guide` is the photo
/// as the network saw it: the same size as `painting`. Alpha comes from `photo`.
///
/// Panics only on a programming error: `painting` and `guide` of different sizes, or empty images.
pub fn guided_upsample(painting: &RgbaImage, guide: &RgbaImage, photo: &RgbaImage) -> RgbaImage {
    upsample(painting, guide, photo, PRECOMPENSATION_PASSES)
}

/// The luminance of `guided_upsample`'s output without the precompensation, as floats (0..255,
/// unrounded): all the fine band of a re-painting needs (`detail::repaint`), for a third of the
/// planes. Uncompensated because the precompensation lifts the working resolution's highest
/// frequencies, which a high-pass at the output turns into a grid of lines one working pixel
/// apart. The guided upsampling is linear in the painting's channels and adds the same detail to
/// each, so the luminance of its output is the upsampling of the painting's luminance.
///
/// Panics only on a programming error, as `guided_upsample`.
pub fn guided_upsample_luma_uncompensated(painting: &RgbaImage, guide: &RgbaImage, photo: &RgbaImage) -> LumaPlane {
    check_sizes(painting, guide, photo);
    let colour = [painting.pixels().map(|p| 255.0 * luma(p)).collect()];
    let data = upsample_planes(colour, painting, guide, photo, 0, 1, |out: &mut [f32], [v], _| out[0] = v.clamp(0.0, 255.0));
    LumaPlane { width: photo.width() as usize, height: photo.height() as usize, data }
}

/// One plane of floats, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct LumaPlane {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

fn check_sizes(painting: &RgbaImage, guide: &RgbaImage, photo: &RgbaImage) {
    assert_eq!(painting.dimensions(), guide.dimensions(), "the painting and its guide must have one size");
    assert!(painting.width() > 0 && painting.height() > 0 && photo.width() > 0 && photo.height() > 0);
}

/// `guided_upsample` with `passes` of precompensation (0: plain cubic).
fn upsample(painting: &RgbaImage, guide: &RgbaImage, photo: &RgbaImage, passes: usize) -> RgbaImage {
    check_sizes(painting, guide, photo);
    let channel = |c: usize| painting.pixels().map(|p| p.0[c] as f32).collect::<Vec<f32>>();
    let colour = [channel(0), channel(1), channel(2)];
    let raw = upsample_planes(colour, painting, guide, photo, passes, 4, |px: &mut [u8], values, source| {
        for (p, v) in px.iter_mut().zip(values) {
            *p = v.clamp(0.0, 255.0).round() as u8;
        }
        px[3] = source.0[3];
    });
    RgbaImage::from_raw(photo.width(), photo.height(), raw).expect("every output row was computed")
}

/// The guided upsampling of `N` colour planes of the painting (working resolution, 0..255) to the
/// size of `photo`: for each output pixel `write` gets its `per_pixel` values, the `N` upsampled
/// colours with the photo's detail added, and the photo's pixel there.
fn upsample_planes<const N: usize, T: Copy + Default + Send>(
    colour: [Vec<f32>; N],
    painting: &RgbaImage,
    guide: &RgbaImage,
    photo: &RgbaImage,
    passes: usize,
    per_pixel: usize,
    write: impl Fn(&mut [T], [f32; N], &Rgba<u8>) + Sync,
) -> Vec<T> {
    let (sw, sh) = (painting.width() as usize, painting.height() as usize);
    let out_w = photo.width() as usize;
    // Working-resolution planes: the colours, the guide's luminance, the detail gain.
    const MAX_PLANES: usize = 5;
    let planes_n = N + 2;
    assert!(planes_n <= MAX_PLANES, "at most three colour planes");
    let mut planes: Vec<Vec<f32>> = colour.into_iter().collect();
    planes.push(guide.pixels().map(|g| 255.0 * luma(g)).collect());
    planes.push(detail_gain(painting, guide));
    // The painting and the guide alike, so that where the painting is the photo the detail
    // restored is still exactly the photo's (the gain is a smooth weight: left as it is).
    let kx = round_trip_kernel(photo.width(), sw as u32);
    let ky = round_trip_kernel(photo.height(), sh as u32);
    for plane in &mut planes[..N + 1] {
        *plane = precompensate(plane, sw, sh, &kx, &ky, passes);
    }

    // Separable: rows to the output width first (working height x output width per plane), then
    // each output row from four of those rows.
    let xs = axis_taps(photo.width(), sw as u32);
    let ys = axis_taps(photo.height(), sh as u32);
    let mut wide = vec![0.0f32; planes_n * sh * out_w];
    for (p, plane) in planes.iter().enumerate() {
        for y in 0..sh {
            let src = &plane[y * sw..(y + 1) * sw];
            let dst = &mut wide[(p * sh + y) * out_w..(p * sh + y + 1) * out_w];
            for (d, (idx, w)) in dst.iter_mut().zip(&xs) {
                *d = w[0] * src[idx[0]] + w[1] * src[idx[1]] + w[2] * src[idx[2]] + w[3] * src[idx[3]];
            }
        }
    }
    // Output rows in chunks, on the CPU engine's threads where there are several.
    const CHUNK_ROWS: usize = 32;
    let out_h = photo.height() as usize;
    let (guide_plane, gain_plane) = (N, N + 1);
    let chunks = crate::engine::map_parallel(out_h.div_ceil(CHUNK_ROWS), |chunk| {
        let first = chunk * CHUNK_ROWS;
        let rows_here = CHUNK_ROWS.min(out_h - first);
        let mut out = vec![T::default(); rows_here * per_pixel * out_w];
        for (i, row) in out.chunks_exact_mut(per_pixel * out_w).enumerate() {
            let oy = first + i;
            let (idx, w) = &ys[oy];
            // Where each plane's four source rows start in `wide`, once per output row.
            let mut starts = [[0usize; 4]; MAX_PLANES];
            for (p, start) in starts.iter_mut().enumerate().take(planes_n) {
                *start = idx.map(|y| (p * sh + y) * out_w);
            }
            let at = |p: usize, ox: usize| {
                let r = &starts[p];
                w[0] * wide[r[0] + ox] + w[1] * wide[r[1] + ox] + w[2] * wide[r[2] + ox] + w[3] * wide[r[3] + ox]
            };
            for (ox, px) in row.chunks_exact_mut(per_pixel).enumerate() {
                let source = photo.get_pixel(ox as u32, oy as u32);
                let detail = at(gain_plane, ox).clamp(0.0, 1.0) * (255.0 * luma(source) - at(guide_plane, ox));
                let values: [f32; N] = std::array::from_fn(|c| at(c, ox) + detail);
                write(px, values, source);
            }
        }
        out
    });
    chunks.concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::resize_to;

    /// A vertical step edge at `edge` (x), dark left, light right, with a slight vertical ramp so
    /// it is not perfectly separable.
    fn step(width: u32, height: u32, edge: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| {
            let v = if x < edge { 40 } else { 210 } + (y * 10 / height) as u8;
            Rgba([v, v, v, 255])
        })
    }

    #[test]
    fn painting_that_is_the_photo_gives_the_photo_back_without_halo() {
        let photo = step(512, 96, 301);
        let small = resize_to(&photo, 64, 12);
        let out = guided_upsample(&small, &small, &photo);
        let mut worst = 0i32;
        for (o, p) in out.pixels().zip(photo.pixels()) {
            worst = worst.max((o.0[0] as i32 - p.0[0] as i32).abs());
        }
        assert!(worst <= 6, "largest difference from the photo {worst}");
        // No halo: never brighter than the light side or darker than the dark side beside the edge
        // by more than 5 levels (the precompensated step is steeper, and the cubic rings by up to
        // 4 levels where the detail gain is below 1).
        let row: Vec<u8> = (0..512).map(|x| out.get_pixel(x, 48).0[0]).collect();
        let (dark, light) = (photo.get_pixel(0, 48).0[0], photo.get_pixel(511, 48).0[0]);
        assert!(row.iter().all(|&v| v + 5 >= dark && v <= light + 5), "{:?}", &row[280..320]);
        // Crisp: the whole step happens within two output pixels, in place.
        assert!(row[299] < dark + 10 && row[302] + 10 > light, "{:?}", &row[296..306]);
    }

    #[test]
    fn upsampling_alone_would_blur_the_edge_the_guide_restores() {
        let photo = step(512, 96, 301);
        let small = resize_to(&photo, 64, 12);
        let blurred = resize_to(&small, 512, 96);
        let sharp = guided_upsample(&small, &small, &photo);
        let width_of_step = |img: &RgbaImage| (0..512).filter(|&x| (60..190).contains(&img.get_pixel(x, 48).0[0])).count();
        assert!(width_of_step(&blurred) >= 6, "the baseline blurs: {}", width_of_step(&blurred));
        assert!(width_of_step(&sharp) <= 1, "the guided result is crisp: {}", width_of_step(&sharp));
    }

    #[test]
    fn painting_that_ignores_the_photo_keeps_its_own_texture() {
        // The painting replaced the photo's fine stripes by flat colour: the stripes must not
        // print through the paint.
        let photo = RgbaImage::from_fn(256, 256, |x, _| if (x / 2) % 2 == 0 { Rgba([30, 30, 30, 255]) } else { Rgba([220, 220, 220, 255]) });
        let small = resize_to(&photo, 32, 32);
        let flat = RgbaImage::from_pixel(32, 32, Rgba([120, 60, 200, 255]));
        let out = guided_upsample(&flat, &small, &photo);
        assert!(out.pixels().all(|p| p.0 == [120, 60, 200, 255]), "{:?}", out.get_pixel(3, 3));
    }

    #[test]
    fn without_precompensation_the_working_pixels_leave_less_ripple_at_the_output() {
        // A painting with detail at every working pixel, brought up 3.5x: what lies between
        // neighbouring output pixels (their mean squared difference) is the ripple a fine band
        // taken at the output would carry.
        let small = RgbaImage::from_fn(40, 30, |x, y| {
            let v = ((x * 7919 + y * 104_729) % 97) as u8 + 80;
            Rgba([v, v, v, 255])
        });
        // A flat guide: no photo detail is added, the output is the painting's upsampling alone.
        let (guide, photo) = (RgbaImage::from_pixel(40, 30, Rgba([128, 128, 128, 255])), RgbaImage::from_pixel(140, 105, Rgba([128, 128, 128, 255])));
        let ripple = |img: &RgbaImage| {
            let mut sum = 0.0f64;
            for y in 0..img.height() {
                for x in 1..img.width() {
                    let d = img.get_pixel(x, y).0[0] as f64 - img.get_pixel(x - 1, y).0[0] as f64;
                    sum += d * d;
                }
            }
            sum / (img.width() * img.height()) as f64
        };
        let (lifted, plain) = (guided_upsample(&small, &guide, &photo), upsample(&small, &guide, &photo, 0));
        // (149 without, 193 with when written.)
        assert!(ripple(&plain) * 1.15 < ripple(&lifted), "ripple {} without, {} with precompensation", ripple(&plain), ripple(&lifted));
    }

    #[test]
    fn a_hard_painted_edge_overshoots_little() {
        // The painting has a hard edge the photo does not (flat guide: no detail is added), so
        // what lies beside the edge is the kernel's own ringing.
        let painting = RgbaImage::from_fn(40, 8, |x, _| if x < 20 { Rgba([40, 40, 40, 255]) } else { Rgba([210, 210, 210, 255]) });
        let guide = RgbaImage::from_pixel(40, 8, Rgba([128, 128, 128, 255]));
        let photo = RgbaImage::from_pixel(320, 64, Rgba([128, 128, 128, 255]));
        let out = guided_upsample(&painting, &guide, &photo);
        let row: Vec<i32> = (0..320).map(|x| out.get_pixel(x, 32).0[0] as i32).collect();
        let (dark, light) = (painting.get_pixel(0, 4).0[0] as i32, painting.get_pixel(39, 4).0[0] as i32);
        let overshoot = row.iter().map(|&v| (dark - v).max(v - light)).max().unwrap_or(0);
        // Catmull-Rom overshoots a step once on each side by a few per cent; 10 % is the bound.
        assert!(overshoot * 10 <= light - dark, "overshoot {overshoot} of a {} step: {:?}", light - dark, &row[140..180]);
        // Away from the edge (beyond the kernel's reach) both sides are flat again.
        assert!(row[..120].iter().all(|&v| (v - dark).abs() <= 1) && row[200..].iter().all(|&v| (v - light).abs() <= 1));
    }

    /// Each working-size cell of `big` averaged back (the size of `big` a whole multiple of `w`, `h`).
    fn cell_means(big: &RgbaImage, w: u32, h: u32) -> Vec<f32> {
        let (fx, fy) = (big.width() / w, big.height() / h);
        let mut out = vec![0.0f32; (w * h) as usize];
        for (x, y, p) in big.enumerate_pixels() {
            out[((y / fy) * w + x / fx) as usize] += p.0[0] as f32 / (fx * fy) as f32;
        }
        out
    }

    #[test]
    fn round_trip_kernel_is_a_mild_symmetric_blur_and_the_identity_at_one_to_one() {
        assert_eq!(round_trip_kernel(300, 300), [0.0, 0.0, 1.0, 0.0, 0.0]);
        let k = round_trip_kernel(2048, 256);
        assert!((k.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{k:?}");
        assert!((k[0] - k[4]).abs() < 1e-4 && (k[1] - k[3]).abs() < 1e-4, "symmetric: {k:?}");
        // Integrated Catmull-Rom over a cell: about [-0.013, 0.094, 0.839, 0.094, -0.013].
        assert!((k[2] - 0.839).abs() < 0.01 && (k[1] - 0.094).abs() < 0.01 && (k[0] + 0.013).abs() < 0.005, "{k:?}");
    }

    #[test]
    fn a_painting_brought_back_to_its_size_is_the_painting_again() {
        // Strokes one to three cells wide, nothing in the photo to restore (a flat guide): what
        // a visitor sees of the large picture at the working size must be the network's painting,
        // not a blur of it. Plain upsampling loses a good part of the strokes' contrast.
        let (w, h) = (48u32, 32u32);
        let painting = RgbaImage::from_fn(w, h, |x, y| {
            let v = 128.0 + 60.0 * ((x as f32 * 1.7).sin() + (y as f32 * 0.9 + x as f32 * 0.3).cos()) * 0.9;
            let v = v as u8;
            Rgba([v, v, v, 255])
        });
        let flat = RgbaImage::from_pixel(w, h, Rgba([128, 128, 128, 255]));
        let photo = RgbaImage::from_pixel(8 * w, 8 * h, Rgba([128, 128, 128, 255]));
        let target: Vec<f32> = painting.pixels().map(|p| p.0[0] as f32).collect();
        let rms = |seen: &[f32]| {
            // Interior only: the borders are clamped in both directions.
            let mut sum = 0.0;
            let mut n = 0.0;
            for y in 3..h as usize - 3 {
                for x in 3..w as usize - 3 {
                    let i = y * w as usize + x;
                    sum += (seen[i] - target[i]).powi(2);
                    n += 1.0;
                }
            }
            (sum / n).sqrt()
        };
        let compensated = rms(&cell_means(&guided_upsample(&painting, &flat, &photo), w, h));
        let plain = rms(&cell_means(&upsample(&painting, &flat, &photo, 0), w, h));
        assert!(compensated * 2.0 < plain, "compensated rms {compensated} against plain {plain}");
    }

    #[test]
    fn output_has_the_photos_size_and_alpha() {
        let photo = RgbaImage::from_fn(300, 200, |x, y| Rgba([x as u8, y as u8, 9, (x % 256) as u8]));
        let small = resize_to(&photo, 30, 20);
        let out = guided_upsample(&small, &small, &photo);
        assert_eq!(out.dimensions(), (300, 200));
        assert!(out.pixels().zip(photo.pixels()).all(|(o, p)| o.0[3] == p.0[3]));
    }

    #[test]
    fn the_luminance_upsampling_is_the_luminance_of_the_colour_one() {
        // Linear in the channels, the same detail added to each: the luminance plane must be the
        // luminance of the (uncompensated) colour output, up to that output's rounding (and where it is not clamped).
        let photo = RgbaImage::from_fn(210, 150, |x, y| Rgba([(x * 255 / 210) as u8, ((x * y) % 251) as u8, (y * 255 / 150) as u8, 255]));
        let guide = resize_to(&photo, 30, 22);
        let painting = RgbaImage::from_fn(30, 22, |x, y| Rgba([40 + (x * 5) as u8, 200 - (y * 6) as u8, ((x + y) * 4) as u8, 255]));
        let colour = upsample(&painting, &guide, &photo, 0);
        let plane = guided_upsample_luma_uncompensated(&painting, &guide, &photo);
        assert_eq!((plane.width, plane.height), (210, 150));
        let mut checked = 0;
        for (p, &v) in colour.pixels().zip(&plane.data) {
            if p.0[..3].iter().all(|&c| c > 0 && c < 255) {
                assert!((255.0 * luma(p) - v).abs() <= 0.6, "{:?}: {v}", p.0);
                checked += 1;
            }
        }
        assert!(checked > 210 * 150 / 2, "{checked} pixels unclamped");
    }
}

