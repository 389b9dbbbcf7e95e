//! The page's painting session, DOM-free so its transitions are tested natively: the photo on
//! show and the one on its way through the worker, the settings a painting is made with, and the
//! painting jobs. Each transition returns the worker messages to send, in order; the page (app.rs)
//! sends them and draws.

use image::RgbaImage;

use super::i18n::Problem;
use super::jobs::{AfterCrash, Jobs};
use super::samples::Sample;
use crate::model::StyleChoice;
use crate::pipeline::Brush;
use crate::protocol::{PageHas, WorkerRequest};

/// The output sizes the page offers (long side, px); the first is the default.
pub const SIZES: [u32; 3] = [1024, 2048, 4096];

pub struct Photo {
    /// The worker keeps the decoded photo under this id.
    pub id: u64,
    pub name: String,
    /// A sample photo is credited wherever it is on show.
    pub sample: Option<&'static Sample>,
    /// Kept for a replacement worker (after a crash), which knows no photos.
    pub source: PhotoSource,
}

pub enum PhotoSource {
    /// The file as chosen.
    File(Vec<u8>),
    /// The photo of a history entry, as stored.
    Pixels(RgbaImage),
}

impl Photo {
    /// The request that gives the worker this photo.
    pub fn to_worker(&self) -> WorkerRequest {
        match &self.source {
            PhotoSource::File(bytes) => WorkerRequest::SetPhoto { photo: self.id, bytes: bytes.clone() },
            PhotoSource::Pixels(image) => WorkerRequest::SetPhotoPixels {
                photo: self.id,
                width: image.width(),
                height: image.height(),
                rgba: image.as_raw().clone(),
            },
        }
    }
}

/// What went into a painting, so a cancelled change can put the controls back to the picture shown.
#[derive(Debug, Clone, PartialEq)]
pub struct PaintSettings {
    pub style: StyleChoice,
    pub max_side: u32,
    pub brush: Brush,
}

pub struct Session {
    /// The photo of the painting on show.
    pub photo: Option<Photo>,
    /// A new photo on its way through the worker: it replaces `photo` once painted, so a broken
    /// file never loses the visitor's work.
    pub pending_photo: Option<Photo>,
    next_photo_id: u64,
    pub style: Option<String>,
    pub mix_style: Option<String>,
    pub mix_amount: f32,
    /// Stroke size relative to the picture; remembered on the device and kept in history entries.
    pub brush: Brush,
    pub max_side: u32,
    /// Painting jobs: which is current, its stage and time left, the request in flight.
    pub jobs: Jobs,
}

/// What the page does after the worker crashed (it has started a new worker already).
#[derive(Debug, PartialEq)]
pub struct AfterWorkerCrash {
    /// For the new worker, in order: the photos it must know again, then the painting to replay.
    pub send: Vec<WorkerRequest>,
    /// The same painting crashed a worker twice: given up, and this is why.
    pub gave_up: bool,
}

impl Session {
    pub fn new(brush: Brush) -> Self {
        Session {
            photo: None,
            pending_photo: None,
            next_photo_id: 0,
            style: None,
            mix_style: None,
            mix_amount: 0.5,
            brush,
            max_side: SIZES[0],
            jobs: Jobs::default(),
        }
    }

    /// A photo for the worker, under a new id.
    pub fn new_photo(&mut self, name: String, sample: Option<&'static Sample>, source: PhotoSource) -> Photo {
        self.next_photo_id += 1;
        Photo { id: self.next_photo_id, name, sample, source }
    }

    /// The newest photo: the one on its way, else the one on show.
    pub fn newest_photo(&self) -> Option<&Photo> {
        self.pending_photo.as_ref().or(self.photo.as_ref())
    }

