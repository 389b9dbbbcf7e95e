//! Atelier: private, on-device style transfer.
//!
//! Layers, from the bottom:
//! - the pure core: [`model`] (ONNX format, the model package, graph preparation and the
//!   wonnx-rule linter), [`imaging`] (decoding, pixel <-> tensor conversion) and [`pipeline`]
//!   (padding, tiling, brush size, slider adjustments) and [`upsample`] (guided upsampling
//!   from the working resolution); no GPU, no DOM;
//! - [`engine`]: inference engines behind one trait;
//! - [`protocol`]: the app <-> worker messages;
//! - [`web`] (wasm only): the yew app and the inference Web Worker, thin shells over the above.

pub mod engine;
pub mod imaging;
pub mod model;
pub mod pipeline;
pub mod protocol;
pub mod upsample;

#[cfg(target_arch = "wasm32")]
pub mod web;
