//! From a photo to a stylized picture, whatever its size, on any `Engine`.
//!
//! - Reflection padding around the photo (cropped after), so borders show no zero-padding halo.
//! - Up to `RenderOptions::max_pass_pixels` (padded) one pass; above it overlapping tiles blended with
//!   feathered weights, every tile normalised with instance-norm statistics taken from one
//!   low-resolution pass over the whole photo (URST): no seams, no colour shift between tiles.

use std::collections::HashMap;

use image::RgbaImage;

use crate::engine::{Engine, EngineError, Tensors};
use crate::imaging::{self, unit_to_byte};
use crate::detail::{repaint, Detail};
use crate::upsample::{guided_upsample, guided_upsample_luma_uncompensated};
use crate::model::format::ModelProto;
use crate::model::{is_norm_statistic, specialise, GraphError, GraphVariant, Margin, StyleParams, INPUT_NAME, OUTPUT_NAME};

mod brush;
mod request;
mod sliders;

pub use brush::{Brush, BrushError, MIN_WORKING_SIDE};
pub use request::PaintRequest;
pub use sliders::{adjust, Adjustments};

#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Most pixels (padded) run in one pass; larger pictures are tiled.
    pub max_pass_pixels: u32,
    /// Side of a tile, context included (a multiple of the network stride).
    pub tile_side: u32,
    /// Long side of the low-resolution pass whose statistics every tile uses.
    pub stats_side: u32,
    /// Reflection around every pass (the package's; `Studio` sets it).
    pub margin: Margin,
}

/// Never more than this per pass, whatever the network: past it a GPU pass gets long enough to
/// freeze a phone's display and trip the browser's GPU watchdog.
const MAX_PASS_SIDE: u32 = 1024;

impl RenderOptions {
    /// The largest passes `generator` allows on an engine whose tensors may hold
    /// `max_tensor_elements`: its widest full-resolution activation must fit (on wonnx, 2^24
    /// elements: about 724 x 724 at 32 channels), and no pass exceeds `MAX_PASS_SIDE` squared.
    pub fn for_generator(generator: &ModelProto, stride: u32, max_tensor_elements: usize) -> Result<Self, GraphError> {
        let probe = 16 * stride;
        let prepared = specialise(generator, probe, probe, GraphVariant::Plain)?;
        let channels = (prepared.largest_tensor as u64).div_ceil(probe as u64 * probe as u64).max(1);
        let max_pass_pixels = (max_tensor_elements as u64 / channels).min((MAX_PASS_SIDE * MAX_PASS_SIDE) as u64) as u32;
        let side = ((max_pass_pixels as f64).sqrt() as u32) / stride * stride;
        Ok(RenderOptions { max_pass_pixels, tile_side: side.min(768), stats_side: side.min(512), margin: Margin::default() })
    }
}

/// Pixels discarded at a tile's inner edges (the convolutions see zero padding there), and the
/// width of the linear cross-fade after them. A network trained with a margin is free to paint
/// anything that close to zero padding (it was never scored there): its own margin is discarded.
const TILE_MARGIN: usize = 16;
const TILE_RAMP: usize = 32;

fn tile_discard(margin: Margin) -> usize {
    match margin {
        Margin::Proportional => TILE_MARGIN,
        Margin::Trained(px) => (px as usize).max(TILE_MARGIN),
    }
}

/// The smallest side a network pass gets. wonnx computes wrong pixels (up to 162 levels off the
/// CPU engine) when a padded side is 4 px, whose feature maps are then a pixel or two across; 16 px
/// keeps every map at least 4 px. Tiny pictures are padded up to it (and cropped after).
pub const MIN_PASS_SIDE: u32 = 16;