    /// Paint with the current settings: a new `photo`, or (None) the newest one again. No style
    /// chosen yet takes the first of `styles`; no style at all is `Problem::NoStyleYet`; no photo
    /// yet sends nothing. `page_has`: the photo pixels the page holds (its painting's), which the
    /// worker then does not send again.
    pub fn paint(
        &mut self,
        photo: Option<Photo>,
        first_style: Option<&str>,
        page_has: Option<PageHas>,
        now_ms: f64,
    ) -> Result<Vec<WorkerRequest>, Problem> {
        // A re-run (new style, mix or size) paints the newest photo: the worker has it decoded.
        let Some(photo_id) = photo.as_ref().or(self.newest_photo()).map(|p| p.id) else {
            return Ok(Vec::new());
        };
        let Some(style) = self.style.clone().or_else(|| first_style.map(str::to_string)) else {
            return Err(Problem::NoStyleYet);
        };
        self.style = Some(style.clone());
        let mut send = Vec::new();
        if let Some(photo) = photo {
            send.push(photo.to_worker());
            // Remembered as the photo on show only once it is painted.
            self.pending_photo = Some(photo);
        }
        // A painting still running (a style clicked before the last one finished) is stopped,
        // not waited for: the worker would finish it before starting this one.
        send.extend(self.jobs.cancel());
        let new_photo = self.pending_photo.as_ref().is_some_and(|p| p.id == photo_id);
        let style = StyleChoice { style, mix: self.mix_style.clone().map(|id| (id, self.mix_amount)) };
        let (max_side, brush) = (self.max_side, self.brush);
        let make = |job| WorkerRequest::Stylize { job, photo: photo_id, style, max_side, brush, page_has };
        send.push(self.jobs.start(make, new_photo, now_ms));
        Ok(send)
    }

    /// A new photo is on its way (a file being read, a sample being fetched): the job that will
    /// read it, and the cancel for a painting of the old photo still running.
    pub fn photo_coming(&mut self) -> (u64, Option<WorkerRequest>) {
        let cancel = self.jobs.cancel();
        (self.jobs.new_job(), cancel)
    }

    /// The visitor cancelled: the message for the worker; the photo on its way is dropped.
    pub fn cancel(&mut self) -> Option<WorkerRequest> {
        self.pending_photo = None;
        self.jobs.cancel()
    }

    /// The current job's painting arrived: the photo on its way is now the one on show. Returns
    /// the settings it was painted with and its photo's id.
    pub fn painted(&mut self) -> (PaintSettings, Option<u64>) {
        let request = self.jobs.finish();
        if let Some(p) = self.pending_photo.take() {
            self.photo = Some(p);
        }
        match request {
            Some(WorkerRequest::Stylize { style, max_side, brush, photo, .. }) => (PaintSettings { style, max_side, brush }, Some(photo)),
            _ => (self.settings(), None),
        }
    }

    /// The current job failed: the photo on its way is dropped (the one on show stays).
    pub fn failed(&mut self) {
        self.jobs.finish();
        self.pending_photo = None;
    }

    /// The worker crashed during `job`; a new one knows no photos.
    pub fn after_worker_crash(&mut self, job: u64) -> AfterWorkerCrash {
        let mut send: Vec<WorkerRequest> =
            [&self.photo, &self.pending_photo].into_iter().flatten().map(Photo::to_worker).collect();
        let gave_up = match self.jobs.after_crash(job) {
            AfterCrash::Nothing => false,
            AfterCrash::Replay(request) => {
                send.push(request);
                false
            }
            AfterCrash::GiveUp => {
                self.pending_photo = None;
                true
            }
        };
        AfterWorkerCrash { send, gave_up }
    }

    /// A painting reopened from the history: its photo is the one on show (and the one a new
    /// style or size paints), its settings the controls'. Answers still on their way are for the
    /// old picture. Returns what the worker needs (a cancel, the photo) and the painting's settings.
    pub fn reopen(
        &mut self,
        name: String,
        sample: Option<&'static Sample>,
        source: PhotoSource,
        style: &StyleChoice,
        brush: Brush,
    ) -> (Vec<WorkerRequest>, PaintSettings) {
        let mut send: Vec<WorkerRequest> = self.cancel().into_iter().collect();
        let photo = self.new_photo(name, sample, source);
        send.push(photo.to_worker());
        self.photo = Some(photo);
        self.show_style(style);
        self.brush = brush;
        (send, self.settings())
    }

