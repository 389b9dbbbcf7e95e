//! Messages between the app (UI thread) and the inference worker. Pure serde types, no DOM.

use serde::{Deserialize, Serialize};

use crate::engine::EngineKind;
use crate::model::package::StyleEntry;
use crate::pipeline::PaintRequest;
pub use crate::studio::{CpuReason, EngineChoice, EngineStatus, StudioError};

/// The longest side a photo is kept at (the page's largest size, "Original (up to 4096 px)").
pub const LARGEST_SIDE: u32 = 4096;

/// From the app to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerRequest {
    /// Load the model package from `models_url` (absolute, ends with '/') and open it on `engine`.
    /// `software_gpu`: count a software GPU adapter (SwiftShader) as a GPU, as the browser tests of
    /// the WebGPU path need. `gpu_failed`: the previous worker died on the GPU (the message): paint
    /// on the CPU and say why. `fault`: a failure to inject, for the browser tests of the fallbacks.
    Init { models_url: String, engine: EngineChoice, software_gpu: bool, gpu_failed: Option<String>, fault: Option<Fault> },
    /// Decode a photo once and keep it as `photo` for the `Stylize` requests that name it. The
    /// worker then keeps exactly this photo and `also_keep` (the page's photo on show) and
    /// forgets every other (`PhotoShelf`): the page, not the worker, knows which photo a
    /// cancelled or refused new one leaves on show.
    SetPhoto {
        photo: u64,
        also_keep: Option<u64>,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// A photo already decoded (one reopened from the history): RGBA of `width` x `height`;
    /// `also_keep` as for `SetPhoto`.
    SetPhotoPixels {
        photo: u64,
        also_keep: Option<u64>,
        width: u32,
        height: u32,
        #[serde(with = "serde_bytes")]
        rgba: Vec<u8>,
    },
    /// Paint the kept `photo`, scaled to at most `max_side` px, with strokes of `brush`. Answers
    /// from the worker's cache where this photo was painted so before. `page_has`: the photo and
    /// size of the painting on the page; a painting of the same photo at that size comes back
    /// without the photo's pixels (`Done::photo_is_the_pages`), which the page holds already.
    Stylize { job: u64, photo: u64, request: PaintRequest, page_has: Option<PageHas> },
    /// Stop `job` and every older one. Handled as it arrives, not queued: a running pass stops at
    /// its next checkpoint (well within a second), and the package and photos stay loaded.
    Cancel { job: u64 },
    /// Are you there? Answered with `Pong` as it arrives, not queued: while a painting runs the
    /// page asks this after a quiet spell, and a worker that stays silent is replaced.
    Ping,
    /// Paint with the style in this style file from now on (`OwnStyleAdded`), if it is one of
    /// this package's (`OwnStyleRefused` otherwise). `from` comes back with the answer.
    AddOwnStyle {
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        from: OwnStyleFrom,
        /// The painting the page keeps with a saved style (`OwnStyleInfo::painting`), empty for
        /// none: it comes back with the answer, so a style the package refuses can be learned
        /// again from it.
        #[serde(with = "serde_bytes")]
        painting: Vec<u8>,
    },
    RemoveOwnStyle { id: String },
    /// Learn the style of `painting` (an image file's bytes), named `name`: the first guess at
    /// once, then refinement for `seconds` on crops of the kept `photo`, or of the photos at
    /// `sample_urls` where there is none. Runs beside paintings (which the page asks for as the
    /// style improves); a newer `Learn` or `StopLearning` ends it.
    Learn {
        job: u64,
        #[serde(with = "serde_bytes")]
        painting: Vec<u8>,
        name: String,
        photo: Option<u64>,
        sample_urls: Vec<String>,
        seconds: f32,
    },
    /// Stop learning `job`, keeping the best style so far (answered with its last `Learned`).
    /// Handled as it arrives, like `Cancel`.
    StopLearning { job: u64 },
    /// A camera frame of the live view, RGBA of `width` x `height` (already at the live size):
    /// paint it with `style` and the sliders, steadied against the frames before
    /// (`Studio::paint_live`), and answer `LiveFrame`. The page sends the next frame only when
    /// this one is back, so frames are dropped on the page, never queued here.
    LiveFrame {
        frame: u64,
        width: u32,
        height: u32,
        #[serde(with = "serde_bytes")]
        rgba: Vec<u8>,
        style: crate::model::StyleChoice,
        adjustments: crate::pipeline::Adjustments,
    },
    /// The live view closed: forget its frames.
    LiveStop,
}

/// Where a style file came from: the page says different things for each when it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnStyleFrom {
    /// Kept on this device from an earlier visit.
    Saved,
    /// A file the visitor opened.
    Imported,
    /// The fragment of the link the page was opened with.
    Link,
}

