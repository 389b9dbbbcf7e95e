//! The live size: the largest that keeps the painted frames at the rate asked for. The page
//! measures the time between painted frames it shows and moves along a ladder of sizes.

/// Long sides the live view paints at, largest first (multiples of 32, so every feature map of
/// the stride-4 network stays whole).
pub const LIVE_SIDES: [u32; 7] = [320, 288, 256, 224, 192, 160, 128];
/// Where a live view starts. On this project's 2-core machine, in Chromium with the camera
/// running, the worker paints 256 x 192 in 125 ms, 192 x 144 in 83 ms and 128 x 96 in 46 ms
/// (bench/browser/live.mjs; natively 2.5-3x faster): 10.5-11.4 frames a second at 192, 14-16 at
/// 160. So a view starts at 160, and a faster device grows from it within a second or two.
pub const DEFAULT_LIVE_SIDE: u32 = 160;
/// The rate a live view keeps to.
pub const TARGET_FPS: f64 = 12.0;
/// Frames at a size before it may change again (the first after a change are not typical).
const SETTLE_FRAMES: u32 = 6;
/// Faster than this share of the frame budget for a while: one size up.
const ROOM_TO_GROW: f64 = 0.55;

/// Which way the size moved, for the page to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeChange {
    Smaller,
    Larger,
}

#[derive(Debug, Clone)]
pub struct LiveRate {
    index: usize,
    /// Smoothed milliseconds between painted frames.
    interval_ms: Option<f64>,
    frames_at_size: u32,
    target_fps: f64,
    /// The smallest index (largest side) it may grow to: below any size that was too slow.
    ceiling: usize,
}

impl Default for LiveRate {
    fn default() -> Self {
        LiveRate::new(TARGET_FPS)
    }
}

impl LiveRate {
    pub fn new(target_fps: f64) -> Self {
        let index = LIVE_SIDES.iter().position(|&s| s == DEFAULT_LIVE_SIDE).unwrap_or(0);
        LiveRate { index, interval_ms: None, frames_at_size: 0, target_fps: target_fps.max(1.0), ceiling: 0 }
    }

    /// Always `side` (the nearest on the ladder): for benchmarks and tests
    /// (`?atelier-live-side=N`).
    pub fn fixed(side: u32) -> Self {
        let index = (0..LIVE_SIDES.len()).min_by_key(|&i| LIVE_SIDES[i].abs_diff(side)).unwrap_or(0);
        LiveRate { index, interval_ms: None, frames_at_size: 0, target_fps: 0.0, ceiling: index }
    }

    /// The long side to paint the next frame at.
    pub fn side(&self) -> u32 {
        LIVE_SIDES[self.index]
    }

    /// The painted frames per second, smoothed (None before two frames).
    pub fn fps(&self) -> Option<f64> {
        self.interval_ms.filter(|&ms| ms > 0.0).map(|ms| 1000.0 / ms)
    }

    /// A painted frame was shown `interval_ms` after the one before; returns a change of size
    /// where one is due.
    pub fn shown(&mut self, interval_ms: f64) -> Option<SizeChange> {
        if !interval_ms.is_finite() || interval_ms <= 0.0 {
            return None;
        }
        self.frames_at_size += 1;
        let smoothed = match self.interval_ms {
            None => interval_ms,
            Some(old) => 0.7 * old + 0.3 * interval_ms,
        };
        self.interval_ms = Some(smoothed);
        if self.frames_at_size < SETTLE_FRAMES {
            return None;
        }
        if self.target_fps == 0.0 {
            return None;
        }
        let budget = 1000.0 / self.target_fps;
        if smoothed > budget && self.index + 1 < LIVE_SIDES.len() {
            // One size down cuts the work by about the square of the sides' ratio; a frame far
            // over the budget may step two.
            let steps = if smoothed > 1.8 * budget && self.index + 2 < LIVE_SIDES.len() { 2 } else { 1 };
            // The size that was too slow is not tried again in this view: going back and forth
            // between two sizes would show neither steadily.
            self.ceiling = self.ceiling.max(self.index + 1);
            self.index += steps;
            self.changed();
            return Some(SizeChange::Smaller);
        }
        if smoothed < ROOM_TO_GROW * budget && self.index > self.ceiling {
            self.index -= 1;
            self.changed();
            return Some(SizeChange::Larger);
        }
        None
    }

    fn changed(&mut self) {
        self.frames_at_size = 0;
        self.interval_ms = None;
    }
}

/// The size of a frame of `width` x `height` painted at long side `side` (never larger than the
/// camera's own frame), both even.
pub fn frame_size(width: u32, height: u32, side: u32) -> (u32, u32) {
    let long = width.max(height).max(1) as f64;
    let scale = (side as f64 / long).min(1.0);
    let even = |v: u32| ((((v as f64) * scale).round() as u32) / 2 * 2).max(16);
    (even(width), even(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_device_steps_down_and_a_fast_one_up_without_passing_what_failed() {
        let mut rate = LiveRate::new(12.0);
        assert_eq!(rate.side(), 160);
        // 10 fps: one step down after the settling frames.
        let changes: Vec<_> = (0..SETTLE_FRAMES).map(|_| rate.shown(100.0)).collect();
        assert_eq!(changes.last(), Some(&Some(SizeChange::Smaller)));
        assert_eq!(rate.side(), 128);
        // Now fast: it stays, as 160 was too slow.
        for _ in 0..3 * SETTLE_FRAMES {
            rate.shown(30.0);
        }
        assert_eq!(rate.side(), 128, "the size that was too slow is not tried again");
        assert!((rate.fps().unwrap() - 33.3).abs() < 1.0);
    }

    #[test]
    fn far_too_slow_steps_two_and_the_ladder_ends() {
        let mut rate = LiveRate::new(12.0);
        rate.index = 0;
        for _ in 0..SETTLE_FRAMES {
            rate.shown(400.0);
        }
        assert_eq!(rate.side(), 256, "two steps from 320");
        for _ in 0..10 * SETTLE_FRAMES {
            rate.shown(400.0);
        }
        assert_eq!(rate.side(), 128, "never below the ladder");
        assert_eq!(rate.shown(f64::NAN), None);
        // A fast device from the start grows to the top.
        let mut fast = LiveRate::new(12.0);
        for _ in 0..LIVE_SIDES.len() as u32 * SETTLE_FRAMES {
            fast.shown(10.0);
        }
        assert_eq!(fast.side(), 320);
        let mut fixed = LiveRate::fixed(250);
        for _ in 0..4 * SETTLE_FRAMES {
            fixed.shown(400.0);
        }
        assert_eq!(fixed.side(), 256, "a fixed size stays");
        assert!(fixed.fps().is_some());
    }

    #[test]
    fn frames_keep_the_camera_shape() {
        assert_eq!(frame_size(640, 480, 256), (256, 192));
        assert_eq!(frame_size(480, 640, 256), (192, 256));
        assert_eq!(frame_size(1920, 1080, 224), (224, 126));
        assert_eq!(frame_size(160, 120, 256), (160, 120), "never larger than the camera's frame");
    }
}
