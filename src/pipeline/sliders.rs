//! The sliders applied after the network, without running it again: strength and colour
//! preservation, one linear pass over the pixels.

use image::RgbaImage;

/// Slider settings applied after the network, without running it again.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adjustments {
    /// 0: the photo, 1: the full stylization.
    pub strength: f32,
    /// 0: the painting's colours, 1: the photo's colours under the painting's light and strokes.
    pub preserve_colour: f32,
}

impl Default for Adjustments {
    fn default() -> Self {
        Adjustments { strength: 1.0, preserve_colour: 0.0 }
    }
}

fn to_ycbcr(p: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = p;
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b,
        0.5 * r - 0.418_688 * g - 0.081_312 * b,
    ]
}

fn from_ycbcr(p: [f32; 3]) -> [f32; 3] {
    let [y, cb, cr] = p;
    [y + 1.402 * cr, y - 0.344_136 * cb - 0.714_136 * cr, y + 1.772 * cb]
}

/// Strength and colour preservation in one linear pass: the stylized picture's luminance with
/// chroma moved towards the photo's by `preserve_colour` (BT.601 YCbCr), then blended with the
/// photo by `strength`. Alpha comes from the photo. Both pictures must have the same size.
pub fn adjust(photo: &RgbaImage, stylized: &RgbaImage, adjustments: Adjustments) -> RgbaImage {
    let s = adjustments.strength.clamp(0.0, 1.0);
    let c = adjustments.preserve_colour.clamp(0.0, 1.0);
    let mut out = RgbaImage::new(photo.width(), photo.height());
    for ((o, p), q) in out.pixels_mut().zip(photo.pixels()).zip(stylized.pixels()) {
        let photo_rgb = [p.0[0] as f32, p.0[1] as f32, p.0[2] as f32];
        let styl_rgb = [q.0[0] as f32, q.0[1] as f32, q.0[2] as f32];
        let painted = if c > 0.0 {
            let (ys, yp) = (to_ycbcr(styl_rgb), to_ycbcr(photo_rgb));
            from_ycbcr([ys[0], ys[1] + c * (yp[1] - ys[1]), ys[2] + c * (yp[2] - ys[2])])
        } else {
            styl_rgb
        };
        for k in 0..3 {
            let v = photo_rgb[k] + s * (painted[k] - photo_rgb[k]);
            o.0[k] = (v.clamp(0.0, 255.0) + 0.5) as u8;
        }
        o.0[3] = p.0[3];
    }
    out
}