/// A style of the visitor's own as the page shows and keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnStyleInfo {
    /// `StyleFile::style_id`: from the row, so the same style is always the same id.
    pub id: String,
    pub name: String,
    /// The painting's thumbnail (JPEG or PNG).
    #[serde(with = "serde_bytes")]
    pub thumbnail: Vec<u8>,
    /// The whole style file, to keep, download and share.
    #[serde(with = "serde_bytes")]
    pub file: Vec<u8>,
    /// The painting it was learned from as the learner read it (`learn::keep_painting`, JPEG,
    /// 256 px), kept on the device beside the style so that it can be learned again after an
    /// update of the package; empty for a style from a file or a link, which carry none.
    #[serde(with = "serde_bytes", default)]
    pub painting: Vec<u8>,
}

/// How far learning a painting has come.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LearnStage {
    /// Fetching the loss network (once; then it is cached).
    LossNetwork,
    /// Looking for the nearest shipped style or mix.
    FirstGuess,
    /// Refining: `steps` done, `elapsed_ms` of `total_ms`.
    Refining { steps: u32, elapsed_ms: f64, total_ms: f64 },
}

/// Why a painting could not be learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LearnFailure {
    /// Not a picture the studio can read (the reason).
    Unreadable(String),
    /// Smaller than `learn::MIN_PAINTING_SIDE` on a side.
    TooSmall { width: u32, height: u32 },
    /// The loss network could not be fetched or is damaged (the reason).
    LossNetwork(String),
    /// No photo to learn on: the samples could not be fetched.
    NoPhotos,
    /// Stopped before the first guess was ready: nothing to keep.
    Stopped,
    /// The studio is not ready, or learning failed inside (the reason).
    Other(String),
}

/// The worker's decoded photos, kept by the page's word (`WorkerRequest::SetPhoto::also_keep`):
/// the photo just given and the one the page shows, never more than two. Keeping "the two
/// newest" instead lost the photo on show once two new ones were refused or cancelled after it
/// (a style click then found no photo to paint).
#[derive(Debug)]
pub struct PhotoShelf<T> {
    photos: Vec<(u64, T)>,
}

impl<T> Default for PhotoShelf<T> {
    fn default() -> Self {
        PhotoShelf { photos: Vec::new() }
    }
}

impl<T> PhotoShelf<T> {
    /// Keep `item` as `photo`, and of the others only `also_keep`.
    pub fn put(&mut self, photo: u64, also_keep: Option<u64>, item: T) {
        self.photos.retain(|(id, _)| *id != photo && Some(*id) == also_keep);
        self.photos.push((photo, item));
    }

    pub fn get(&self, photo: u64) -> Option<&T> {
        self.photos.iter().find(|(id, _)| *id == photo).map(|(_, item)| item)
    }

    /// The ids kept, oldest first.
    pub fn ids(&self) -> Vec<u64> {
        self.photos.iter().map(|(id, _)| *id).collect()
    }
}

/// The photo pixels of the painting on the page: its photo id and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageHas {
    pub photo: u64,
    pub width: u32,
    pub height: u32,
}

/// Failures the page can ask the worker to simulate (`?atelier-fault=...`): the recovery paths
/// are then tested in a real browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// The GPU engine loses its device on its first pass.
    GpuLost,
    /// The worker panics (as wonnx does on some driver failures) on its first painting: the wasm
    /// instance aborts, and the page must replace the worker and replay the job.
    Panic,
    /// The worker's wasm traps without a panic (as an allocation failure aborts): only the
    /// worker's `error` event tells.
    Trap,
    /// The worker stops answering on its first painting (an endless loop that never yields, as
    /// a deadlocked thread pool or a runaway kernel would): only the page's watch can tell.
    Hang,
    /// The browser never answers the request for a GPU adapter (as on some drivers).
    GpuProbeHangs,
}

/// The page's switches for tests and measurements, from its query string
/// (`?atelier-fault=gpu-lost`, `gpu-probe-hangs`, `worker-panic`, `worker-trap` or `worker-hang`,
/// `&atelier-gpu=software`, `&atelier-threads=1`, `&atelier-stall-ms=N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Switches {
    pub fault: Option<Fault>,
    /// Count a software GPU adapter as a GPU.
    pub software_gpu: bool,
    /// The single-threaded worker even where the threaded one could run (`atelier-threads=1`),
    /// for comparisons.
    pub single_thread: bool,
    /// How long a painting worker may stay silent before it is replaced, where not the
    /// default (the browser tests shorten it).
    pub stall_ms: Option<u32>,
}

