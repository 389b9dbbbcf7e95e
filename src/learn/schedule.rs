//! When learning a painting stops and when it shows its progress: the shells (the worker, the
//! JS module) own the clock, this says what to do with it. Only the time spent learning counts:
//! while a painting of the preview runs, learning waits, and its time is not charged.

/// How often the preview is refreshed with the style learned so far.
pub const REFRESH_EVERY_MS: f64 = 6000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct LearnSchedule {
    total_ms: f64,
    learned_ms: f64,
    last_refresh_ms: f64,
    steps: u32,
}

impl LearnSchedule {
    /// Learning for `seconds` of learning time (NaN or negative: none).
    pub fn new(seconds: f32) -> Self {
        let total_ms = if seconds.is_finite() { (seconds.max(0.0) as f64) * 1000.0 } else { 0.0 };
        LearnSchedule { total_ms, learned_ms: 0.0, last_refresh_ms: 0.0, steps: 0 }
    }

    /// A step took `ms`.
    pub fn stepped(&mut self, ms: f64) {
        self.learned_ms += ms.max(0.0);
        self.steps += 1;
    }

    /// Time is up (the first guess is kept even with no time at all).
    pub fn finished(&self) -> bool {
        self.learned_ms >= self.total_ms
    }

    /// The preview should show the style as it is now (then it waits `REFRESH_EVERY_MS` again).
    /// Never at the end: the finished style is sent anyway.
    pub fn refresh_due(&mut self) -> bool {
        if self.finished() || self.learned_ms - self.last_refresh_ms < REFRESH_EVERY_MS {
            return false;
        }
        self.last_refresh_ms = self.learned_ms;
        true
    }

    pub fn steps(&self) -> u32 {
        self.steps
    }

    pub fn learned_ms(&self) -> f64 {
        self.learned_ms
    }

    pub fn total_ms(&self) -> f64 {
        self.total_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_every_few_seconds_of_learning_and_stops_on_time() {
        let mut schedule = LearnSchedule::new(20.0);
        let mut refreshes = Vec::new();
        while !schedule.finished() {
            schedule.stepped(700.0);
            if schedule.refresh_due() {
                refreshes.push(schedule.steps());
            }
        }
        // 700 ms steps: refreshed after 6.3 s (step 9) and 12.6 s (18), 18.9 s (27); over at 20.3 s.
        assert_eq!(refreshes, vec![9, 18, 27]);
        assert_eq!(schedule.steps(), 29);
        assert!(!schedule.refresh_due(), "no refresh once finished");
    }

    #[test]
    fn no_time_or_nonsense_time_means_the_first_guess_only() {
        for seconds in [0.0, -3.0, f32::NAN, f32::NEG_INFINITY] {
            assert!(LearnSchedule::new(seconds).finished(), "{seconds}");
        }
        let mut schedule = LearnSchedule::new(1.0);
        schedule.stepped(-50.0);
        assert_eq!(schedule.learned_ms(), 0.0, "a clock that goes back charges nothing");
        assert!(!schedule.finished());
    }
}
