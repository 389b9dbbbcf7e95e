//! Steady frames: why a still scene's painting jumps, and what holds it.
//!
//! Measured (`examples/live_trial.rs`, a still photo with camera-like noise, sigma 3 levels, in
//! every frame, 256 px): painting every frame from scratch changes the painting 3.9x as much as
//! the camera's own noise changes the frames. The network amplifies pixel noise into moved
//! strokes. Smoothing the instance-norm statistics over frames does nothing for it (3.9-4.0x:
//! the statistics of a still scene hardly move); averaging the input over still frames halves it
//! (1.7x). So two stages, both gated by motion so that whatever moves is painted afresh:
//! - the input: a per-pixel running average where the frame differs from it by no more than
//!   the camera's noise (what moves replaces the average at once);
//! - the output: the new painting blended into the one shown where the scene stood still.
//!
//! Motion is judged per block of `BLOCK` px (the mean difference over its pixels and channels),
//! which noise barely moves, against a noise level learned from the frames themselves (it falls
//! at once and rises slowly, so a camera pan is not taken for noise).

use image::RgbaImage;

/// Side of the blocks motion is judged on.
const BLOCK: usize = 4;
/// How much of the running average a still pixel keeps per frame (input stage).
const KEEP_INPUT: f32 = 0.8;
/// How much of the painting shown a still pixel keeps per frame (output stage).
const KEEP_OUTPUT: f32 = 0.75;
/// A block whose mean difference is this many levels over the noise floor counts as moving.
const MOTION_SPAN: f32 = 5.0;
/// The noise level (mean absolute difference per channel, levels) before any frame says.
const FIRST_NOISE: f32 = 2.0;
const NOISE_RANGE: (f32, f32) = (0.5, 8.0);
/// How fast the noise estimate may rise per frame (a fall is taken at once).
const NOISE_RISE: f32 = 1.03;

/// The state carried between live frames of one scene size.
#[derive(Debug, Clone)]
pub struct Steadier {
    size: (u32, u32),
    /// The running average of the input, RGB f32.
    average: Vec<f32>,
    /// The painting shown last, RGB f32.
    shown: Vec<f32>,
    /// Per block, how still it is: 1 still, 0 moving (from the last `steady_input`).
    stillness: Vec<f32>,
    noise: f32,
}

impl Steadier {
    pub fn new() -> Self {
        Steadier { size: (0, 0), average: Vec::new(), shown: Vec::new(), stillness: Vec::new(), noise: FIRST_NOISE }
    }

    /// Forget everything (a new camera, another size): the next frame is taken as it comes.
    pub fn reset(&mut self) {
        *self = Steadier::new();
    }

    /// Forget the painting shown (another style): the next painting is shown as it comes, the
    /// input's average is kept.
    pub fn forget_painting(&mut self) {
        self.shown.clear();
    }

    /// The camera's noise as learned so far (mean absolute difference per channel, levels).
    pub fn noise(&self) -> f32 {
        self.noise
    }

    /// The share of the picture judged still in the last frame (0 to 1).
    pub fn still_share(&self) -> f32 {
        if self.stillness.is_empty() {
            return 0.0;
        }
        self.stillness.iter().sum::<f32>() / self.stillness.len() as f32
    }