impl Switches {
    pub fn from_query(search: &str) -> Switches {
        let pairs = || search.trim_start_matches('?').split('&');
        let has = |wanted: &str| pairs().any(|pair| pair == wanted);
        let fault = if has("atelier-fault=gpu-lost") {
            Some(Fault::GpuLost)
        } else if has("atelier-fault=worker-panic") {
            Some(Fault::Panic)
        } else if has("atelier-fault=worker-trap") {
            Some(Fault::Trap)
        } else if has("atelier-fault=worker-hang") {
            Some(Fault::Hang)
        } else if has("atelier-fault=gpu-probe-hangs") {
            Some(Fault::GpuProbeHangs)
        } else {
            None
        };
        let stall_ms = pairs().find_map(|pair| pair.strip_prefix("atelier-stall-ms=")).and_then(|ms| ms.parse().ok());
        Switches { fault, software_gpu: has("atelier-gpu=software"), single_thread: has("atelier-threads=1"), stall_ms }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Decoding,
    /// Network passes: `done` of `total` (tiles, for large pictures).
    Painting { done: u32, total: u32 },
}

/// A photo and its painting as RGBA of `width` x `height`, for the device's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PicturePair {
    pub width: u32,
    pub height: u32,
    #[serde(with = "serde_bytes")]
    pub photo: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub stylized: Vec<u8>,
}

/// What the page keeps of a new painting in its history, scaled in the worker so the page's
/// thread never resizes (`WorkerResponse::History`): the pair at most `HISTORY_SIDE` px (None where the painting is no
/// larger: the page keeps the pixels it was sent), and a thumbnail-sized pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryCopies {
    pub scaled: Option<PicturePair>,
    pub thumbnail: PicturePair,
}

/// The photo as it went in (decoded, oriented, scaled) and its painting, both RGBA of `width` x
/// `height`: the app blends them for the sliders without a new inference. The pixel buffers go as
/// byte strings (`serde_bytes`): one copy each way through the worker codec (bincode) instead of
/// a visit per byte (2 x 11 MB at 2048 px: 83 -> 23 ms natively, measured).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaintedPixels {
    pub width: u32,
    pub height: u32,
    /// Empty where `photo_is_the_pages`: a style change moves one picture, not two.
    #[serde(with = "serde_bytes")]
    pub photo: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub stylized: Vec<u8>,
    pub photo_is_the_pages: bool,
}

