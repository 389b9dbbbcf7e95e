//! The page's painting session, DOM-free so its transitions are tested natively: the photo on
//! show and the one on its way through the worker, the settings a painting is made with, and the
//! painting jobs. Each transition returns the worker messages to send, in order; the page (app.rs)
//! sends them and draws.

use image::RgbaImage;

use super::i18n::Problem;
use super::jobs::{AfterCrash, Jobs};
use super::samples::Sample;
use crate::model::StyleChoice;
use crate::pipeline::{Brush, PaintRequest};
use crate::protocol::{PageHas, WorkerRequest};

/// The output sizes the page offers (long side, px); the first is the default.
pub const SIZES: [u32; 3] = [1024, 2048, 4096];

/// The output size for full screen on a screen `screen_px` device pixels on its long side: the
/// smallest of `SIZES` that fills it (the largest where none does), never below `chosen`.
pub fn full_screen_side(screen_px: f64, chosen: u32) -> u32 {
    let fills = SIZES.iter().copied().find(|side| f64::from(*side) >= screen_px).unwrap_or(SIZES[SIZES.len() - 1]);
    fills.max(chosen)
}

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
    /// The request that gives the worker this photo; `also_keep`: the photo the worker must
    /// keep beside it (the one on show).
    pub fn to_worker(&self, also_keep: Option<u64>) -> WorkerRequest {
        match &self.source {
            PhotoSource::File(bytes) => WorkerRequest::SetPhoto { photo: self.id, also_keep, bytes: bytes.clone() },
            PhotoSource::Pixels(image) => WorkerRequest::SetPhotoPixels {
                photo: self.id,
                also_keep,
                width: image.width(),
                height: image.height(),
                rgba: image.as_raw().clone(),
            },
        }
    }
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
    /// A new photo is being read (a file, a sample): a style or size chosen meanwhile is for it.
    reading_photo: bool,
    /// The settings of the painting on show: the controls go back to them when a change is
    /// cancelled or fails, so they always describe the picture the visitor sees.
    shown: Option<PaintRequest>,
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
            reading_photo: false,
            shown: None,
        }
    }

    /// Nothing on show and nothing on its way: the page may bring back the last painting from
    /// the history (after a reload) without dropping a photo the visitor just gave.
    pub fn is_empty(&self) -> bool {
        self.photo.is_none() && self.pending_photo.is_none() && !self.reading_photo && !self.jobs.running()
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
        // A photo being read is painted with these settings once it is here; painting the old
        // one now would make the new photo's arrival stale and lose it.
        if photo.is_none() && self.reading_photo {
            return Ok(Vec::new());
        }
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
            send.push(photo.to_worker(self.photo.as_ref().map(|p| p.id)));
            // Remembered as the photo on show only once it is painted.
            self.pending_photo = Some(photo);
        }
        // A painting still running (a style clicked before the last one finished) is stopped,
        // not waited for: the worker would finish it before starting this one.
        send.extend(self.jobs.cancel());
        let new_photo = self.pending_photo.as_ref().is_some_and(|p| p.id == photo_id);
        let style = StyleChoice { style, mix: self.mix_style.clone().map(|id| (id, self.mix_amount)) };
        let request = PaintRequest { style, max_side: self.max_side, brush: self.brush };
        let make = |job| WorkerRequest::Stylize { job, photo: photo_id, request, page_has };
        send.push(self.jobs.start(make, new_photo, now_ms));
        Ok(send)
    }

    /// A new photo is on its way (a file being read, a sample being fetched): the job that will
    /// read it, and the cancel for a painting of the old photo still running.
    /// The photo on its way before is dropped with its painting: the newest choice wins.
    pub fn photo_coming(&mut self) -> (u64, Option<WorkerRequest>) {
        let cancel = self.jobs.cancel();
        self.pending_photo = None;
        self.reading_photo = true;
        (self.jobs.new_job(), cancel)
    }

    /// The photo read for `job` is here: paint it (the requests), or None where a later photo,
    /// a cancel or a reopened painting has made it stale.
    pub fn photo_read(
        &mut self,
        job: u64,
        photo: impl FnOnce(&mut Self) -> Photo,
        first_style: Option<&str>,
        page_has: Option<PageHas>,
        now_ms: f64,
    ) -> Option<Result<Vec<WorkerRequest>, Problem>> {
        if !self.jobs.is_current(job) || !self.reading_photo {
            return None;
        }
        self.reading_photo = false;
        let photo = photo(self);
        Some(self.paint(Some(photo), first_style, page_has, now_ms))
    }

    /// The photo for `job` could not be read: whether that is still news (not stale).
    pub fn photo_unreadable(&mut self, job: u64) -> bool {
        let current = self.jobs.is_current(job) && self.reading_photo;
        if current {
            self.reading_photo = false;
            self.show_shown_settings();
        }
        current
    }

    /// The visitor cancelled: the message for the worker; the photo on its way (read or being
    /// read) is dropped and the controls go back to the picture on show.
    pub fn cancel(&mut self) -> Option<WorkerRequest> {
        self.pending_photo = None;
        self.reading_photo = false;
        self.show_shown_settings();
        self.jobs.cancel()
    }

    /// The painting of `job` arrived: None where it is stale; else the photo on its way is now
    /// the one on show, and this returns the settings it was painted with and its photo's id.
    pub fn painted(&mut self, job: u64) -> Option<(PaintRequest, Option<u64>)> {
        if !self.jobs.is_current(job) {
            return None;
        }
        let request = self.jobs.finish();
        Some(self.now_on_show(request.as_ref()))
    }

    /// `job`'s painting before its detail stage arrived (`WorkerResponse::Preview`): as
    /// `painted`, but the job runs on. Cancelled or failed from here, the preview stays the
    /// picture on show, its photo and settings those the controls go back to.
    pub fn previewed(&mut self, job: u64) -> Option<(PaintRequest, Option<u64>)> {
        if !self.jobs.is_current(job) || !self.jobs.running() {
            return None;
        }
        let request = self.jobs.in_flight().cloned();
        Some(self.now_on_show(request.as_ref()))
    }

    /// The photo on its way and the settings of `request` are the picture on show's from now on.
    fn now_on_show(&mut self, request: Option<&WorkerRequest>) -> (PaintRequest, Option<u64>) {
        if let Some(p) = self.pending_photo.take() {
            self.photo = Some(p);
        }
        let painted = match request {
            Some(WorkerRequest::Stylize { request, photo, .. }) => (request.clone(), Some(*photo)),
            _ => (self.settings(), None),
        };
        self.shown = Some(painted.0.clone());
        painted
    }

    /// `job` failed: whether that is news (not stale). The photo on its way is dropped (the one
    /// on show stays) and the controls go back to the picture on show.
    pub fn failed(&mut self, job: u64) -> bool {
        if !self.jobs.is_current(job) {
            return false;
        }
        self.jobs.finish();
        self.pending_photo = None;
        self.show_shown_settings();
        true
    }

    fn show_shown_settings(&mut self) {
        if let Some(shown) = self.shown.clone() {
            self.show_settings(&shown);
        }
    }

    /// The worker crashed during `job`; a new one knows no photos.
    pub fn after_worker_crash(&mut self, job: u64) -> AfterWorkerCrash {
        // The photo on show first, then the one on its way, which keeps it.
        let shown_id = self.photo.as_ref().map(|p| p.id);
        let mut send: Vec<WorkerRequest> = self.photo.iter().map(|p| p.to_worker(None)).collect();
        send.extend(self.pending_photo.iter().map(|p| p.to_worker(shown_id)));
        let gave_up = match self.jobs.after_crash(job) {
            AfterCrash::Nothing => false,
            AfterCrash::Replay(request) => {
                send.push(request);
                false
            }
            AfterCrash::GiveUp => {
                self.pending_photo = None;
                self.show_shown_settings();
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
    ) -> (Vec<WorkerRequest>, PaintRequest) {
        let mut send: Vec<WorkerRequest> = self.cancel().into_iter().collect();
        let photo = self.new_photo(name, sample, source);
        // The photo on show before is not painted again: the worker may forget it.
        send.push(photo.to_worker(None));
        self.photo = Some(photo);
        self.show_style(style);
        self.brush = brush;
        self.shown = Some(self.settings());
        (send, self.settings())
    }

    pub fn settings(&self) -> PaintRequest {
        let style = StyleChoice {
            style: self.style.clone().unwrap_or_default(),
            mix: self.mix_style.clone().map(|id| (id, self.mix_amount)),
        };
        PaintRequest { style, max_side: self.max_side, brush: self.brush }
    }

    /// The controls as they were for a painting (after a cancel, or a painting reopened).
    pub fn show_settings(&mut self, settings: &PaintRequest) {
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
                R::Stylize { job, photo, request, .. } => Some((*job, *photo, request.style.style.clone())),
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
        assert!(matches!(&sent[0], R::SetPhoto { photo: 1, also_keep: None, bytes } if bytes == b"a.jpg"));
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
        let (settings, photo) = s.painted(s.jobs.current()).expect("the current job");
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
        s.painted(s.jobs.current()).expect("the current job");
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
        s.painted(s.jobs.current()).expect("the current job");
        let broken = file(&mut s, "broken.jpg");
        s.paint(Some(broken), Some("kiss"), None, 0.0).unwrap();
        assert!(s.failed(s.jobs.current()));
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
    fn a_preview_is_on_show_while_its_job_runs_and_stays_if_cancelled() {
        let mut s = Session::new(Brush::default());
        let first = file(&mut s, "first.jpg");
        s.paint(Some(first), Some("kiss"), None, 0.0).unwrap();
        s.painted(s.jobs.current()).expect("the current job");
        let second = file(&mut s, "second.jpg");
        s.style = Some("the-scream".into());
        s.paint(Some(second), Some("kiss"), None, 0.0).unwrap();
        let job = s.jobs.current();
        assert_eq!(s.previewed(job + 1), None, "not this page's job");
        let (settings, photo) = s.previewed(job).expect("the running job");
        assert_eq!((settings.style.style.as_str(), photo), ("the-scream", Some(2)));
        assert!(s.jobs.running(), "the detail is still being painted");
        assert_eq!(s.photo.as_ref().map(|p| p.name.as_str()), Some("second.jpg"), "the preview's photo is on show");
        // Cancelled now, the preview is the picture on show: its photo stays, and the controls
        // go back to its settings, not to the picture before it.
        s.style = Some("udnie".into());
        assert_eq!(s.cancel(), Some(R::Cancel { job }));
        assert_eq!(s.photo.as_ref().map(|p| p.name.as_str()), Some("second.jpg"));
        assert_eq!(s.style.as_deref(), Some("the-scream"));
        assert_eq!(s.previewed(job), None, "a cancelled job shows nothing more");
    }

    #[test]
    fn a_crashed_worker_gets_the_photos_and_the_painting_once() {
        let mut s = Session::new(Brush::default());
        let first = file(&mut s, "first.jpg");
        s.paint(Some(first), Some("kiss"), None, 0.0).unwrap();
        s.painted(s.jobs.current()).expect("the current job");
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
    fn full_screen_paints_at_the_size_that_fills_the_screen() {
        assert_eq!(full_screen_side(1280.0 * 1.0, 1024), 2048, "a 1280 px screen: 1024 would be stretched");
        assert_eq!(full_screen_side(1024.0, 1024), 1024);
        assert_eq!(full_screen_side(844.0 * 3.0, 1024), 4096, "a phone at 3 device pixels per CSS pixel");
        assert_eq!(full_screen_side(7680.0, 1024), 4096, "8K: the largest there is");
        assert_eq!(full_screen_side(800.0, 4096), 4096, "never below the size chosen");
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
