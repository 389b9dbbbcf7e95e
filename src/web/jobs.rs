//! The page's bookkeeping of painting jobs, DOM-free so it is tested natively: which job is
//! current (answers for older ones are dropped), its stage and time estimate, the request in
//! flight, and the replay-once policy after a worker crash.

use crate::protocol::{Stage, WorkerRequest};

#[derive(Debug, Default)]
pub struct Jobs {
    /// The job whose answers the page still wants.
    current: u64,
    running: bool,
    stage: Option<Stage>,
    started_ms: f64,
    eta_s: Option<u32>,
    /// The painting request the worker is on, replayed once on a new worker if the old one crashes.
    in_flight: Option<WorkerRequest>,
    /// The job already replayed after a crash: a second crash on it is reported, not replayed.
    replayed: Option<u64>,
}

/// What to do about a worker that crashed during `job` (the page replaces the worker in any case).
#[derive(Debug, Clone, PartialEq)]
pub enum AfterCrash {
    /// Nothing was running for the page: no job to replay.
    Nothing,
    /// Send this request again, to the new worker.
    Replay(WorkerRequest),
    /// The job crashed its worker twice: give up on it and say so.
    GiveUp,
}

impl Jobs {
    /// A new job id, making every older one stale (a file being read, a painting asked for).
    pub fn new_job(&mut self) -> u64 {
        self.current += 1;
        self.current
    }

    pub fn current(&self) -> u64 {
        self.current
    }

    pub fn is_current(&self, job: u64) -> bool {
        job == self.current
    }

    pub fn running(&self) -> bool {
        self.running
    }

    pub fn stage(&self) -> Option<Stage> {
        self.stage
    }

    /// Seconds left on the current job, once a pass of several is done.
    pub fn eta_s(&self) -> Option<u32> {
        self.eta_s
    }

    /// Start a painting: `make(job)` is the request; `new_photo` whether the worker reads a photo first.
    pub fn start(&mut self, make: impl FnOnce(u64) -> WorkerRequest, new_photo: bool, now_ms: f64) -> WorkerRequest {
        let job = self.new_job();
        let request = make(job);
        self.running = true;
        // A new photo is read first; a photo the worker holds is painted at once.
        self.stage = Some(if new_photo { Stage::Decoding } else { Stage::Painting { done: 0, total: 0 } });
        self.started_ms = now_ms;
        self.eta_s = None;
        self.in_flight = Some(request.clone());
        request
    }

    /// A progress report; false where it is for a stale job. Passes of one job take about the same
    /// time, so the rest takes what the done ones took.
    pub fn progress(&mut self, job: u64, stage: Stage, now_ms: f64) -> bool {
        if !self.is_current(job) {
            return false;
        }
        self.eta_s = match stage {
            Stage::Painting { done, total } if done >= 1 && total > done => {
                let elapsed_s = (now_ms - self.started_ms).max(0.0) / 1000.0;
                Some((elapsed_s / done as f64 * (total - done) as f64).round() as u32)
            }
            _ => None,
        };
        self.stage = Some(stage);
        true
    }

    /// The current job ended (done or failed): the request it was, if it was a painting.
    pub fn finish(&mut self) -> Option<WorkerRequest> {
        self.running = false;
        self.stage = None;
        self.eta_s = None;
        self.in_flight.take()
    }

    /// Stop the current job: the message for the worker (where one runs), and every answer for it
    /// is stale from now on.
    pub fn cancel(&mut self) -> Option<WorkerRequest> {
        let message = self.running.then_some(WorkerRequest::Cancel { job: self.current });
        self.finish();
        self.new_job();
        message
    }

    pub fn after_crash(&mut self, job: u64) -> AfterCrash {
        if !self.is_current(job) || !self.running {
            return AfterCrash::Nothing;
        }
        match self.in_flight.clone() {
            Some(request) if self.replayed != Some(job) => {
                self.replayed = Some(job);
                AfterCrash::Replay(request)
            }
            _ => {
                self.finish();
                AfterCrash::GiveUp
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StyleChoice;
    use crate::pipeline::Brush;

    fn stylize(job: u64) -> WorkerRequest {
        WorkerRequest::Stylize { job, photo: 1, style: StyleChoice::single("starry-night"), max_side: 1024, brush: Brush::default(), page_has: None }
    }

    #[test]
    fn answers_for_older_jobs_are_stale() {
        let mut jobs = Jobs::default();
        jobs.start(stylize, true, 0.0);
        let first = jobs.current();
        jobs.start(stylize, false, 10.0);
        assert!(!jobs.progress(first, Stage::Painting { done: 1, total: 2 }, 20.0));
        assert!(jobs.progress(jobs.current(), Stage::Painting { done: 0, total: 0 }, 20.0));
        assert!(!jobs.is_current(first));
    }

    #[test]
    fn the_stage_says_reading_only_for_a_new_photo() {
        let mut jobs = Jobs::default();
        jobs.start(stylize, true, 0.0);
        assert_eq!(jobs.stage(), Some(Stage::Decoding));
        jobs.start(stylize, false, 0.0);
        assert_eq!(jobs.stage(), Some(Stage::Painting { done: 0, total: 0 }));
    }

    #[test]
    fn the_time_left_comes_from_the_passes_done() {
        let mut jobs = Jobs::default();
        jobs.start(stylize, false, 1_000.0);
        let job = jobs.current();
        jobs.progress(job, Stage::Painting { done: 0, total: 0 }, 1_500.0);
        assert_eq!(jobs.eta_s(), None, "nothing done yet: no estimate");
        jobs.progress(job, Stage::Painting { done: 2, total: 10 }, 5_000.0);
        assert_eq!(jobs.eta_s(), Some(16), "2 passes in 4 s: 8 more take 16 s");
        jobs.progress(job, Stage::Painting { done: 10, total: 10 }, 21_000.0);
        assert_eq!(jobs.eta_s(), None);
    }

    #[test]
    fn cancel_makes_the_job_stale_and_tells_the_worker_once() {
        let mut jobs = Jobs::default();
        jobs.start(stylize, false, 0.0);
        let job = jobs.current();
        assert_eq!(jobs.cancel(), Some(WorkerRequest::Cancel { job }));
        assert!(!jobs.running() && !jobs.is_current(job));
        assert_eq!(jobs.cancel(), None, "nothing runs: nothing to tell");
    }

    #[test]
    fn a_crashed_job_is_replayed_once() {
        let mut jobs = Jobs::default();
        let sent = jobs.start(stylize, false, 0.0);
        let job = jobs.current();
        assert_eq!(jobs.after_crash(job - 1), AfterCrash::Nothing, "an older job: nothing to replay");
        assert_eq!(jobs.after_crash(job), AfterCrash::Replay(sent));
        assert!(jobs.running(), "the replay runs");
        assert_eq!(jobs.after_crash(job), AfterCrash::GiveUp);
        assert!(!jobs.running());
        assert_eq!(jobs.after_crash(job), AfterCrash::Nothing, "given up: nothing runs");
    }
}