    /// The frame to paint: `frame` averaged with the frames before where the scene stood still.
    pub fn steady_input(&mut self, frame: &RgbaImage) -> RgbaImage {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        if self.size != (frame.width(), frame.height()) || self.average.len() != 3 * w * h {
            let noise = self.noise;
            self.reset();
            self.noise = noise;
            self.size = (frame.width(), frame.height());
            self.average = frame.pixels().flat_map(|p| [p.0[0] as f32, p.0[1] as f32, p.0[2] as f32]).collect();
            self.stillness = vec![0.0; w.div_ceil(BLOCK) * h.div_ceil(BLOCK)];
            return frame.clone();
        }
        let raw = frame.as_raw();
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        // The mean difference per block.
        let mut block_sum = vec![0.0f32; bw * bh];
        let mut block_count = vec![0u32; bw * bh];
        for y in 0..h {
            for x in 0..w {
                let (i, b) = (y * w + x, (y / BLOCK) * bw + x / BLOCK);
                let d: f32 = (0..3).map(|c| (raw[4 * i + c] as f32 - self.average[3 * i + c]).abs()).sum();
                block_sum[b] += d;
                block_count[b] += 3;
            }
        }
        let motion: Vec<f32> = block_sum.iter().zip(&block_count).map(|(&s, &n)| s / n.max(1) as f32).collect();
        // The noise level: the lower quartile of the blocks' differences (in most scenes most
        // blocks are still), falling at once, rising slowly.
        let mut sorted = motion.clone();
        sorted.sort_by(f32::total_cmp);
        let quartile = sorted[sorted.len() / 4];
        self.noise = quartile.min(self.noise * NOISE_RISE).clamp(NOISE_RANGE.0, NOISE_RANGE.1);
        let floor = 1.5 * self.noise + 1.0;
        self.stillness = motion.iter().map(|&m| (1.0 - (m - floor) / MOTION_SPAN).clamp(0.0, 1.0)).collect();
        for y in 0..h {
            for x in 0..w {
                let (i, b) = (y * w + x, (y / BLOCK) * bw + x / BLOCK);
                let keep = KEEP_INPUT * self.stillness[b];
                for c in 0..3 {
                    let a = &mut self.average[3 * i + c];
                    *a = keep * *a + (1.0 - keep) * raw[4 * i + c] as f32;
                }
            }
        }
        let _ = bh;
        RgbaImage::from_fn(frame.width(), frame.height(), |x, y| {
            let i = 3 * (y as usize * w + x as usize);
            let a = &self.average[i..i + 3];
            image::Rgba([to_byte(a[0]), to_byte(a[1]), to_byte(a[2]), 255])
        })
    }

    /// The painting to show: `painted` (of the frame `steady_input` returned last) blended into
    /// the one shown before where the scene stood still.
    pub fn steady_output(&mut self, painted: &RgbaImage) -> RgbaImage {
        let (w, h) = (painted.width() as usize, painted.height() as usize);
        let fresh = self.size != (painted.width(), painted.height()) || self.shown.len() != 3 * w * h;
        let raw = painted.as_raw();
        if fresh {
            self.shown = painted.pixels().flat_map(|p| [p.0[0] as f32, p.0[1] as f32, p.0[2] as f32]).collect();
            return painted.clone();
        }
        let bw = w.div_ceil(BLOCK);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let keep = KEEP_OUTPUT * self.stillness.get((y / BLOCK) * bw + x / BLOCK).copied().unwrap_or(0.0);
                for c in 0..3 {
                    let s = &mut self.shown[3 * i + c];
                    *s = keep * *s + (1.0 - keep) * raw[4 * i + c] as f32;
                }
            }
        }
        RgbaImage::from_fn(painted.width(), painted.height(), |x, y| {
            let i = 3 * (y as usize * w + x as usize);
            let s = &self.shown[i..i + 3];
            image::Rgba([to_byte(s[0]), to_byte(s[1]), to_byte(s[2]), 255])
        })
    }
}

impl Default for Steadier {
    fn default() -> Self {
        Steadier::new()
    }
}

fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 255.0) + 0.5) as u8
}

/// Mean absolute change per channel between two pictures of one size (levels): the flicker
/// measure of the live benchmark and tests.
pub fn mean_change(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (0..3).map(|c| (p.0[c] as i32 - q.0[c] as i32).unsigned_abs() as u64).sum::<u64>())
        .sum();
    sum as f64 / (3 * a.width() as u64 * a.height() as u64).max(1) as f64
}

