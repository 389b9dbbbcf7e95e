//! The detail stage (issue 35, "paint to the last pixel"): a small network that runs at the
//! output's own resolution on the painting brought up from the working side, and paints the
//! painting's fine texture into the blur that a ~7x upsampling leaves, while the picture seen
//! whole stays the coarse painting (trained so: training/refine.py, docs/training.md "Detail at
//! 100 %").
//!
//! `out = x + R(x, style)`: R is a chain of 3x3 convolutions (some at stride 2, some after a
//! nearest x2 upsampling), each but the last followed by the style's per-channel scale and shift
//! and a ReLU. There is no normalisation, so an output pixel depends only on the pixels within
//! `halo` of it: the stage runs in bands of rows that overlap by the halo and start on the
//! strides' grid, and paints bit for bit the pixels of one pass over the whole picture (reflected
//! by the halo on every side) while holding only one band's activations.
//!
//! Pure Rust on the CPU engine's kernels (`engine::conv`), no DOM: the same stage runs natively,
//! in the browser's worker and behind either engine.

use image::RgbaImage;

pub mod repaint;

use crate::engine::conv::{conv2d, upsample2_conv3x3, ConvShape};
use crate::imaging::unit_to_byte;
use crate::model::package::{PackageError, RefinerEntry, StyleChoice};

/// Limits on what a package may ask the stage to run (a hostile manifest must not make a page
/// allocate gigabytes): the refiners trained so far have 5-8 layers of at most 16 channels.
const MAX_LAYERS: usize = 32;
const MAX_CHANNELS: usize = 64;
const MAX_HALO: u32 = 256;

/// Floats one activation of a band may hold (32 MB; at most two are alive): a band's input,
/// halo included, is this over the widest layer's channels, 2^19 px for 16 channels.
const BAND_FLOATS: usize = 1 << 23;

/// The smallest upsampling from the working side that the stage runs on: it was trained on
/// factors 4-8, and below about 3 the painting is not blurred enough for its texture to belong.
pub const MIN_UPSAMPLING: f32 = 3.0;

#[derive(Debug, Clone)]
struct Layer {
    c_in: usize,
    c_out: usize,
    stride: usize,
    upsample_before: bool,
    /// [c_out, c_in, 3, 3]
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// A package's refiner: the shared convolutions and one row of scales and shifts per style.
#[derive(Debug, Clone)]
pub struct Refiner {
    layers: Vec<Layer>,
    halo: usize,
    grid: usize,
    /// Whether a plane of `position_noise` follows RGB into the first layer.
    noise: bool,
    /// Style id and its row: per layer but the last, scale [c_out] then shift [c_out].
    rows: Vec<(String, Vec<f32>)>,
}

/// A refiner and the row of the style being painted (one style's, or a mix of two).
#[derive(Debug, Clone, Copy)]
pub struct Detail<'a> {
    pub refiner: &'a Refiner,
    pub row: &'a [f32],
}

/// How far an output pixel sees (px each side) through `layers`: a 3x3 convolution whose input
/// pixels are `spacing` px apart adds `spacing`; a nearest x2 upsampling can shift what a pixel
/// reads by one coarse pixel.
fn reach(layers: &[Layer]) -> usize {
    let (mut spacing, mut radius) = (1usize, 0usize);
    for layer in layers {
        if layer.upsample_before {
            radius += spacing;
            spacing /= 2;
        }
        radius += spacing;
        spacing *= layer.stride;
    }
    radius
}

