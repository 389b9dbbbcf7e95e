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
    sessions: HashMap<(GraphVariant, u32, u32), CompiledSession>,
}

/// A compiled session and its inputs' names and element counts.
type CompiledSession = (wonnx::Session, Vec<(String, usize)>);

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

    /// wonnx's limit: 2^24 elements per buffer (wrong numbers, not errors, past it).
    fn max_tensor_elements(&self) -> usize {
        crate::model::prepare::MAX_TENSOR_ELEMENTS
    }

    async fn run(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError> {
        // wonnx answers some driver failures with a panic (no adapter, no device, a failed map). Natively
        // it becomes an engine error, so `auto` can finish the job on the CPU; in wasm a panic aborts
        // the worker, which the page replaces.
        #[cfg(not(target_arch = "wasm32"))]
        return CatchPanic(Box::pin(self.run_unguarded(variant, height, width, inputs)))
            .await
            .unwrap_or_else(|message| Err(EngineError::Gpu(format!("wonnx panicked: {message}"))));
        #[cfg(target_arch = "wasm32")]
        return self.run_unguarded(variant, height, width, inputs).await;
    }
}

impl WonnxEngine {
    async fn run_unguarded(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError> {
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

/// A future that turns a panic while it is polled into `Err(message)`.
#[cfg(not(target_arch = "wasm32"))]
struct CatchPanic<F>(std::pin::Pin<Box<F>>);

#[cfg(not(target_arch = "wasm32"))]
impl<F: std::future::Future> std::future::Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into()))),
        }
    }
}

/// A native GPU adapter, found the way wonnx will look for one.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeGpuAdapter {
    /// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)", for the log line.
    pub name: String,
    /// A software rasteriser (lavapipe, llvmpipe, SwiftShader, WARP): a GPU in name only. The CPU
    /// engine is faster on the same cores, so `auto` does not pick it.
    pub software: bool,
}

/// The adapter wonnx 0.5.1 will open, with a device opened on it to be sure; None where there is
/// none. wonnx panics ("No GPU found given preference") when it finds no adapter, and it looks only
/// at the primary backends (Vulkan, Metal, DX12, browser WebGPU) or those in `WGPU_BACKEND`, honouring
/// `WGPU_ADAPTER_NAME`: this probe asks exactly the same question, so a machine with only an OpenGL
/// adapter (or none) gets the CPU engine instead of a panic.
#[cfg(not(target_arch = "wasm32"))]
pub async fn native_gpu_adapter() -> Option<NativeGpuAdapter> {
    let backends = wgpu::util::backend_bits_from_env().unwrap_or(wgpu::Backends::PRIMARY);
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor { backends, ..Default::default() });
    let adapter = wgpu::util::initialize_adapter_from_env_or_default(&instance, backends, None).await?;
    adapter.request_device(&wgpu::DeviceDescriptor::default(), None).await.ok()?;
    let info = adapter.get_info();
    Some(NativeGpuAdapter {
        name: format!("{} ({:?})", info.name, info.backend),
        software: info.device_type == wgpu::DeviceType::Cpu,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::CatchPanic;

    #[test]
    fn a_panic_while_polled_becomes_an_error() {
        let panicking = async {
            let adapters: Vec<u32> = Vec::new();
            adapters.first().copied().expect("No GPU found given preference")
        };
        assert_eq!(pollster::block_on(CatchPanic(Box::pin(panicking))), Err("No GPU found given preference".to_string()));
        assert_eq!(pollster::block_on(CatchPanic(Box::pin(async { 7 }))), Ok(7));
    }
}
