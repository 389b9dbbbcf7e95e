//! Model format and graph preparation: pure Rust, no GPU, no DOM.

pub mod format;
pub mod prepare;

pub use prepare::{decode_model, lint, specialise, GraphError, PreparedGraph, INPUT_NAME, OUTPUT_NAME};
