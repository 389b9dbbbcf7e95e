//! Messages between the app (UI thread) and the inference worker. Pure serde types, no DOM.

use serde::{Deserialize, Serialize};

use crate::engine::EngineKind;

/// From the app to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WorkerRequest {
    /// Probe the engines and load the generator from `model_url` (relative to the page).
    Init { model_url: String },
    /// Decode `image_bytes`, run the generator on it and send back the pixels.
    Stylize { job: u64, file_name: String, image_bytes: Vec<u8> },
}

/// What the badge shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EngineStatus {
    Probing,
    Ready { kind: EngineKind, detail: String },
    /// No engine can run here; `reason` says why in words a visitor understands.
    Unavailable { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Decoding,
    /// Compiling the generator for this resolution (first time only) and running it.
    Running,
    Encoding,
}

/// From the worker to the app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WorkerResponse {
    Engine(EngineStatus),
    Progress { job: u64, stage: Stage },
    Done { job: u64, width: u32, height: u32, rgba: Vec<u8>, elapsed_ms: f64 },
    Failed { job: u64, message: String },
}
