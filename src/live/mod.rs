//! The live camera view's core: painting a camera frame quickly and steadily. No DOM: the page
//! brings frames and shows what comes back (`web::app::live_view`), the worker runs
//! `Studio::paint_live`.
//!
//! - `rate`: the live size, stepped down a ladder to keep the rate and up when there is room.
//! - `steady`: motion-gated averaging of the input and the output, so a still scene's painting
//!   does not jump with the camera's noise.

pub mod rate;
pub mod steady;

use image::RgbaImage;

use crate::engine::{Engine, EngineError};
use crate::model::{GraphVariant, Margin, StyleParams};
use crate::pipeline::{adjust, run_padded, Adjustments};

pub use rate::{frame_size, LiveRate, SizeChange, DEFAULT_LIVE_SIDE, LIVE_SIDES, TARGET_FPS};
pub use steady::{mean_change, NoiseSource, Steadier};

/// Reflection around a live frame. The package's network was trained with 64 px, which at 256 x
/// 192 is 2.5x the pixels of the frame (85 ms against 40 ms a frame natively). 16 px, not 8:
/// networks trained with a margin drawn per batch (from step 46100 of the campaign) keep a thin
/// line along the top at 8 px, and at 16 px paint their edges as the shipped network does
/// (`training/frame_score.py --margin`, docs/live.md), and natively the two cost the same
/// within the run-to-run spread (`examples/live_bench.rs`: 160 px 18-32 ms a frame both, 256 px
/// 39-43 ms both).
pub const LIVE_MARGIN: Margin = Margin::Trained(16);

/// Paint one camera frame (already at the live size) with `style`: the input steadied, one
/// network pass, the output steadied, then the sliders. Returns the picture to show.
pub async fn paint_frame(
    engine: &mut dyn Engine,
    frame: &RgbaImage,
    style: &StyleParams,
    stride: u32,
    adjustments: Adjustments,
    steadier: &mut Steadier,
) -> Result<RgbaImage, EngineError> {
    let input = steadier.steady_input(frame);
    let (painted, _) = run_padded(engine, &input, style, stride, LIVE_MARGIN, GraphVariant::Plain, None).await?;
    let shown = steadier.steady_output(&painted);
    Ok(if adjustments == Adjustments::default() { shown } else { adjust(&input, &shown, adjustments) })
}
