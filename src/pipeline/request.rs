//! What a painting is made of, on the network's side: the style (or a mix of two), the output
//! size and the brush. One record for every shell (the page's session and history, the worker
//! protocol, the studio's cache, the CLI, the JS module); the sliders applied after the network
//! are `Adjustments`, beside it. A new network-level control is a field here.

use crate::model::StyleChoice;

use super::Brush;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PaintRequest {
    pub style: StyleChoice,
    /// The output's long side in px (0: the photo's own size); never enlarged.
    pub max_side: u32,
    /// Older history entries and messages without a brush paint with the default one.
    #[serde(default)]
    pub brush: Brush,
}

impl PaintRequest {
    /// `style` at `max_side` with the default brush.
    pub fn new(style: StyleChoice, max_side: u32) -> Self {
        PaintRequest { style, max_side, brush: Brush::default() }
    }
}
