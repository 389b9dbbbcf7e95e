//! The page's painting session driven by random sequences of what a visitor and a worker can do
//! (good, refused and unreadable photos, cancels at every stage, style, size, brush and mix
//! changes, worker crashes, paintings reopened from the history), against a model worker that
//! keeps photos the way the real one does (`PhotoShelf`). The glue below mirrors what
//! `web/app.rs` does with each message. Invariants, checked after every step:
//! - the worker never answers "not ready" for a painting the page waits for;
//! - the photo on screen is the photo the page asks the worker to paint next;
//! - once everything has settled: nothing runs, the worker holds the photo on show, the controls
//!   describe the picture on show, the last good photo chosen (not cancelled) is the one on show,
//!   and a refused one left a message;
//! - at the end, a style click on the photo on show ends in that painting.

use std::collections::VecDeque;

use atelier::imaging::ImageError;
use atelier::pipeline::{Brush, PaintRequest};
use atelier::protocol::{PhotoShelf, StudioError, WorkerRequest as R};
use atelier::web::i18n::Problem;
use atelier::web::session::{PhotoSource, Session, SIZES};

const STYLES: [&str; 4] = ["starry-night", "the-scream", "great-wave", "udnie"];

/// What a file turns out to be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum File {
    Good,
    /// Read, but the worker cannot decode it (not an image).
    Refused,
    /// The browser could not read it at all.
    Unreadable,
}

#[derive(Debug)]
enum Answer {
    Done { job: u64 },
    Failed { job: u64, error: StudioError },
    Crashed { job: u64 },
}

#[derive(Default)]
struct ModelWorker {
    /// true: a photo that decodes.
    shelf: PhotoShelf<bool>,
    inbox: VecDeque<R>,
    cancelled_through: u64,
    dead: bool,
}

impl ModelWorker {
    /// The next queued request; its answer, if it has one.
    fn step(&mut self) -> Option<Answer> {
        match self.inbox.pop_front()? {
            R::SetPhoto { photo, also_keep, bytes } => self.shelf.put(photo, also_keep, bytes != b"refused"),
            R::SetPhotoPixels { photo, also_keep, .. } => self.shelf.put(photo, also_keep, true),
            R::Stylize { job, photo, .. } => {
                let error = if job <= self.cancelled_through {
                    StudioError::Cancelled
                } else {
                    match self.shelf.get(photo) {
                        None => StudioError::NotReady,
                        Some(false) => StudioError::Photo(ImageError::UnknownFormat),
                        Some(true) => return Some(Answer::Done { job }),
                    }
                };
                return Some(Answer::Failed { job, error });
            }
            other => panic!("{other:?} is never queued"),
        }
        None
    }

