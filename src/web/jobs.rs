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

    /// The painting request the current job is on, while it runs.
    pub fn in_flight(&self) -> Option<&WorkerRequest> {
        self.in_flight.as_ref().filter(|_| self.running)
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

    /// The worker died during `job`. The new one knows nothing, so the painting the page waits
    /// for is replayed whichever job the old one was on when it died (a request sent after the
    /// crash, before the page heard of it, went nowhere); it is given up only where it is the job
    /// that crashed a worker a second time.
    pub fn after_crash(&mut self, job: u64) -> AfterCrash {
        if !self.running {
            return AfterCrash::Nothing;
        }
        let crashed_twice = self.is_current(job) && self.replayed == Some(job);
        match self.in_flight.clone() {
            Some(request) if !crashed_twice => {
                if self.is_current(job) {
                    self.replayed = Some(job);
                }
                AfterCrash::Replay(request)
            }
            _ => {
                self.finish();
                AfterCrash::GiveUp
            }
        }
    }
}

/// Whether the worker still answers while a painting runs. A worker that died says so (or its
/// `error` event does), but one caught in an endless loop, or waiting forever on a thread pool
/// that lost a thread, says nothing: after `PING_AFTER_MS` without a word the page asks
/// (`WorkerRequest::Ping`, answered between two steps of a painting, a few times a second), and
/// after `stall_after_ms` without a word it replaces the worker as if it had crashed. A worker
/// that has not said its first word is still downloading or compiling its wasm (tens of seconds
/// on a slow network) and cannot answer yet: it is not watched until it has.
#[derive(Debug)]
pub struct Liveness {
    stall_after_ms: f64,
    last_heard_ms: f64,
    /// The worker has answered at least once (it is running).
    started: bool,
    /// A painting was under way at the last check.
    watching: bool,
}

/// What the page does after a `Liveness::check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivenessCheck {
    Fine,
    /// Ask the worker whether it is there.
    Ping,
    /// Replace it: it has said nothing for this long.
    Stalled { silent_ms: u32 },
}

impl Liveness {
    /// Quiet this long, the page asks. A worker between two steps answers within ~50 ms.
    pub const PING_AFTER_MS: f64 = 2_000.0;
    /// Silent this long, the worker is replaced. The longest step that cannot answer (decoding a
    /// very large photo, one network layer of a 1024 px pass) takes a few seconds on a slow phone.
    pub const DEFAULT_STALL_MS: f64 = 30_000.0;

    pub fn new(stall_after_ms: f64) -> Self {
        Liveness { stall_after_ms: stall_after_ms.max(Self::PING_AFTER_MS), last_heard_ms: 0.0, started: false, watching: false }
    }

    /// The worker said something (any answer).
    pub fn heard(&mut self, now_ms: f64) {
        self.last_heard_ms = now_ms;
        self.started = true;
    }

    /// A new worker replaces the old one: unwatched until it answers.
    pub fn new_worker(&mut self) {
        self.started = false;
        self.watching = false;
    }

    /// Called every second or so; `busy`: a painting is under way. The clock starts when one does
    /// (an idle worker has nothing to say), and again after a replacement.
    pub fn check(&mut self, now_ms: f64, busy: bool) -> LivenessCheck {
        if !busy || !self.started {
            self.watching = false;
            return LivenessCheck::Fine;
        }
        if !self.watching {
            self.watching = true;
            self.last_heard_ms = now_ms;
            return LivenessCheck::Fine;
        }
        let silent_ms = now_ms - self.last_heard_ms;
        if silent_ms >= self.stall_after_ms {
            self.last_heard_ms = now_ms;
            LivenessCheck::Stalled { silent_ms: silent_ms as u32 }
        } else if silent_ms >= Self::PING_AFTER_MS {
            LivenessCheck::Ping
        } else {
            LivenessCheck::Fine
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StyleChoice;
    use crate::pipeline::PaintRequest;

    #[test]
    fn a_silent_worker_is_asked_then_replaced_but_only_while_it_paints() {
        let mut live = Liveness::new(10_000.0);
        // Still loading its wasm (never answered): not watched, however long.
        assert_eq!(live.check(1_000.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(60_000.0, true), LivenessCheck::Fine);
        live.heard(61_000.0);
        // Idle: silence is fine, however long.
        assert_eq!(live.check(100_000.0, false), LivenessCheck::Fine);
        // A painting starts at 100 s: the clock starts there, not at the last answer.
        assert_eq!(live.check(100_500.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(101_500.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(102_600.0, true), LivenessCheck::Ping);
        // It answers: quiet again.
        live.heard(102_700.0);
        assert_eq!(live.check(103_700.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(112_000.0, true), LivenessCheck::Ping);
        assert_eq!(live.check(112_800.0, true), LivenessCheck::Stalled { silent_ms: 10_100 });
        // The replacement gets a whole period of its own.
        assert_eq!(live.check(113_800.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(122_700.0, true), LivenessCheck::Ping);
        assert_eq!(live.check(122_900.0, true), LivenessCheck::Stalled { silent_ms: 10_100 });
        // A replacement that has not answered yet is loading, not silent.
        live.new_worker();
        assert_eq!(live.check(140_000.0, true), LivenessCheck::Fine);
        live.heard(140_500.0);
        // Finished: no more watching; the next painting's clock starts afresh.
        assert_eq!(live.check(200_000.0, false), LivenessCheck::Fine);
        assert_eq!(live.check(201_000.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(202_000.0, true), LivenessCheck::Fine);
    }

    #[test]
    fn the_stall_limit_is_never_shorter_than_the_ping() {
        let mut live = Liveness::new(10.0);
        live.heard(0.0);
        live.check(0.0, true);
        assert_eq!(live.check(1_000.0, true), LivenessCheck::Fine);
        assert_eq!(live.check(2_000.0, true), LivenessCheck::Stalled { silent_ms: 2_000 });
    }

    fn stylize(job: u64) -> WorkerRequest {
        WorkerRequest::Stylize { job, photo: 1, request: PaintRequest::new(StyleChoice::single("starry-night"), 1024), page_has: None }
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
        assert_eq!(jobs.after_crash(job), AfterCrash::Replay(sent.clone()));
        assert!(jobs.running(), "the replay runs");
        assert_eq!(jobs.after_crash(job), AfterCrash::GiveUp);
        assert!(!jobs.running());
        assert_eq!(jobs.after_crash(job), AfterCrash::Nothing, "given up: nothing runs");
    }

    #[test]
    fn a_crash_during_an_older_job_replays_the_current_one() {
        let mut jobs = Jobs::default();
        jobs.start(stylize, false, 0.0);
        let older = jobs.current();
        // The page moved on before it heard: the new request went to the dead worker.
        let sent = jobs.start(stylize, false, 10.0);
        assert_eq!(jobs.after_crash(older), AfterCrash::Replay(sent.clone()), "the new worker must get it");
        assert_eq!(jobs.after_crash(older), AfterCrash::Replay(sent.clone()), "it did not crash a worker itself");
        assert_eq!(jobs.after_crash(jobs.current()), AfterCrash::Replay(sent));
        assert_eq!(jobs.after_crash(jobs.current()), AfterCrash::GiveUp);
    }
}
