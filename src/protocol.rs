//! Messages between the app (UI thread) and the inference worker. Pure serde types, no DOM.

use serde::{Deserialize, Serialize};

use crate::engine::EngineKind;
use crate::model::package::StyleEntry;
use crate::model::StyleChoice;
use crate::pipeline::Brush;
pub use crate::studio::{CpuReason, EngineChoice, EngineStatus, StudioError};

/// From the app to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WorkerRequest {
    /// Load the model package from `models_url` (absolute, ends with '/') and open it on `engine`.
    /// `software_gpu`: count a software GPU adapter (SwiftShader) as a GPU, as the browser tests of
    /// the WebGPU path need. `fault`: a failure to inject, for the browser tests of the fallbacks.
    Init { models_url: String, engine: EngineChoice, software_gpu: bool, fault: Option<Fault> },
    /// Decode `image_bytes`, scale it to at most `max_side` px, paint it with strokes of `brush`.
    Stylize { job: u64, image_bytes: Vec<u8>, style: StyleChoice, max_side: u32, brush: Brush },
}

/// Failures the page can ask the worker to simulate (`?atelier-fault=...`): the recovery paths
/// are then tested in a real browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// The GPU engine loses its device on its first pass.
    GpuLost,
}

/// The page's switches for tests and measurements, from its query string
/// (`?atelier-fault=gpu-lost&atelier-gpu=software`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Switches {
    pub fault: Option<Fault>,
    /// Count a software GPU adapter as a GPU.
    pub software_gpu: bool,
}

impl Switches {
    pub fn from_query(search: &str) -> Switches {
        let has = |wanted: &str| search.trim_start_matches('?').split('&').any(|pair| pair == wanted);
        Switches { fault: has("atelier-fault=gpu-lost").then_some(Fault::GpuLost), software_gpu: has("atelier-gpu=software") }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Decoding,
    /// Network passes: `done` of `total` (tiles, for large pictures).
    Painting { done: u32, total: u32 },
}

/// From the worker to the app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WorkerResponse {
    Engine(EngineStatus),
    /// The model package is downloading: `done` of `total` bytes.
    Loading { done: u64, total: u64 },
    /// The package's styles, once loaded.
    Styles(Vec<StyleEntry>),
    Progress { job: u64, stage: Stage },
    /// The photo as it went in (decoded, oriented, scaled) and the stylized picture, both RGBA
    /// of `width` x `height`: the app blends them for the sliders without a new inference.
    Done { job: u64, width: u32, height: u32, photo: Vec<u8>, stylized: Vec<u8>, engine: EngineKind, elapsed_ms: f64 },
    Failed { job: u64, error: StudioError },
}
