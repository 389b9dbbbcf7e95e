//! Atelier: private, on-device style transfer.
//!
//! Layers, from the bottom:
//! - the pure core: [`model`] (ONNX format, graph preparation and the wonnx-rule linter) and
//!   [`imaging`] (decoding, pixel <-> tensor conversion); no GPU, no DOM;
//! - [`engine`]: inference engines behind one trait;
//! - [`protocol`]: the app <-> worker messages;
//! - [`web`] (wasm only): the yew app and the inference Web Worker, thin shells over the above.

pub mod engine;
pub mod imaging;
pub mod pipeline;
pub mod model;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The generator's total downsampling: image sides must be multiples of it.
pub const MODEL_STRIDE: u32 = 4;
/// Long side of the single pass the skeleton runs (tiling comes with the engine work).
pub const MAX_SINGLE_PASS_SIDE: u32 = 512;
