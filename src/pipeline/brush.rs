//! The brush: the size of the strokes relative to the picture, and the working resolution it
//! sets for the network (`pipeline::paint`).

/// The relative size of the strokes: 1 is the size the styles were trained for, 2 strokes twice
/// as large (relative to the picture, whatever its size in pixels), 0.25 a quarter.
/// Checked when read back too (history entries, worker messages): an out-of-range number is an error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "f32", into = "f32")]
pub struct Brush(f32);

impl TryFrom<f32> for Brush {
    type Error = BrushError;
    fn try_from(size: f32) -> Result<Self, BrushError> {
        Brush::new(size)
    }
}

impl From<Brush> for f32 {
    fn from(brush: Brush) -> f32 {
        brush.0
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrushError {
    #[error("the brush size must be a number from {min} to {max}, not {0}", min = Brush::MIN, max = Brush::MAX)]
    OutOfRange(String),
}

/// Never paint smaller than this: under it a photo's subject is lost whatever the brush.
pub const MIN_WORKING_SIDE: u32 = 64;

impl Brush {
    pub const MIN: f32 = 0.25;
    pub const MAX: f32 = 4.0;
    pub const DEFAULT: Brush = Brush(1.0);

    pub fn new(size: f32) -> Result<Self, BrushError> {
        if size.is_finite() && (Self::MIN..=Self::MAX).contains(&size) {
            Ok(Brush(size))
        } else {
            Err(BrushError::OutOfRange(size.to_string()))
        }
    }

    /// Parse a user's text ("1.5"), with the same range check.
    pub fn parse(text: &str) -> Result<Self, BrushError> {
        text.trim().parse::<f32>().map_err(|_| BrushError::OutOfRange(format!("'{text}'"))).and_then(Brush::new)
    }

    pub fn size(self) -> f32 {
        self.0
    }

    /// The long side the network paints at for a picture of `long` px: the package's working
    /// side divided by the brush, never more than the picture (the smallest brushes paint at full
    /// resolution, tiled where needed) and never under `MIN_WORKING_SIDE`.
    pub fn working_side(self, trained_side: u32, long: u32) -> u32 {
        let side = (trained_side as f32 / self.0).round() as u32;
        side.max(MIN_WORKING_SIDE).min(long)
    }
}

impl Default for Brush {
    fn default() -> Self {
        Brush::DEFAULT
    }
}
