//! Model format, package and graph preparation: pure Rust, no GPU, no DOM.

pub mod format;
pub mod package;
pub mod prepare;
pub mod style_file;

pub use style_file::{StyleFile, StyleFileError};
pub use package::{Manifest, Margin, ModelPackage, PackageError, StyleChoice, StyleParams};
pub use prepare::{
    decode_model, is_norm_statistic, lint, specialise, specialise_within, GraphError, GraphVariant, PreparedGraph, INPUT_NAME, OUTPUT_NAME,
};
