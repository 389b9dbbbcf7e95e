//! The GPU engine: wonnx 0.5.1 on wgpu (WebGPU in browsers, Vulkan natively; lavapipe in tests).

use std::collections::HashMap;

use async_trait::async_trait;

use super::{Engine, EngineError, EngineKind, Tensors};
use crate::model::{format::ModelProto, specialise, GraphVariant};

/// The generator and one compiled wonnx session per (variant, resolution).
///
/// wonnx fixes every shape at compile time, so each resolution is its own session (each opens its
/// own device). They are kept: re-running at a size already seen (the next tile, another style)
/// compiles nothing and uploads no weights again.
pub struct WonnxEngine {
    model: ModelProto,
    sessions: HashMap<(GraphVariant, u32, u32), (wonnx::Session, Vec<(String, usize)>)>,
}

impl WonnxEngine {
    /// The caller must have checked that a GPU adapter exists: wonnx 0.5.1 panics when none does.
    pub fn new(model: ModelProto) -> Self {
        WonnxEngine { model, sessions: HashMap::new() }
    }
}

#[async_trait(?Send)]
impl Engine for WonnxEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Gpu
    }

    async fn run(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError> {
        let key = (variant, height, width);
        if !self.sessions.contains_key(&key) {
            let prepared = specialise(&self.model, height, width, variant)?;
            let graph = prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
            let input_sizes = graph
                .input
                .iter()
                .map(|i| (i.name.clone(), prepared.shapes[&i.name].iter().product::<i64>() as usize))
                .collect();
            let session = wonnx::Session::from_bytes(&prepared.model.encode_bytes())
                .await
                .map_err(|e| EngineError::Gpu(e.to_string()))?;
            self.sessions.insert(key, (session, input_sizes));
        }
        let (session, input_sizes) = &self.sessions[&key];
        let mut feeds = HashMap::new();
        for (name, size) in input_sizes {
            let values = inputs.get(name).ok_or_else(|| EngineError::MissingInput(name.clone()))?;
            if values.len() != *size {
                return Err(EngineError::BadInput { name: name.clone(), expected: *size, actual: values.len() });
            }
            feeds.insert(name.clone(), values.as_slice().into());
        }
        let outputs = session.run(&feeds).await.map_err(|e| EngineError::Gpu(e.to_string()))?;
        outputs
            .into_iter()
            .map(|(name, tensor)| {
                let values: Vec<f32> =
                    tensor.try_into().map_err(|e: wonnx::utils::TensorConversionError| EngineError::Gpu(e.to_string()))?;
                Ok((name, values))
            })
            .collect()
    }
}

/// The native GPU adapter's name, or None where wgpu finds none (then wonnx would panic).
#[cfg(not(target_arch = "wasm32"))]
pub async fn native_gpu_adapter() -> Option<String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::default());
    let adapter = instance.request_adapter(&wgpu::RequestAdapterOptions::default()).await?;
    let info = adapter.get_info();
    Some(format!("{} ({:?})", info.name, info.backend))
}