    /// The job it would crash on now: a painting at the head of its queue, not cancelled.
    fn painting(&self) -> Option<u64> {
        match self.inbox.front() {
            Some(R::Stylize { job, .. }) if *job > self.cancelled_through && !self.dead => Some(*job),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct OnShow {
    photo: u64,
    name: String,
    settings: PaintRequest,
}

struct Page {
    session: Session,
    painted: Option<OnShow>,
    error: Option<Problem>,
    /// Files being read: (job, name, what it is).
    reads: Vec<(u64, String, File)>,
    worker: ModelWorker,
    answers: VecDeque<Answer>,
    /// The photo that must end on show once everything settles.
    expect_on_show: Option<String>,
    /// A refused or unreadable photo was the last chosen: a message must say so.
    expect_message: bool,
    files: u32,
    log: Vec<String>,
}

impl Page {
    fn new() -> Self {
        Page {
            session: Session::new(Brush::default()),
            painted: None,
            error: None,
            reads: Vec::new(),
            worker: ModelWorker::default(),
            answers: VecDeque::new(),
            expect_on_show: None,
            expect_message: false,
            files: 0,
            log: Vec::new(),
        }
    }

    fn fail(&self, why: &str) -> ! {
        panic!("{why}\nafter:\n  {}", self.log.join("\n  "));
    }

    fn send(&mut self, request: R) {
        if self.worker.dead {
            return; // posted to a worker whose wasm is gone: lost
        }
        match request {
            R::Cancel { job } => self.worker.cancelled_through = self.worker.cancelled_through.max(job),
            request => self.worker.inbox.push_back(request),
        }
    }

    fn send_all(&mut self, requests: Vec<R>) {
        requests.into_iter().for_each(|r| self.send(r));
    }

    /// app.rs `run`.
    fn run(&mut self) {
        match self.session.paint(None, Some(STYLES[0]), None, 0.0) {
            Ok(requests) => {
                if !requests.is_empty() {
                    self.error = None;
                    // A new painting of the photo on show: the refusal was said and is over.
                    if self.session.pending_photo.is_none() {
                        self.expect_message = false;
                    }
                }
                self.send_all(requests);
            }
            Err(problem) => self.error = Some(problem),
        }
    }

    fn choose(&mut self, file: File) {
        self.files += 1;
        let name = format!("{file:?}-{}.jpg", self.files).to_lowercase();
        let (job, cancel) = self.session.photo_coming();
        self.send_all(cancel.into_iter().collect());
        self.error = None;
        self.reads.push((job, name.clone(), file));
        self.expect_on_show = (file == File::Good).then_some(name);
        self.expect_message = file != File::Good;
    }

    fn read_arrives(&mut self, index: usize) {
        let (job, name, file) = self.reads.remove(index);
        if file == File::Unreadable {
            if self.session.photo_unreadable(job) {
                self.error = Some(Problem::FileUnreadable("NotReadableError".into()));
            }
            return;
        }
        let bytes = if file == File::Good { b"good".to_vec() } else { b"refused".to_vec() };
        let photo = |s: &mut Session| s.new_photo(name, None, PhotoSource::File(bytes));
        match self.session.photo_read(job, photo, Some(STYLES[0]), None, 0.0) {
            Some(Ok(requests)) => self.send_all(requests),
            Some(Err(problem)) => self.error = Some(problem),
            None => {}
        }
    }

    fn cancel(&mut self) {
        if let Some(cancel) = self.session.cancel() {
            self.send(cancel);
        }
        self.expect_on_show = None;
        self.expect_message = false;
    }

    fn reopen(&mut self, entry: u32) {
        let name = format!("history-{entry}.jpg");
        let style = atelier::model::StyleChoice::single(STYLES[entry as usize % STYLES.len()]);
        let source = PhotoSource::Pixels(image::RgbaImage::new(4, 3));
        let (requests, settings) = self.session.reopen(name.clone(), None, source, &style, Brush::default());
        self.send_all(requests);
        let photo = self.session.photo.as_ref().map(|p| p.id).unwrap_or_else(|| self.fail("reopened, no photo"));
        self.painted = Some(OnShow { photo, name: name.clone(), settings });
        self.error = None;
        self.expect_on_show = Some(name);
        self.expect_message = false;
    }

    fn worker_crashes(&mut self) {
        let Some(job) = self.worker.painting() else { return };
        self.worker.dead = true;
        self.worker.inbox.clear();
        self.answers.push_back(Answer::Crashed { job });
    }

    fn answer_arrives(&mut self) {
        let Some(answer) = self.answers.pop_front() else { return };
        match answer {
            Answer::Done { job } => {
                if let Some((settings, _)) = self.session.painted(job) {
                    let photo = self.session.photo.as_ref().unwrap_or_else(|| self.fail("painted, no photo on show"));
                    self.painted = Some(OnShow { photo: photo.id, name: photo.name.clone(), settings });
                }
            }
            Answer::Failed { job, error } => {
                if self.session.failed(job) {
                    if error == StudioError::NotReady {
                        self.fail("the worker did not have the photo the page asked it to paint");
                    }
                    self.error = Some(Problem::Studio(error));
                }
            }
            Answer::Crashed { job } => {
                self.worker = ModelWorker::default();
                let after = self.session.after_worker_crash(job);
                self.send_all(after.send);
                if after.gave_up {
                    self.error = Some(Problem::WorkerCrashed("twice".into()));
                    self.expect_on_show = None;
                    self.expect_message = true;
                }
            }
        }
    }

    fn settled(&self) -> bool {
        self.reads.is_empty() && self.worker.inbox.is_empty() && self.answers.is_empty()
    }

    /// Deliver everything, in order, the way it would arrive with nobody touching the page.
    fn settle(&mut self) {
        while !self.settled() {
            if !self.reads.is_empty() {
                self.read_arrives(0);
            } else if let Some(answer) = self.worker.step() {
                self.answers.push_back(answer);
            } else {
                self.answer_arrives();
            }
            self.check();
        }
    }

    fn check(&self) {
        let on_show = self.session.photo.as_ref().map(|p| p.id);
        if self.painted.as_ref().map(|p| p.photo) != on_show {
            self.fail(&format!("the picture shows photo {:?}, the session paints {on_show:?}", self.painted.as_ref().map(|p| p.photo)));
        }
        if !self.settled() {
            return;
        }
        if self.session.jobs.running() {
            self.fail("everything delivered, yet a painting still runs");
        }
        if let Some(id) = on_show {
            if !self.worker.shelf.ids().contains(&id) {
                self.fail(&format!("the worker lost photo {id}, the one on show (it holds {:?})", self.worker.shelf.ids()));
            }
        }
        if let Some(painted) = &self.painted {
            if self.session.settings() != painted.settings {
                self.fail(&format!("the controls say {:?}, the picture was painted with {:?}", self.session.settings(), painted.settings));
            }
        }
        if let Some(name) = &self.expect_on_show {
            if self.painted.as_ref().map(|p| &p.name) != Some(name) {
                self.fail(&format!("{name} was chosen, {:?} is on show ({:?})", self.painted.as_ref().map(|p| &p.name), self.error));
            }
        }
        if self.expect_message && self.error.is_none() {
            self.fail("a photo was refused without a word");
        }
    }
}

/// xorshift64*: a fixed seed per case, so a failure is reproduced by its seed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

fn random_step(page: &mut Page, dice: &mut Dice) {
    let action = dice.below(20);
    let described = match action {
        0..=1 => {
            page.choose(File::Good);
            "choose a photo".to_string()
        }
        2 => {
            page.choose(File::Refused);
            "choose a file that is not an image".to_string()
        }
        3 => {
            page.choose(File::Unreadable);
            "choose a file the browser cannot read".to_string()
        }
        4..=5 if !page.reads.is_empty() => {
            let index = dice.below(page.reads.len());
            page.read_arrives(index);
            format!("file read {index} arrives")
        }
        6..=8 => match page.worker.step() {
            Some(answer) => {
                let said = format!("worker answers {answer:?}");
                page.answers.push_back(answer);
                said
            }
            None => "worker idle".to_string(),
        },
        9..=10 => {
            page.answer_arrives();
            "the page hears the worker".to_string()
        }
        11 => {
            page.cancel();
            "cancel".to_string()
        }
        12..=13 => {
            let style = STYLES[dice.below(STYLES.len())];
            page.session.style = Some(style.into());
            page.run();
            format!("click {style}")
        }
        14 => {
            page.session.max_side = SIZES[dice.below(SIZES.len())];
            page.run();
            format!("size {}", page.session.max_side)
        }
        15 => {
            page.session.brush = Brush::new([0.5, 1.0, 2.0][dice.below(3)]).expect("in range");
            page.run();
            format!("brush {}", page.session.brush.size())
        }
        16 => {
            page.session.mix_style = [None, Some(STYLES[1].to_string())][dice.below(2)].clone();
            page.session.mix_amount = [0.25, 0.5][dice.below(2)];
            page.run();
            format!("mix {:?}", page.session.mix_style)
        }
        17 => {
            page.worker_crashes();
            "the worker crashes if it paints".to_string()
        }
        18 => {
            let entry = dice.below(3) as u32;
            page.reopen(entry);
            format!("reopen history entry {entry}")
        }
        _ => {
            // The history opened after a reload: the newest entry comes back only onto an
            // empty studio (app.rs `HistoryOpened`).
            if page.painted.is_none() && page.session.is_empty() {
                page.reopen(9);
                "history opens: the last painting comes back".to_string()
            } else {
                "history opens: the studio is in use".to_string()
            }
        }
    };
    page.log.push(described);
    page.check();
}

#[test]
fn random_visits_never_leave_the_painter_stuck() {
    for seed in 1..=3000u64 {
        let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut page = Page::new();
        page.log.push(format!("seed {seed}"));
        for _ in 0..40 {
            random_step(&mut page, &mut dice);
        }
        page.log.push("everything arrives".into());
        page.settle();
        // A style click on the photo on show ends in that painting.
        if page.painted.is_some() {
            let current = page.session.style.clone();
            let other = STYLES.iter().find(|s| Some(s.to_string()) != current).expect("four styles");
            page.log.push(format!("click {other}"));
            page.session.style = Some(other.to_string());
            page.run();
            page.settle();
            let shown = page.painted.as_ref().map(|p| p.settings.style.style.clone());
            if shown.as_deref() != Some(*other) || page.error.is_some() {
                page.fail(&format!("clicked {other}: {shown:?} on show, message {:?}", page.error));
            }
        }
    }
}

/// The visitor's report, step by step: a photo, a file that is not an image, another photo
/// cancelled while it paints, then a style.
#[test]
fn a_style_after_a_refused_and_a_cancelled_photo_paints() {
    let mut page = Page::new();
    page.choose(File::Good);
    page.settle();
    page.choose(File::Refused);
    page.settle();
    assert!(page.error.is_some(), "the refused file is named");
    page.choose(File::Good);
    page.read_arrives(0);
    page.cancel();
    page.settle();
    page.session.style = Some("the-scream".into());
    page.run();
    page.settle();
    let painted = page.painted.as_ref().expect("a painting");
    assert_eq!((painted.name.as_str(), painted.settings.style.style.as_str()), ("good-1.jpg", "the-scream"));
    assert!(page.error.is_none(), "{:?}", page.error);
}

/// A style clicked while a new photo is still being read is for that photo: the old one is not
/// painted again, and the new one is not dropped.
#[test]
fn a_style_clicked_while_a_photo_is_read_paints_the_new_photo() {
    let mut page = Page::new();
    page.choose(File::Good);
    page.settle();
    page.choose(File::Good);
    page.session.style = Some("udnie".into());
    page.run();
    assert!(page.worker.inbox.is_empty(), "nothing to paint until the photo is here");
    page.settle();
    let painted = page.painted.as_ref().expect("a painting");
    assert_eq!((painted.name.as_str(), painted.settings.style.style.as_str()), ("good-2.jpg", "udnie"));
}
