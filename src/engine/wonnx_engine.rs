//! The GPU engine: wonnx 0.5.1 on wgpu (WebGPU in browsers, Vulkan natively; lavapipe in tests).

use std::collections::HashMap;

use async_trait::async_trait;

use super::{EngineError, EngineKind, StyleEngine};
use crate::imaging::Tensor;
use crate::model::{format::ModelProto, specialise, INPUT_NAME, OUTPUT_NAME};

/// Holds the generic generator and one compiled wonnx session per resolution.
///
/// wonnx fixes every shape at compile time, so each resolution is its own session; they are kept
/// so that re-running at a size already seen (a slider change, the next tile) compiles nothing.
pub struct WonnxEngine {
    model: ModelProto,
    sessions: HashMap<(usize, usize), wonnx::Session>,
}

impl WonnxEngine {
    /// The caller must have checked that a GPU adapter exists: wonnx 0.5.1 panics when none does.
    pub fn new(model: ModelProto) -> Self {
        WonnxEngine { model, sessions: HashMap::new() }
    }

    async fn session(&mut self, height: usize, width: usize) -> Result<&wonnx::Session, EngineError> {
        if !self.sessions.contains_key(&(height, width)) {
            let prepared = specialise(&self.model, height as u32, width as u32)?;
            let session = wonnx::Session::from_bytes(&prepared.model.encode_bytes())
                .await
                .map_err(|e| EngineError::Gpu(e.to_string()))?;
            self.sessions.insert((height, width), session);
        }
        self.sessions.get(&(height, width)).ok_or_else(|| EngineError::Gpu("session cache lost an entry".into()))
    }
}

#[async_trait(?Send)]
impl StyleEngine for WonnxEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::WebGpu
    }

    async fn stylize(&mut self, content: &Tensor) -> Result<Tensor, EngineError> {
        let [n, c, h, w] = content.shape;
        if n != 1 || c != 3 || content.data.len() != 3 * h * w {
            return Err(EngineError::BadInput(content.shape));
        }
        let session = self.session(h, w).await?;
        let mut inputs = HashMap::new();
        inputs.insert(INPUT_NAME.to_string(), content.data.as_slice().into());
        let mut outputs = session.run(&inputs).await.map_err(|e| EngineError::Gpu(e.to_string()))?;
        let data: Vec<f32> = outputs
            .remove(OUTPUT_NAME)
            .ok_or_else(|| EngineError::MissingOutput(OUTPUT_NAME.into()))?
            .try_into()
            .map_err(|e: wonnx::utils::TensorConversionError| EngineError::Gpu(e.to_string()))?;
        if data.len() != content.data.len() {
            return Err(EngineError::Gpu(format!("output has {} values, expected {}", data.len(), content.data.len())));
        }
        Ok(Tensor { shape: content.shape, data })
    }
}