/// Reflection padding for a picture by `margin`, never more than the picture allows, plus what
/// makes each padded side a multiple of `stride` and at least `MIN_PASS_SIDE` (added at the
/// bottom and right). Returns (pad, extra_right, extra_bottom).
pub fn reflect_pad_amounts(width: u32, height: u32, stride: u32, margin: Margin) -> (u32, u32, u32) {
    let wanted = match margin {
        Margin::Proportional => ((width.max(height) as f64 / 16.0).round() as u32).clamp(8, 40),
        Margin::Trained(px) => px,
    };
    let pad = wanted.min(width.saturating_sub(1)).min(height.saturating_sub(1));
    let extra = |side: u32| {
        let padded = side + 2 * pad;
        let to_minimum = MIN_PASS_SIDE.saturating_sub(padded);
        let to_stride = (stride - (padded + to_minimum) % stride) % stride;
        to_minimum + to_stride
    };
    (pad, extra(width), extra(height))
}

/// numpy's "reflect" (the edge pixel is not repeated), repeated for pads larger than the image.
fn reflect_index(i: i64, len: i64) -> usize {
    if len == 1 {
        return 0;
    }
    let period = 2 * (len - 1);
    let m = i.rem_euclid(period);
    (if m < len { m } else { period - m }) as usize
}

pub fn reflect_pad(image: &RgbaImage, left_top: u32, extra_right: u32, extra_bottom: u32) -> RgbaImage {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let p = left_top as i64;
    RgbaImage::from_fn(image.width() + 2 * left_top + extra_right, image.height() + 2 * left_top + extra_bottom, |x, y| {
        *image.get_pixel(reflect_index(x as i64 - p, w) as u32, reflect_index(y as i64 - p, h) as u32)
    })
}

fn crop(image: &RgbaImage, x: u32, y: u32, width: u32, height: u32) -> RgbaImage {
    image::imageops::crop_imm(image, x, y, width, height).to_image()
}

/// Tile starts along an axis of `total` px for tiles of `tile` px: multiples of `stride` (the
/// network is shift-equivariant only in whole strides), neighbours overlapping by at least
/// `min_overlap`, the last tile flush with the end.
pub fn plan_axis(total: usize, tile: usize, min_overlap: usize, stride: usize) -> Vec<usize> {
    if total <= tile {
        return vec![0];
    }
    let step = tile.saturating_sub(min_overlap + stride).max(stride);
    let n = (total - tile).div_ceil(step) + 1;
    let last = total - tile;
    (0..n).map(|i| if i + 1 == n { last } else { (i * last / (n - 1)) / stride * stride }).collect()
}

/// Weight of position `p` in a tile of `len` px: zero in the `discard` px next to a neighbour, a
/// linear ramp after them, one elsewhere. Picture edges (no neighbour) keep full weight.
fn feather(p: usize, len: usize, has_before: bool, has_after: bool, discard: usize) -> f32 {
    let ramp = |d: usize| ((d as f32 - discard as f32 + 0.5) / TILE_RAMP as f32).clamp(0.0, 1.0);
    let mut w = 1.0;
    if has_before {
        w *= ramp(p);
    }
    if has_after {
        w *= ramp(len - 1 - p);
    }
    w
}

fn style_inputs(style: &StyleParams) -> Tensors {
    style.inputs.iter().cloned().collect()
}

/// Instance-norm statistics of a whole picture, by tensor name (`<layer>.mean`, `<layer>.var`).
pub type NormStats = HashMap<String, Vec<f32>>;

