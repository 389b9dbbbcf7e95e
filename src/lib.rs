//! Atelier: private, on-device style transfer.
//!
//! Layers, from the bottom:
//! - the pure core: [`model`] (ONNX format, the model package, graph preparation and the
//!   wonnx-rule linter), [`imaging`] (decoding, pixel <-> tensor conversion) and [`pipeline`]
//!   (padding, tiling, brush size, slider adjustments) and [`upsample`] (guided upsampling
//!   from the working resolution) and [`poster`] (the share poster's layout); no GPU, no DOM;
//! - [`engine`]: inference engines behind one trait;
//! - [`detail`]: the detail stage, a small refinement network run at the output's resolution
//!   on the CPU engine's kernels, in bands of rows;
//! - [`learn`]: learning a visitor's painting as a new style (backward passes on the CPU
//!   engine's kernels);
//! - [`live`]: the live camera view's frames (the live size, steadying a still scene);
//! - [`studio`]: the one place that picks the engine, falls back from the GPU to the CPU,
//!   prepares photos and paints them, with typed errors;
//! - [`protocol`]: the app <-> worker messages;
//! - [`web`]: the shells for browsers (the yew app, the inference Web Worker, the JS module),
//!   wasm only but for their DOM-free parts (the page's words, the painting session's state, job
//!   bookkeeping, history labels, shortcuts, sample photos), which `cargo test` checks natively;
//!   the CLI (`src/bin/atelier.rs`) is the native shell.

pub mod detail;
pub mod engine;
pub mod imaging;
pub mod learn;
pub mod live;
pub mod model;
pub mod pipeline;
pub mod poster;
pub mod protocol;
pub mod studio;
pub mod upsample;

pub mod web;