    pub fn settings(&self) -> PaintSettings {
        let style = StyleChoice {
            style: self.style.clone().unwrap_or_default(),
            mix: self.mix_style.clone().map(|id| (id, self.mix_amount)),
        };
        PaintSettings { style, max_side: self.max_side, brush: self.brush }
    }

    /// The controls as they were for a painting (after a cancel, or a painting reopened).
    pub fn show_settings(&mut self, settings: &PaintSettings) {
        self.show_style(&settings.style);
        self.max_side = settings.max_side;
        self.brush = settings.brush;
    }

    pub fn show_style(&mut self, style: &StyleChoice) {
        self.style = Some(style.style.clone());
        self.mix_style = style.mix.as_ref().map(|(id, _)| id.clone());
        if let Some((_, t)) = style.mix {
            self.mix_amount = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::WorkerRequest as R;

    fn file(session: &mut Session, name: &str) -> Photo {
        session.new_photo(name.into(), None, PhotoSource::File(name.as_bytes().to_vec()))
    }

    fn stylized(requests: &[R]) -> Vec<(u64, u64, String)> {
        requests
            .iter()
            .filter_map(|r| match r {
                R::Stylize { job, photo, style, .. } => Some((*job, *photo, style.style.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_photo_is_sent_once_and_painted_again_by_id() {
        let mut s = Session::new(Brush::default());
        assert_eq!(s.paint(None, Some("starry-night"), None, 0.0).unwrap(), vec![], "no photo yet: nothing to paint");
        let photo = file(&mut s, "a.jpg");
        let sent = s.paint(Some(photo), Some("starry-night"), None, 0.0).unwrap();
        assert!(matches!(&sent[0], R::SetPhoto { photo: 1, bytes } if bytes == b"a.jpg"));
        let first_job = s.jobs.current();
        assert_eq!(stylized(&sent), vec![(first_job, 1, "starry-night".to_string())], "the first style when none is chosen");
        // Another style before the first painting arrived: the running job is cancelled, the
        // photo is not sent again, the new job paints the same photo id.
        s.style = Some("the-scream".into());
        let sent = s.paint(None, Some("starry-night"), None, 1.0).unwrap();
        assert!(matches!(sent[0], R::Cancel { job } if job == first_job));
        assert!(!s.jobs.is_current(first_job));
        assert_eq!(stylized(&sent), vec![(s.jobs.current(), 1, "the-scream".to_string())]);
        assert!(sent.iter().all(|r| !matches!(r, R::SetPhoto { .. })));
        assert_eq!(s.newest_photo().map(|p| p.name.as_str()), Some("a.jpg"));
        assert!(s.photo.is_none(), "not on show before it is painted");
        let (settings, photo) = s.painted();
        assert_eq!(settings.style.style, "the-scream");
        assert_eq!(photo, Some(1));
        assert_eq!(s.photo.as_ref().map(|p| p.id), Some(1));
        assert!(s.pending_photo.is_none() && !s.jobs.running());
    }

    #[test]
    fn the_request_names_the_photo_the_page_holds() {
        let mut s = Session::new(Brush::default());
        let photo = file(&mut s, "a.jpg");
        s.paint(Some(photo), Some("kiss"), None, 0.0).unwrap();
        s.painted();
        let has = PageHas { photo: 1, width: 1024, height: 768 };
        let sent = s.paint(None, Some("kiss"), Some(has), 0.0).unwrap();
        assert!(matches!(sent.last(), Some(R::Stylize { photo: 1, page_has: Some(h), .. }) if *h == has));
    }

    #[test]
    fn no_style_at_all_is_a_problem_to_show() {
        let mut s = Session::new(Brush::default());
        let photo = file(&mut s, "a.jpg");
        assert!(matches!(s.paint(Some(photo), None, None, 0.0), Err(Problem::NoStyleYet)));
    }

    #[test]
    fn a_failed_or_cancelled_new_photo_keeps_the_one_on_show() {
        let mut s = Session::new(Brush::default());
        let first = file(&mut s, "first.jpg");
        s.paint(Some(first), Some("kiss"), None, 0.0).unwrap();
        s.painted();
        let broken = file(&mut s, "broken.jpg");
        s.paint(Some(broken), Some("kiss"), None, 0.0).unwrap();
        s.failed();
        assert_eq!(s.newest_photo().map(|p| p.name.as_str()), Some("first.jpg"));

        let third = file(&mut s, "third.jpg");
        s.paint(Some(third), Some("kiss"), None, 0.0).unwrap();
        let job = s.jobs.current();
        assert_eq!(s.cancel(), Some(R::Cancel { job }));
        assert!(!s.jobs.is_current(job), "answers for the cancelled job are stale");
        assert_eq!(s.newest_photo().map(|p| p.name.as_str()), Some("first.jpg"));
        assert_eq!(s.cancel(), None, "nothing runs: nothing to cancel");
    }

    #[test]
    fn a_crashed_worker_gets_the_photos_and_the_painting_once() {
        let mut s = Session::new(Brush::default());
        let first = file(&mut s, "first.jpg");
        s.paint(Some(first), Some("kiss"), None, 0.0).unwrap();
        s.painted();
        let second = file(&mut s, "second.jpg");
        s.paint(Some(second), Some("kiss"), None, 0.0).unwrap();
        let job = s.jobs.current();
        let again = s.after_worker_crash(job);
        assert!(!again.gave_up);
        let photos: Vec<u64> = again.send.iter().filter_map(|r| match r { R::SetPhoto { photo, .. } => Some(*photo), _ => None }).collect();
        assert_eq!(photos, vec![1, 2], "both photos, the one on show first");
        assert_eq!(stylized(&again.send), vec![(job, 2, "kiss".to_string())], "then the painting, replayed");
        let twice = s.after_worker_crash(job);
        assert!(twice.gave_up && stylized(&twice.send).is_empty());
        assert_eq!(s.newest_photo().map(|p| p.name.as_str()), Some("first.jpg"), "the crashing photo is dropped");
    }

    #[test]
    fn a_reopened_painting_becomes_the_photo_on_show() {
        let mut s = Session::new(Brush::default());
        let first = file(&mut s, "first.jpg");
        s.paint(Some(first), Some("kiss"), None, 0.0).unwrap();
        let running = s.jobs.current();
        let pixels = RgbaImage::new(4, 3);
        let mix = StyleChoice { style: "udnie".into(), mix: Some(("kiss".into(), 0.3)) };
        let (sent, settings) = s.reopen("old.jpg".into(), None, PhotoSource::Pixels(pixels), &mix, Brush::default());
        assert!(matches!(sent[0], R::Cancel { job } if job == running), "the painting still running is stopped");
        assert!(matches!(sent[1], R::SetPhotoPixels { photo: 2, width: 4, height: 3, .. }));
        assert_eq!(settings.style, mix);
        assert_eq!(s.photo.as_ref().map(|p| p.name.as_str()), Some("old.jpg"));
        assert!(s.pending_photo.is_none());
        // A new style now paints the reopened photo, which the worker has.
        s.style = Some("the-scream".into());
        let sent = s.paint(None, None, None, 0.0).unwrap();
        assert_eq!(stylized(&sent), vec![(s.jobs.current(), 2, "the-scream".to_string())]);
    }

    #[test]
    fn settings_round_trip_through_a_painting() {
        let mut s = Session::new(Brush::default());
        s.style = Some("udnie".into());
        s.mix_style = Some("kiss".into());
        s.mix_amount = 0.25;
        s.max_side = SIZES[1];
        let before = s.settings();
        s.style = Some("the-scream".into());
        s.mix_style = None;
        s.max_side = SIZES[2];
        s.show_settings(&before);
        assert_eq!(s.settings(), before);
        assert_eq!(before.style.mix, Some(("kiss".to_string(), 0.25)));
    }
}