impl Refiner {
    /// Check `bytes` against the manifest's entry (size, sha256) and its layers against each
    /// other, and read the weights.
    pub fn from_bytes(entry: &RefinerEntry, bytes: &[u8]) -> Result<Self, PackageError> {
        entry.file.verify(bytes)?;
        let refuse = |reason: String| PackageError::Refiner { file: entry.file.file.clone(), reason };
        let specs = &entry.layers;
        if specs.is_empty() || specs.len() > MAX_LAYERS {
            return Err(refuse(format!("{} layers, not 1 to {MAX_LAYERS}", specs.len())));
        }
        if entry.noise_channels > 1 {
            return Err(refuse(format!("{} noise channels, not 0 or 1", entry.noise_channels)));
        }
        let noise = entry.noise_channels == 1;
        let (mut shared, mut row_len, mut grid, mut c) = (0usize, 0usize, 1usize, 3 + noise as usize);
        // How many stride-2 layers the current layer's input is below full resolution: an
        // upsampling never goes above it.
        let mut depth = 0usize;
        for (i, spec) in specs.iter().enumerate() {
            if spec.c_in != c || !(1..=MAX_CHANNELS).contains(&spec.c_out) {
                return Err(refuse(format!("layer '{}' takes {} channels from {c}, or has 0 or over {MAX_CHANNELS}", spec.name, spec.c_in)));
            }
            if !(1..=2).contains(&spec.stride) || (spec.stride == 2 && spec.upsample_before) {
                return Err(refuse(format!("layer '{}' has stride {}", spec.name, spec.stride)));
            }
            if spec.upsample_before {
                depth = depth.checked_sub(1).ok_or_else(|| refuse(format!("layer '{}' upsamples above the picture's resolution", spec.name)))?;
            }
            depth += spec.stride - 1;
            shared += spec.c_out * spec.c_in * 9 + spec.c_out;
            if i + 1 < specs.len() {
                row_len += 2 * spec.c_out;
            }
            grid *= spec.stride;
            c = spec.c_out;
        }
        if c != 3 || depth != 0 {
            return Err(refuse("it must end in 3 channels at the resolution it starts at".into()));
        }
        if entry.grid as usize != grid || entry.halo > MAX_HALO || !(entry.halo as usize).is_multiple_of(grid) {
            return Err(refuse(format!("halo {} and grid {} do not fit its strides (grid {grid})", entry.halo, entry.grid)));
        }
        let expected = (shared + row_len * entry.styles.len()) * 4;
        if bytes.len() != expected {
            return Err(refuse(format!("{} bytes, its layers and {} styles need {expected}", bytes.len(), entry.styles.len())));
        }
        let values: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(refuse("it holds NaN or infinite values".into()));
        }
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            values[at - n..at].to_vec()
        };
        let layers: Vec<Layer> = specs
            .iter()
            .map(|s| Layer {
                c_in: s.c_in,
                c_out: s.c_out,
                stride: s.stride,
                upsample_before: s.upsample_before,
                weight: take(s.c_out * s.c_in * 9),
                bias: take(s.c_out),
            })
            .collect();
        if reach(&layers) > entry.halo as usize {
            return Err(refuse(format!("its halo {} is less than its layers see ({} px)", entry.halo, reach(&layers))));
        }
        let rows = entry.styles.iter().map(|id| (id.clone(), take(row_len))).collect();
        Ok(Refiner { layers, halo: entry.halo as usize, grid, noise, rows })
    }

    /// The row for `choice`: one style's, or the mix of two rows as the generator's styles mix.
    /// None where a style has no row (`ModelPackage::refiner_row` finds one for a visitor's own).
    pub fn row_for(&self, choice: &StyleChoice) -> Option<Vec<f32>> {
        mix_rows(self.row_of(&choice.style)?.to_vec(), choice, |id| self.row_of(id).map(<[f32]>::to_vec))
    }

    /// One style's row, if the refiner was trained with it.
    pub fn row_of(&self, style: &str) -> Option<&[f32]> {
        self.rows.iter().find(|(own, _)| own == style).map(|(_, row)| row.as_slice())
    }

    /// The styles that have rows, in the file's order.
    pub fn styles(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|(id, _)| id.as_str())
    }

    /// `picture` with the detail painted in (alpha kept), band by band; `keep_going(done, total)`
    /// after each band, false to stop (then None).
    pub fn refine(&self, picture: &RgbaImage, row: &[f32], keep_going: &mut dyn FnMut(usize, usize) -> bool) -> Option<RgbaImage> {
        let (w, h) = (picture.width() as usize, picture.height() as usize);
        // Read straight from the picture: a float copy of a 4096 px one would be 150 MB.
        let raw = picture.as_raw();
        let source = |c: usize, y: usize, x: usize| raw[(y * w + x) * 4 + c] as f32 / 255.0;
        let band_rows = self.band_rows(w);
        let mut out = picture.clone();
        let bands = h.div_ceil(band_rows);
        for (i, y0) in (0..h).step_by(band_rows).enumerate() {
            let rows = band_rows.min(h - y0);
            let refined = self.refine_band(&source, w, h, y0, rows, row);
            let band_plane = refined.len() / 3;
            for y in 0..rows {
                for x in 0..w {
                    let p = out.get_pixel_mut(x as u32, (y0 + y) as u32);
                    for c in 0..3 {
                        p.0[c] = unit_to_byte(refined[c * band_plane + y * w + x]);
                    }
                }
            }
            if !keep_going(i + 1, bands) {
                return None;
            }
        }
        Some(out)
    }

    /// The refined picture as float planes [3, h, w] (not clamped), from float planes, in bands
    /// of `band_rows` rows (rounded up to the grid): the same numbers for every band size.
    pub fn refine_planes(&self, planes: &[f32], w: usize, h: usize, row: &[f32], band_rows: usize) -> Vec<f32> {
        let band_rows = band_rows.max(1).next_multiple_of(self.grid);
        let mut out = vec![0.0f32; 3 * w * h];
        for y0 in (0..h).step_by(band_rows) {
            let rows = band_rows.min(h - y0);
            let source = |c: usize, y: usize, x: usize| planes[(c * h + y) * w + x];
            let band = self.refine_band(&source, w, h, y0, rows, row);
            for c in 0..3 {
                out[c * w * h + y0 * w..][..rows * w].copy_from_slice(&band[c * rows * w..][..rows * w]);
            }
        }
        out
    }

    /// Rows a band of a `w` px wide picture holds: a multiple of the grid, its widest activation
    /// near `BAND_FLOATS`.
    fn band_rows(&self, w: usize) -> usize {
        let wide = w + 2 * self.halo + self.grid;
        let channels = self.layers.iter().map(|l| l.c_out.max(l.c_in)).max().unwrap_or(1);
        (BAND_FLOATS / channels / wide).saturating_sub(2 * self.halo).max(4 * self.grid).next_multiple_of(self.grid)
    }

    /// Output rows `y0..y0 + rows` (y0 on the grid), all columns, as planes [3, rows, w]. The
    /// band's input is the picture reflected by the halo on every side and on to the grid at the
    /// right and at the picture's bottom, exactly the rows and columns a whole-picture pass reads.
    fn refine_band(
        &self,
        source: &impl Fn(usize, usize, usize) -> f32,
        w: usize,
        h: usize,
        y0: usize,
        rows: usize,
        row: &[f32],
    ) -> Vec<f32> {
        let (halo, grid) = (self.halo, self.grid);
        let padded_w = (w + 2 * halo).next_multiple_of(grid);
        let band_h = rows.next_multiple_of(grid) + 2 * halo;
        let plane = padded_w * band_h;
        let channels = 3 + self.noise as usize;
        let mut x = vec![0.0f32; channels * plane];
        if self.noise {
            // At the position in the reflected picture: the band's first row is its row y0.
            for (by, noise_row) in x[3 * plane..].chunks_exact_mut(padded_w).enumerate() {
                for (bx, v) in noise_row.iter_mut().enumerate() {
                    *v = position_noise(y0 + by, bx);
                }
            }
        }
        for c in 0..3 {
            for by in 0..band_h {
                let sy = reflect(y0 as isize + by as isize - halo as isize, h);
                let dst = &mut x[c * plane + by * padded_w..][..padded_w];
                for (bx, d) in dst.iter_mut().enumerate() {
                    *d = source(c, sy, reflect(bx as isize - halo as isize, w));
                }
            }
        }
        let residual = self.run_layers(&x, band_h, padded_w, row);
        let mut out = vec![0.0f32; 3 * rows * w];
        for c in 0..3 {
            for y in 0..rows {
                let at = c * plane + (y + halo) * padded_w + halo;
                for (i, o) in out[c * rows * w + y * w..][..w].iter_mut().enumerate() {
                    *o = x[at + i] + residual[at + i];
                }
            }
        }
        out
    }

    /// R on a [3, h, w] input whose sides are multiples of the grid: the residual, [3, h, w].
    fn run_layers(&self, input: &[f32], h: usize, w: usize, row: &[f32]) -> Vec<f32> {
        let (mut act, mut h, mut w) = (input.to_vec(), h, w);
        let mut row_at = 0;
        for (i, layer) in self.layers.iter().enumerate() {
            if layer.upsample_before {
                act = upsample2_conv3x3(layer.c_in, h, w, &act, &layer.weight, &layer.bias);
                (h, w) = (2 * h, 2 * w);
            } else {
                let (oh, ow) = ((h - 1) / layer.stride + 1, (w - 1) / layer.stride + 1);
                let shape = ConvShape {
                    c_in: layer.c_in,
                    h,
                    w,
                    c_out: layer.c_out,
                    kh: 3,
                    kw: 3,
                    oh,
                    ow,
                    pad_top: 1,
                    pad_left: 1,
                    stride: (layer.stride, layer.stride),
                    dilation: (1, 1),
                    input_row0: 0,
                    input_plane_rows: h,
                };
                act = conv2d(&shape, &act, &layer.weight, &layer.bias);
                (h, w) = (oh, ow);
            }
            if i + 1 < self.layers.len() {
                let (scale, shift) = row[row_at..row_at + 2 * layer.c_out].split_at(layer.c_out);
                row_at += 2 * layer.c_out;
                for (c, channel) in act.chunks_exact_mut(h * w).enumerate() {
                    let (g, b) = (scale[c], shift[c]);
                    channel.iter_mut().for_each(|v| *v = (*v * g + b).max(0.0));
                }
            }
        }
        act
    }
}

