//! Learning a painting on the visitor's own device: a new style is a new row of the generator's
//! instance-norm scale and shift (gamma, beta), learned against the loss network's Gram
//! matrices of the painting, the convolution weights held fixed. Pure Rust, no DOM, on the CPU
//! engine's kernels: the backward passes sit beside their forward ones
//! (`engine::conv::conv2d_input_grad`, `engine::norm::instance_norm_backward`).
//!
//! - [`generator`]: the package's generator forward, keeping what its backward pass needs, and
//!   the gradient with respect to one style's gamma and beta;
//! - [`loss_network`]: VGG19's first layers forward and backward to the picture;
//! - [`losses`]: the Gram style loss and the content loss, with their gradients;
//! - [`learner`]: Adam on a style's gamma and beta over crops of photos;
//! - [`schedule`]: when learning stops and refreshes its preview;
//! - [`signature`]: the shipped styles summed up once per package, for a first guess that
//!   paints nothing;
//! - [`kept_painting`]: the painting kept beside a learned style, to learn it again after an
//!   update of the package.
//!
//! Checked against PyTorch's autograd (tests/learn.rs, fixtures from
//! training/make_learn_fixture.py).

pub mod generator;
pub mod kept_painting;
pub mod learner;
pub mod loss_network;
pub mod losses;
pub mod schedule;
pub mod signature;

use thiserror::Error;

pub use generator::{StyleGenerator, Tape};
pub use kept_painting::keep_painting;
pub use learner::{first_guess, first_stage, learn_painting, mean_style, quick_guess, settle_guess, FirstStage, LearnSettings, Learned, Learner, StepLosses};
pub use signature::{SignatureError, StyleSignatures};
pub use loss_network::{Features, FeatureMap, LossLayer, LossNetwork};
pub use schedule::LearnSchedule;

/// A painting smaller than this on a side has too little texture to learn.
pub const MIN_PAINTING_SIDE: u32 = 64;

#[derive(Debug, Error, PartialEq)]
pub enum LearnError {
    /// The package or loss network is not the shape learning expects.
    #[error("cannot learn with this network: {0}")]
    Architecture(String),
    #[error("no photos to learn on")]
    NoPhotos,
    #[error("no styles to start from")]
    NoStyles,
    /// Smaller than `MIN_PAINTING_SIDE` on a side: too little to take a style from.
    #[error("the painting is only {width}x{height} pixels: at least {min} pixels a side are needed to learn its style", min = MIN_PAINTING_SIDE)]
    PaintingTooSmall { width: u32, height: u32 },
    #[error("a {width}x{height} picture does not fit the network (sides must be positive multiples of 4)")]
    Size { height: usize, width: usize },
}