/// Run the network once on `image` (padded to the stride), returning the cropped output and,
/// for EmitStats, the statistics; for InjectStats, `injected` are the statistics it runs with.
pub async fn run_padded(
    engine: &mut dyn Engine,
    image: &RgbaImage,
    style: &StyleParams,
    stride: u32,
    margin: Margin,
    variant: GraphVariant,
    injected: Option<&NormStats>,
) -> Result<(RgbaImage, NormStats), EngineError> {
    let (pad, extra_w, extra_h) = reflect_pad_amounts(image.width(), image.height(), stride, margin);
    let padded = reflect_pad(image, pad, extra_w, extra_h);
    let mut inputs = style_inputs(style);
    if let Some(stats) = injected {
        inputs.extend(stats.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    inputs.insert(INPUT_NAME.into(), imaging::to_tensor(&padded).data);
    let mut outputs = engine.run(variant, padded.height(), padded.width(), &inputs).await?;
    let stylized = outputs.remove(OUTPUT_NAME).ok_or_else(|| EngineError::MissingOutput(OUTPUT_NAME.into()))?;
    let tensor = imaging::Tensor { shape: [1, 3, padded.height() as usize, padded.width() as usize], data: stylized };
    let out = crop(&imaging::from_tensor(&tensor, None), pad, pad, image.width(), image.height());
    let stats = outputs.into_iter().filter(|(k, _)| is_norm_statistic(k)).collect();
    Ok((out, stats))
}

/// The statistics of `image` seen at `side` px on its long side.
pub async fn low_resolution_stats(
    engine: &mut dyn Engine,
    image: &RgbaImage,
    style: &StyleParams,
    stride: u32,
    margin: Margin,
    side: u32,
) -> Result<NormStats, EngineError> {
    let (w, h) = imaging::fit_within(image.width(), image.height(), side);
    let small = imaging::resize_to(image, w, h);
    Ok(run_padded(engine, &small, style, stride, margin, GraphVariant::EmitStats, None).await?.1)
}

/// Tile starts (x, y) of `paint_tiles` over a padded picture of `pw` x `ph`.
fn tile_starts(pw: usize, ph: usize, stride: u32, margin: Margin, tile_side: u32) -> (Vec<usize>, Vec<usize>) {
    let tile = (tile_side / stride * stride) as usize;
    let min_overlap = 2 * tile_discard(margin) + TILE_RAMP;
    (plan_axis(pw, tile, min_overlap, stride as usize), plan_axis(ph, tile, min_overlap, stride as usize))
}

/// The network passes `paint_at_own_size` makes for a picture of `width` x `height`: one, or
/// the low-resolution statistics pass and the tiles.
pub fn passes_at_own_size(width: u32, height: u32, stride: u32, options: &RenderOptions) -> usize {
    let (pad, extra_w, extra_h) = reflect_pad_amounts(width, height, stride, options.margin);
    let (pw, ph) = (width + 2 * pad + extra_w, height + 2 * pad + extra_h);
    if pw as u64 * ph as u64 <= options.max_pass_pixels as u64 {
        return 1;
    }
    let (xs, ys) = tile_starts(pw as usize, ph as usize, stride, options.margin, options.tile_side);
    xs.len() * ys.len() + 1
}

/// Paint `image` at its own size (one pass, or tiles where it is large). `progress(done, total)` is called after every network pass
/// and returns false to cancel (the result is then `Cancelled`, even after the last pass).
pub async fn paint_at_own_size(
    engine: &mut dyn Engine,
    image: &RgbaImage,
    style: &StyleParams,
    stride: u32,
    options: &RenderOptions,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<RgbaImage, EngineError> {
    let (pad, extra_w, extra_h) = reflect_pad_amounts(image.width(), image.height(), stride, options.margin);
    let padded_pixels = (image.width() + 2 * pad + extra_w) as u64 * (image.height() + 2 * pad + extra_h) as u64;
    let mut out = if padded_pixels <= options.max_pass_pixels as u64 {
        let (out, _) = run_padded(engine, image, style, stride, options.margin, GraphVariant::Plain, None).await?;
        if !progress(1, 1) {
            return Err(EngineError::Cancelled);
        }
        out
    } else {
        let stats = low_resolution_stats(engine, image, style, stride, options.margin, options.stats_side).await?;
        paint_tiles(engine, image, style, stride, options.margin, options.tile_side, &stats, progress).await?
    };
    for (o, i) in out.pixels_mut().zip(image.pixels()) {
        o.0[3] = i.0[3];
    }
    Ok(out)
}

/// Stylize `image` in overlapping tiles, every tile normalised with `stats`.
#[allow(clippy::too_many_arguments)]
pub async fn paint_tiles(
    engine: &mut dyn Engine,
    image: &RgbaImage,
    style: &StyleParams,
    stride: u32,
    margin: Margin,
    tile_side: u32,
    stats: &NormStats,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<RgbaImage, EngineError> {
    let (pad, extra_w, extra_h) = reflect_pad_amounts(image.width(), image.height(), stride, margin);
    let padded = reflect_pad(image, pad, extra_w, extra_h);
    let (pw, ph) = (padded.width() as usize, padded.height() as usize);
    let tile = (tile_side / stride * stride) as usize;
    let discard = tile_discard(margin);
    let (xs, ys) = tile_starts(pw, ph, stride, margin, tile_side);
    let total = xs.len() * ys.len() + 1;
    if !progress(1, total) {
        return Err(EngineError::Cancelled);
    }

    let mut sum = vec![0.0f32; 3 * pw * ph];
    let mut weight = vec![0.0f32; pw * ph];
    let mut inputs = style_inputs(style);
    inputs.extend(stats.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (iy, &y0) in ys.iter().enumerate() {
        for (ix, &x0) in xs.iter().enumerate() {
            let (tw, th) = (tile.min(pw), tile.min(ph));
            let piece = crop(&padded, x0 as u32, y0 as u32, tw as u32, th as u32);
            inputs.insert(INPUT_NAME.into(), imaging::to_tensor(&piece).data);
            let mut outputs = engine.run(GraphVariant::InjectStats, th as u32, tw as u32, &inputs).await?;
            let data = outputs.remove(OUTPUT_NAME).ok_or_else(|| EngineError::MissingOutput(OUTPUT_NAME.into()))?;
            let plane = tw * th;
            for ty in 0..th {
                let wy = feather(ty, th, iy > 0, iy + 1 < ys.len(), discard);
                for tx in 0..tw {
                    let w = wy * feather(tx, tw, ix > 0, ix + 1 < xs.len(), discard);
                    if w == 0.0 {
                        continue;
                    }
                    let dst = (y0 + ty) * pw + x0 + tx;
                    let src = ty * tw + tx;
                    weight[dst] += w;
                    for c in 0..3 {
                        sum[c * pw * ph + dst] += w * data[c * plane + src];
                    }
                }
            }
            if !progress(2 + iy * xs.len() + ix, total) {
                return Err(EngineError::Cancelled);
            }
        }
    }
    let (x0, y0) = (pad as usize, pad as usize);
    Ok(RgbaImage::from_fn(image.width(), image.height(), |x, y| {
        let i = (y0 + y as usize) * pw + x0 + x as usize;
        let w = weight[i].max(f32::MIN_POSITIVE);
        image::Rgba([
            unit_to_byte(sum[i] / w),
            unit_to_byte(sum[pw * ph + i] / w),
            unit_to_byte(sum[2 * pw * ph + i] / w),
            255,
        ])
    }))
}

/// What brings a painting's texture to the last pixel of an output brought up from the working
/// side (`paint`).
#[derive(Debug, Clone, Copy)]
pub enum DetailStage<'a> {
    /// The upsampled painting as it is.
    Off,
    /// Re-paint it at a finer brush and add that painting's finest band (`detail::repaint`).
    Repaint,
    /// A package's refiner network (`detail::Refiner`).
    Refiner(Detail<'a>),
}

/// Paint `photo` at the working resolution the brush sets, then bring the painting to the photo's
/// size guided by the photo (`crate::upsample`) and, where it was brought up by at least
/// `detail::MIN_UPSAMPLING`, paint its fine texture in by `detail`. Where the working resolution
/// reaches the photo's size this is `paint_at_own_size`. The strokes are the same, relative to the
/// picture, at every output size: a 1024 px preview and a 4096 px export differ only in the photo
/// detail restored and the texture at 100 %. `progress(done, total)` counts every network pass,
/// the re-painting's included, from the start. Where a detail stage follows, `on_coarse` is given
/// the painting without it, at the output's size, before the stage starts: a picture to show
/// while the detail is painted (the stage takes about as long again as the painting did).
#[allow(clippy::too_many_arguments)]
pub async fn paint(
    engine: &mut dyn Engine,
    photo: &RgbaImage,
    style: &StyleParams,
    stride: u32,
    options: &RenderOptions,
    brush: Brush,
    trained_side: u32,
    detail: DetailStage<'_>,
    progress: &mut dyn FnMut(usize, usize) -> bool,
    on_coarse: &mut dyn FnMut(&RgbaImage),
) -> Result<RgbaImage, EngineError> {
    let long = photo.width().max(photo.height());
    let side = brush.working_side(trained_side, long);
    if side >= long {
        return paint_at_own_size(engine, photo, style, stride, options, progress).await;
    }
    let (w, h) = imaging::fit_within(photo.width(), photo.height(), side);
    let upsampled_enough = long as f32 >= crate::detail::MIN_UPSAMPLING * w.max(h) as f32;
    let detail = if upsampled_enough { detail } else { DetailStage::Off };
    let repaint_size = imaging::fit_within(photo.width(), photo.height(), repaint::REPAINT_FACTOR * side);
    let repaint_passes = match detail {
        DetailStage::Repaint => passes_at_own_size(repaint_size.0, repaint_size.1, stride, options),
        _ => 0,
    };
    let small = imaging::resize_to(photo, w, h);
    let mut last = (0, 1);
    let mut on_pass = |done: usize, total: usize| {
        last = (done, total);
        progress(done, total + repaint_passes)
    };
    let painted = paint_at_own_size(engine, &small, style, stride, options, &mut on_pass).await?;
    let upsampled = guided_upsample(&painted, &small, photo);
    if !matches!(detail, DetailStage::Off) {
        on_coarse(&upsampled);
    }
    match detail {
        DetailStage::Off => Ok(upsampled),
        DetailStage::Refiner(Detail { refiner, row }) => {
            // Its bands only check for a cancel: the passes' count stays what the visitor saw.
            refiner.refine(&upsampled, row, &mut |_, _| progress(last.0, last.1)).ok_or(EngineError::Cancelled)
        }
        DetailStage::Repaint => {
            let first = last.1;
            let guide = imaging::shrink_area(&upsampled, repaint_size.0, repaint_size.1);
            let mut on_repaint = |done: usize, total: usize| progress(first + done, first + total);
            let repaint_options = RenderOptions { margin: repaint::repaint_margin(options.margin), ..options.clone() };
            let repainted = paint_at_own_size(engine, &guide, style, stride, &repaint_options, &mut on_repaint).await?;
            let repainted = guided_upsample_luma_uncompensated(&repainted, &guide, &upsampled);
            let sigma = repaint::fine_band_sigma(long, repaint_size.0.max(repaint_size.1));
            Ok(repaint::add_fine_luma_band(&upsampled, &repainted, sigma, repaint::FINE_BAND_GAIN))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn pad_amounts_scale_with_size_and_round_to_stride() {
        let p = Margin::Proportional;
        assert_eq!(reflect_pad_amounts(64, 48, 4, p), (8, 0, 0));
        assert_eq!(reflect_pad_amounts(512, 300, 4, p), (32, 0, 0));
        assert_eq!(reflect_pad_amounts(4000, 3000, 4, p), (40, 0, 0));
        let (pad, ew, eh) = reflect_pad_amounts(1001, 333, 4, p);
        assert_eq!(pad, 40);
        assert_eq!(((1001 + 80 + ew) % 4, (333 + 80 + eh) % 4), (0, 0));
        assert_eq!(reflect_pad_amounts(3, 5, 4, p).0, 2, "never more than the picture allows");
        assert_eq!(reflect_pad_amounts(256, 1, 4, p), (0, 0, 15), "a 1 px tall picture is padded to 16 px");
        assert_eq!(reflect_pad_amounts(64, 2, 4, p), (1, 2, 12), "height 2 + 2 x 1 + 12 = 16");
    }

    #[test]
    fn a_trained_margin_is_the_same_at_every_size() {
        let m = Margin::Trained(32);
        assert_eq!(reflect_pad_amounts(64, 48, 4, m), (32, 0, 0), "not 1/16 of the side: the network's own");
        assert_eq!(reflect_pad_amounts(288, 216, 4, m), (32, 0, 0));
        assert_eq!(reflect_pad_amounts(4000, 3000, 4, m), (32, 0, 0));
        let (pad, ew, eh) = reflect_pad_amounts(287, 161, 4, m);
        assert_eq!((pad, (287 + 64 + ew) % 4, (161 + 64 + eh) % 4), (32, 0, 0));
        assert_eq!(reflect_pad_amounts(20, 9, 4, m).0, 8, "never more than the picture allows");
        assert_eq!(reflect_pad_amounts(300, 200, 4, Margin::Trained(0)), (0, 0, 0));
    }

    #[test]
    fn reflect_pad_mirrors_without_repeating_the_edge() {
        let image = RgbaImage::from_fn(3, 1, |x, _| Rgba([x as u8 * 10, 0, 0, 255]));
        let padded = reflect_pad(&image, 2, 1, 0);
        let row: Vec<u8> = (0..padded.width()).map(|x| padded.get_pixel(x, 0).0[0]).collect();
        assert_eq!(row, vec![20, 10, 0, 10, 20, 10, 0, 10], "numpy 'reflect', repeated past the edge");
        assert_eq!(padded.height(), 5);
    }

    #[test]
    fn tiles_cover_the_axis_with_the_overlap_asked_for() {
        for total in [768usize, 769, 1000, 1500, 4176] {
            let starts = plan_axis(total, 768, 64, 4);
            assert_eq!(starts[0], 0);
            assert_eq!(*starts.last().unwrap() + 768.min(total), total);
            for pair in starts.windows(2) {
                assert!(pair[1] > pair[0]);
                assert!(pair[0] + 768 - pair[1] >= 64, "overlap {:?}", pair);
            }
            assert!(starts.iter().all(|s| s % 4 == 0 || *s == total - 768));
        }
        assert_eq!(plan_axis(500, 768, 64, 4), vec![0]);
    }

    #[test]
    fn feathered_weights_never_leave_a_pixel_uncovered() {
        let (total, tile) = (1500usize, 256usize);
        for margin in [Margin::Proportional, Margin::Trained(32), Margin::Trained(64)] {
            let discard = tile_discard(margin);
            let starts = plan_axis(total, tile, 2 * discard + TILE_RAMP, 4);
            let n = starts.len();
            for x in 0..total {
                let w: f32 = starts
                    .iter()
                    .enumerate()
                    .filter(|(_, &s)| x >= s && x < s + tile)
                    .map(|(i, &s)| feather(x - s, tile, i > 0, i + 1 < n, discard))
                    .sum();
                assert!(w >= 0.5, "{margin:?}: pixel {x} has weight {w}");
            }
            // Nothing is taken from within `discard` px of an edge a tile shares with a neighbour.
            for i in 0..n {
                for p in 0..discard {
                    assert!(i == 0 || feather(p, tile, true, i + 1 < n, discard) == 0.0, "{margin:?}: tile {i}, px {p}");
                    assert!(i + 1 == n || feather(tile - 1 - p, tile, i > 0, true, discard) == 0.0, "{margin:?}: tile {i}");
                }
            }
        }
        assert_eq!(tile_discard(Margin::Trained(40)), 40);
        assert_eq!(tile_discard(Margin::Trained(4)), TILE_MARGIN, "never less than the zero padding's reach");
    }

    #[test]
    fn adjust_blends_strength_and_keeps_photo_colour() {
        let photo = RgbaImage::from_pixel(2, 1, Rgba([200, 40, 40, 128]));
        let stylized = RgbaImage::from_pixel(2, 1, Rgba([40, 40, 200, 255]));
        assert_eq!(adjust(&photo, &stylized, Adjustments { strength: 0.0, preserve_colour: 0.0 }), photo);
        let full = adjust(&photo, &stylized, Adjustments::default());
        assert_eq!(full.get_pixel(0, 0).0, [40, 40, 200, 128], "alpha comes from the photo");
        let half = adjust(&photo, &stylized, Adjustments { strength: 0.5, preserve_colour: 0.0 });
        assert_eq!(half.get_pixel(0, 0).0, [120, 40, 120, 128]);
        // Colour preserved: the stylized luminance with the photo's chroma, so the result is red
        // like the photo, but as dark as the blue stylization.
        let kept = adjust(&photo, &stylized, Adjustments { strength: 1.0, preserve_colour: 1.0 });
        let [r, g, b, _] = kept.get_pixel(0, 0).0;
        assert!(r > g && r > b, "{:?}", kept.get_pixel(0, 0));
        let luma = |p: [u8; 4]| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
        assert!((luma(kept.get_pixel(0, 0).0) - luma([40, 40, 200, 255])).abs() < 1.5);
    }
}