/// `first` (the row of `choice.style`) mixed with the row of `choice`'s second style, if any, by
/// its weight; None where that style has no row.
pub fn mix_rows(first: Vec<f32>, choice: &StyleChoice, row: impl Fn(&str) -> Option<Vec<f32>>) -> Option<Vec<f32>> {
    match &choice.mix {
        None => Some(first),
        Some((other, t)) => {
            let t = t.clamp(0.0, 1.0);
            Some(first.iter().zip(row(other)?).map(|(a, b)| (1.0 - t) * a + t * b).collect())
        }
    }
}

/// The weights (non-negative, summing to 1) of the mix of `basis` vectors nearest to `target` in
/// least squares: projected gradient descent on the simplex, from equal weights. A visitor's own
/// style, whose scales and shifts started as a mix of the shipped styles' (issue 33's first
/// stage), gets the detail stage's rows mixed the same way.
pub fn nearest_mix(target: &[f32], basis: &[&[f32]]) -> Vec<f32> {
    let n = basis.len();
    if n == 0 {
        return Vec::new();
    }
    // Gram matrix and the basis' products with the target, in f64: the sums run over thousands.
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum::<f64>();
    let gram: Vec<f64> = (0..n * n).map(|k| dot(basis[k / n], basis[k % n])).collect();
    let bt: Vec<f64> = basis.iter().map(|b| dot(b, target)).collect();
    // A step of 1 / L, L the gradient's Lipschitz constant, bounded by the Gram matrix's trace.
    let step = 1.0 / (0..n).map(|i| gram[i * n + i]).sum::<f64>().max(f64::MIN_POSITIVE);
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..2000 {
        let grad: Vec<f64> = (0..n).map(|i| (0..n).map(|j| gram[i * n + j] * w[j]).sum::<f64>() - bt[i]).collect();
        w.iter_mut().zip(&grad).for_each(|(wi, g)| *wi -= step * g);
        project_to_simplex(&mut w);
    }
    w.into_iter().map(|v| v as f32).collect()
}

