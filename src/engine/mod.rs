//! Inference engines behind one trait. The app, the worker and the CLI only see `StyleEngine`.

mod wonnx_engine;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::imaging::Tensor;
use crate::model::GraphError;

pub use wonnx_engine::WonnxEngine;

/// Which engine runs, for the badge and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineKind {
    /// wonnx on WebGPU in the browser, on Vulkan/Metal/DX12 natively.
    WebGpu,
    Cpu,
}

impl EngineKind {
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::WebGpu => "WebGPU",
            EngineKind::Cpu => "CPU",
        }
    }
}

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("the input must be a [1, 3, H, W] tensor, got {0:?}")]
    BadInput([usize; 4]),
    #[error("the GPU engine failed: {0}")]
    Gpu(String),
    #[error("the engine returned no '{0}' output")]
    MissingOutput(String),
}

#[async_trait(?Send)]
pub trait StyleEngine {
    fn kind(&self) -> EngineKind;

    /// Run the generator on a [1, 3, H, W] tensor in 0..1; returns the same shape in 0..1.
    async fn stylize(&mut self, content: &Tensor) -> Result<Tensor, EngineError>;
}