/// A small deterministic Gaussian source (xorshift, Box-Muller): camera-like noise for tests,
/// the trial and the benchmark's clip.
#[derive(Debug, Clone)]
pub struct NoiseSource(u64);

impl NoiseSource {
    pub fn new(seed: u64) -> Self {
        NoiseSource(seed | 1)
    }

    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn gaussian(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }

    /// `still` with fresh noise of `sigma` levels in every channel.
    pub fn noisy(&mut self, still: &RgbaImage, sigma: f64) -> RgbaImage {
        let mut frame = still.clone();
        for p in frame.pixels_mut() {
            for c in 0..3 {
                p.0[c] = (p.0[c] as f64 + sigma * self.gaussian()).round().clamp(0.0, 255.0) as u8;
            }
        }
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(w: u32, h: u32, shift: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            let v = (((x + shift) / 8 + y / 8) % 2) as u8 * 150 + 50;
            image::Rgba([v, (x * 3) as u8, (y * 5) as u8, 255])
        })
    }

    #[test]
    fn a_still_noisy_scene_settles_below_its_noise() {
        let still = scene(64, 48, 0);
        let mut noise = NoiseSource::new(7);
        let frames: Vec<RgbaImage> = (0..20).map(|_| noise.noisy(&still, 3.0)).collect();
        let mut steadier = Steadier::new();
        let inputs: Vec<RgbaImage> = frames.iter().map(|f| steadier.steady_input(f)).collect();
        let own = frames.windows(2).skip(10).map(|p| mean_change(&p[0], &p[1])).sum::<f64>() / 9.0;
        let steadied = inputs.windows(2).skip(10).map(|p| mean_change(&p[0], &p[1])).sum::<f64>() / 9.0;
        assert!(own > 3.0, "the clip's own change {own}");
        assert!(steadied < 0.6 * own, "steadied input changes {steadied} against the clip's {own}");
        assert!((steadier.noise() - 2.7).abs() < 1.0, "noise learned as {}", steadier.noise());
        assert_eq!(Steadier::default().noise(), FIRST_NOISE, "the worker's default starts where new() does");
        // The average stays the scene (no drift): within a level or two of the clean frame.
        assert!(mean_change(&inputs[19], &still) < 2.0, "{}", mean_change(&inputs[19], &still));
    }

    #[test]
    fn what_moves_is_taken_at_once() {
        let mut steadier = Steadier::new();
        let mut noise = NoiseSource::new(3);
        for _ in 0..8 {
            steadier.steady_input(&noise.noisy(&scene(64, 48, 0), 3.0));
        }
        let moved = scene(64, 48, 4);
        let input = steadier.steady_input(&moved);
        assert!(mean_change(&input, &moved) < 1.0, "the moved scene comes through: {}", mean_change(&input, &moved));
        // The painting of a moved scene replaces the one shown.
        steadier.steady_output(&scene(64, 48, 100));
        let painted = scene(64, 48, 4);
        assert!(mean_change(&steadier.steady_output(&painted), &painted) < 1.0);
    }

    #[test]
    fn paintings_of_a_still_scene_are_blended_and_a_new_size_starts_afresh() {
        let mut steadier = Steadier::new();
        let still = scene(32, 32, 0);
        steadier.steady_input(&still);
        steadier.steady_input(&still);
        let first = RgbaImage::from_pixel(32, 32, image::Rgba([100, 100, 100, 255]));
        let second = RgbaImage::from_pixel(32, 32, image::Rgba([200, 200, 200, 255]));
        steadier.steady_output(&first);
        let shown = steadier.steady_output(&second);
        assert_eq!(shown.get_pixel(5, 5).0[0], 125, "a quarter of the new painting where nothing moved");
        steadier.forget_painting();
        assert_eq!(steadier.steady_output(&second).get_pixel(5, 5).0[0], 200, "another style is shown as it comes");
        let other = scene(40, 30, 0);
        assert_eq!(steadier.steady_input(&other), other, "a new size is taken as it comes");
    }
}
