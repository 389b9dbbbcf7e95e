//! Inference engines behind one trait. Everything above (the pipeline, the worker, the CLI)
//! sees only `Engine`.

pub(crate) mod conv;
mod cpu;
pub(crate) mod norm;
mod threads;
mod wonnx_engine;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{GraphError, GraphVariant};

pub use conv::Simd;
pub use threads::{threads as cpu_threads, THREADED_GLUE};
pub(crate) use threads::map_parallel;
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub use threads::start_pool;
pub use cpu::CpuEngine;
pub use wonnx_engine::WonnxEngine;
#[cfg(not(target_arch = "wasm32"))]
pub use wonnx_engine::{native_gpu_adapter, NativeGpuAdapter};

/// Which engine runs, for the badge and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineKind {
    /// wonnx: WebGPU in the browser, Vulkan/Metal/DX12 natively.
    Gpu,
    /// Atelier's own interpreter for the generator's few ops, on the CPU.
    Cpu,
}

impl EngineKind {
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::Gpu => "WebGPU",
            EngineKind::Cpu => "CPU",
        }
    }
}

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("input '{name}' has {actual} values, the graph needs {expected}")]
    BadInput { name: String, expected: usize, actual: usize },
    #[error("input '{0}' is missing")]
    MissingInput(String),
    /// The GPU failed (device lost, out of memory, driver error): the CPU engine can take over.
    #[error("the GPU engine failed: {0}")]
    Gpu(String),
    #[error("the engine returned no '{0}' output")]
    MissingOutput(String),
    #[error("cancelled")]
    Cancelled,
}

/// Awaited between the steps of a pass (the CPU engine: between nodes); false stops the pass with
/// `EngineError::Cancelled`. A browser worker computes on its only thread, so no message (a
/// cancel) arrives while a pass runs unless the pass waits somewhere: its checkpoint yields to the
/// event loop now and then. It should return at once most of the time (a yield costs milliseconds).
pub type Checkpoint = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = bool>>>>;

/// Named float32 tensors, the engines' inputs and outputs.
pub type Tensors = HashMap<String, Vec<f32>>;

#[async_trait(?Send)]
pub trait Engine {
    fn kind(&self) -> EngineKind;

    /// The most elements one tensor of a pass may have on this engine: render options (pass and
    /// tile sizes) come from it, so each engine paints in passes as large as it can take.
    fn max_tensor_elements(&self) -> usize;

    /// Where the engine waits between steps (see `Checkpoint`); engines whose passes already wait
    /// (the GPU's) ignore it.
    fn set_checkpoint(&mut self, _checkpoint: Option<Checkpoint>) {}

    /// Run the generator, specialised to `variant` at `height` x `width`, on `inputs`
    /// (`content` `[1,3,H,W]`, the style inputs, and for InjectStats the statistics).
    /// Returns every graph output by name.
    async fn run(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError>;
}

/// An engine that fails the way a lost GPU does (`EngineError::Gpu`) from its `after`-th run on,
/// passing earlier runs to `inner`. For tests of the GPU -> CPU fallback, natively and in the
/// browser (the page's `?atelier-fault=gpu-lost` switch, used by the browser tests).
pub struct LosesDevice {
    pub inner: Box<dyn Engine>,
    pub after: u32,
    runs: u32,
}

impl LosesDevice {
    pub fn new(inner: Box<dyn Engine>, after: u32) -> Self {
        LosesDevice { inner, after, runs: 0 }
    }
}

#[async_trait(?Send)]
impl Engine for LosesDevice {
    fn kind(&self) -> EngineKind {
        self.inner.kind()
    }

    fn max_tensor_elements(&self) -> usize {
        self.inner.max_tensor_elements()
    }

    fn set_checkpoint(&mut self, checkpoint: Option<Checkpoint>) {
        self.inner.set_checkpoint(checkpoint)
    }

    async fn run(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError> {
        self.runs += 1;
        if self.runs > self.after {
            return Err(EngineError::Gpu("the device was lost (injected fault)".into()));
        }
        self.inner.run(variant, height, width, inputs).await
    }
}