/// The nearest point of the probability simplex (Duchi et al. 2008: sort, find the threshold).
fn project_to_simplex(v: &mut [f64]) {
    let mut sorted = v.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let (mut sum, mut theta) = (0.0, 0.0);
    for (k, u) in sorted.iter().enumerate() {
        sum += u;
        let t = (sum - 1.0) / (k + 1) as f64;
        if u - t > 0.0 {
            theta = t;
        }
    }
    v.iter_mut().for_each(|x| *x = (*x - theta).max(0.0));
}

/// Noise in -0.5..0.5 at a position (row, column) of the reflected picture: an integer hash, the
/// same as training/refine.py's `position_noise`, so every band and PyTorch see the same values.
/// Without it the refiner could only paint texture that is a function of the smooth upsampled
/// painting: regular meshes, and labyrinths of iso-lines on flat colour.
pub fn position_noise(y: usize, x: usize) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343) ^ (y as u32).wrapping_mul(0xd816_3841);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2c1b_3c6d);
    h ^= h >> 12;
    h = h.wrapping_mul(0x297a_2d39);
    h ^= h >> 15;
    (h >> 8) as f32 / 16_777_216.0 - 0.5
}

/// Index `i` of an axis of `n` reflected into 0..n without repeating the edge (PyTorch's
/// "reflect"), folding as often as needed (a picture thinner than the halo).
fn reflect(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    (if m < n as isize { m } else { period - m }) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflection_folds_like_pytorch_and_beyond() {
        let n = 5;
        let got: Vec<usize> = (-6..11).map(|i| reflect(i, n)).collect();
        assert_eq!(got, vec![2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2]);
        assert_eq!(reflect(-3, 1), 0);
    }

    #[test]
    fn position_noise_is_the_training_codes() {
        // training/refine.py: position_noise(0, 0, 4, 5)[0] and [3] (printed there).
        let first: Vec<f32> = (0..5).map(|x| position_noise(0, x)).collect();
        let expected = [-0.5, 0.4136, -0.1685, -0.2168, -0.4704];
        assert!(first.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-4), "{first:?}");
        assert!((position_noise(3, 4) - 0.0301).abs() < 1e-4);
    }

    #[test]
    fn the_nearest_mix_recovers_a_mix_and_stays_on_the_simplex() {
        let a = [1.0f32, 0.0, 2.0, 0.5];
        let b = [0.0f32, 1.0, -1.0, 0.5];
        let c = [0.3f32, 0.3, 0.3, 3.0];
        let target: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.7 * x + 0.3 * y).collect();
        let w = nearest_mix(&target, &[&a, &b, &c]);
        assert!((w[0] - 0.7).abs() < 1e-3 && (w[1] - 0.3).abs() < 1e-3 && w[2].abs() < 1e-3, "{w:?}");
        // Far outside the basis' hull: still non-negative weights summing to 1, on the nearest vertex.
        let w = nearest_mix(&[100.0, 0.0, 200.0, 50.0], &[&a, &b, &c]);
        assert!(w.iter().all(|v| *v >= 0.0) && (w.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{w:?}");
        assert!(w[0] > 0.99, "{w:?}");
    }
}