/// From the worker to the app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WorkerResponse {
    Engine(EngineStatus),
    /// The model package is downloading: `done` of `total` bytes.
    Loading { done: u64, total: u64 },
    /// The package's styles, once loaded.
    Styles(Vec<StyleEntry>),
    /// How many threads the CPU engine paints with (the threaded build, once its pool started).
    Threads(u32),
    Progress { job: u64, stage: Stage },
    /// The photo as it went in and the stylized picture (`PaintedPixels`).
    /// `cached`: painted before with these settings, sent again without painting.
    Done { job: u64, pixels: PaintedPixels, engine: EngineKind, elapsed_ms: f64, cached: bool },
    /// `job`'s painting before its detail stage, at the output's size, to show while the detail
    /// is painted (large outputs only; `Done` follows with the finished one). Nothing of it is
    /// kept in the history or offered for download.
    Preview { job: u64, pixels: PaintedPixels },
    /// What the history keeps of `job`'s new painting, sent right after its `Done` (so the
    /// scaling never holds the picture up); none follows a painting sent again from the cache,
    /// which the history has already.
    History { job: u64, copies: HistoryCopies },
    Failed { job: u64, error: StudioError },
    /// The worker panicked during `job` (its wasm instance is gone): the page replaces it.
    Crashed { job: u64, message: String },
    /// The answer to `Ping`.
    Pong,
    OwnStyleAdded { style: OwnStyleInfo, from: OwnStyleFrom },
    /// `painting`: the request's, given back (a kept style the package refuses can be learned
    /// again from it).
    OwnStyleRefused {
        from: OwnStyleFrom,
        error: crate::model::StyleFileError,
        #[serde(with = "serde_bytes")]
        painting: Vec<u8>,
    },
    Learning { job: u64, stage: LearnStage },
    /// A style for `job`'s painting, already added (paint with `style.id`): the first guess,
    /// a better one as learning goes on, and `finished` the one to keep (with its `painting`,
    /// to keep beside it). `replaces`: the id of the one before (the worker has forgotten it).
    Learned { job: u64, style: OwnStyleInfo, replaces: Option<String>, finished: bool },
    LearnFailed { job: u64, error: LearnFailure },
    /// A live frame painted: RGBA of `width` x `height`, ready to show.
    LiveFrame {
        frame: u64,
        width: u32,
        height: u32,
        #[serde(with = "serde_bytes")]
        rgba: Vec<u8>,
        engine: EngineKind,
        elapsed_ms: f64,
    },
    LiveFailed { frame: u64, error: StudioError },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_come_from_whole_query_pairs() {
        assert_eq!(Switches::from_query(""), Switches::default());
        let all = Switches::from_query("?atelier-fault=gpu-lost&atelier-gpu=software&atelier-threads=1");
        assert_eq!(all, Switches { fault: Some(Fault::GpuLost), software_gpu: true, single_thread: true, stall_ms: None });
        // A pair that only starts like a switch is not one.
        assert_eq!(Switches::from_query("?atelier-threads=16&x=atelier-gpu=software"), Switches::default());
        assert_eq!(Switches::from_query("atelier-fault=worker-trap").fault, Some(Fault::Trap));
        let hang = Switches::from_query("?atelier-fault=worker-hang&atelier-stall-ms=3000");
        assert_eq!((hang.fault, hang.stall_ms), (Some(Fault::Hang), Some(3000)));
        assert_eq!(Switches::from_query("?atelier-stall-ms=soon").stall_ms, None);
    }

    #[test]
    fn the_shelf_keeps_the_new_photo_and_the_one_the_page_names() {
        let mut shelf = PhotoShelf::default();
        shelf.put(1, None, "shown");
        shelf.put(2, Some(1), "refused");
        shelf.put(3, Some(1), "cancelled");
        assert_eq!(shelf.ids(), vec![1, 3], "the photo on show outlives any number of new ones");
        assert_eq!(shelf.get(1), Some(&"shown"));
        assert_eq!(shelf.get(2), None);
        shelf.put(3, Some(1), "given again");
        assert_eq!(shelf.ids(), vec![1, 3]);
        assert_eq!(shelf.get(3), Some(&"given again"));
        shelf.put(4, None, "reopened");
        assert_eq!(shelf.ids(), vec![4], "nothing named: only the new photo");
        shelf.put(5, Some(9), "unknown");
        assert_eq!(shelf.ids(), vec![5], "an id the shelf never had keeps nothing");
    }

    /// The messages that carry pixels survive gloo-worker's codec (bincode) byte for byte, with
    /// no more than a few bytes of framing.
    #[test]
    fn pixel_messages_round_trip_through_the_worker_codec() {
        let pixels: Vec<u8> = (0..64 * 48 * 4).map(|i| (i * 7 % 251) as u8).collect();
        let done = WorkerResponse::Done {
            job: 3,
            pixels: PaintedPixels {
                width: 64,
                height: 48,
                photo: pixels.clone(),
                stylized: pixels.iter().rev().copied().collect(),
                photo_is_the_pages: false,
            },
            engine: EngineKind::Cpu,
            elapsed_ms: 12.5,
            cached: false,
        };
        let encoded = bincode::serialize(&done).expect("encodes");
        assert!(encoded.len() < 2 * pixels.len() + 64, "{} bytes for {} of pixels", encoded.len(), 2 * pixels.len());
        match bincode::deserialize::<WorkerResponse>(&encoded).expect("decodes") {
            WorkerResponse::Done { pixels: PaintedPixels { photo, stylized, width, height, .. }, .. } => {
                assert_eq!((width, height), (64, 48));
                assert_eq!(photo, pixels);
                assert_eq!(stylized, pixels.iter().rev().copied().collect::<Vec<u8>>());
            }
            other => panic!("decoded as {other:?}"),
        }
        let request = WorkerRequest::SetPhotoPixels { photo: 9, also_keep: Some(4), width: 64, height: 48, rgba: pixels.clone() };
        assert_eq!(bincode::deserialize::<WorkerRequest>(&bincode::serialize(&request).expect("encodes")).expect("decodes"), request);
        // The history's copies, byte strings too.
        let pair = PicturePair { width: 64, height: 48, photo: pixels.clone(), stylized: pixels.clone() };
        let copies = HistoryCopies { scaled: Some(pair.clone()), thumbnail: pair };
        let encoded = bincode::serialize(&WorkerResponse::History { job: 3, copies: copies.clone() }).expect("encodes");
        assert!(encoded.len() < 4 * pixels.len() + 96, "{} bytes for {} of pixels", encoded.len(), 4 * pixels.len());
        match bincode::deserialize::<WorkerResponse>(&encoded).expect("decodes") {
            WorkerResponse::History { job: 3, copies: got } => assert_eq!(got, copies),
            other => panic!("decoded as {other:?}"),
        }
    }
}
