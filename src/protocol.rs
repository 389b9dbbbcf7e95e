//! Messages between the app (UI thread) and the inference worker. Pure serde types, no DOM.

use serde::{Deserialize, Serialize};

use crate::engine::EngineKind;
use crate::model::package::StyleEntry;
use crate::model::StyleChoice;
use crate::pipeline::Brush;

/// From the app to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WorkerRequest {
    /// Pick an engine and load the model package from `models_url` (absolute, ends with '/').
    /// `fault`: a failure to inject, for the browser tests of the fallback paths.
    Init { models_url: String, fault: Option<Fault> },
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

impl Fault {
    pub fn from_query(search: &str) -> Option<Fault> {
        search.trim_start_matches('?').split('&').any(|pair| pair == "atelier-fault=gpu-lost").then_some(Fault::GpuLost)
    }
}

/// Why the CPU engine runs instead of WebGPU (the page words it in the visitor's language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CpuReason {
    /// `navigator.gpu` is missing.
    NoWebGpu,
    /// WebGPU is there but offers no adapter.
    NoAdapter,
    /// Asking for an adapter failed.
    ProbeFailed(String),
    /// The GPU failed while painting (device lost, out of memory).
    GpuFailed(String),
}

/// What the badge shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EngineStatus {
    Probing,
    Gpu { adapter: String },
    Cpu { reason: CpuReason },
    /// Nothing can run; `reason` says why in words a visitor understands.
    Unavailable { reason: String },
}

impl EngineStatus {
    pub fn kind(&self) -> Option<EngineKind> {
        match self {
            EngineStatus::Gpu { .. } => Some(EngineKind::Gpu),
            EngineStatus::Cpu { .. } => Some(EngineKind::Cpu),
            _ => None,
        }
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
    Failed { job: u64, message: String },
}
