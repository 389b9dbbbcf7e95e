//! Photos over the decode budget (`MAX_DECODE_PIXELS`), as phones shoot them (48-200 MP): read
//! at a reduced size without ever holding the whole picture. A JPEG is decoded at 1/2, 1/4 or
//! 1/8 scale by its DCT (a baseline JPEG never needs the full-size pixels in memory); a PNG is
//! read row by row and averaged over k x k blocks as the rows arrive. Other formats, and an
//! interlaced PNG (whose rows come in seven passes), are read whole only within the budget.

use std::io::Cursor;

use image::RgbaImage;

use super::{ImageError, MAX_DECODE_PIXELS, MAX_SOURCE_PIXELS};

/// The smallest of the JPEG DCT's scale factors (1/2, 1/4, 1/8) that brings `width` x `height`
/// within the budget.
fn jpeg_scale(width: u32, height: u32) -> Option<u32> {
    [2u32, 4, 8].into_iter().find(|s| within_budget(width.div_ceil(*s), height.div_ceil(*s)))
}

/// The smallest whole block size k that brings `width` x `height` within the budget.
pub(super) fn block_size(width: u32, height: u32) -> u32 {
    (1u32..).find(|k| within_budget(width.div_ceil(*k), height.div_ceil(*k))).unwrap_or(1)
}

fn within_budget(width: u32, height: u32) -> bool {
    width as u64 * height as u64 <= MAX_DECODE_PIXELS
}

fn too_large(width: u32, height: u32) -> ImageError {
    ImageError::TooLarge { width, height, limit: MAX_SOURCE_PIXELS / 1_000_000 }
}

fn corrupt(error: impl std::fmt::Display) -> ImageError {
    ImageError::Corrupt(error.to_string())
}

/// A JPEG of `width` x `height` (over the budget) at the DCT scale that brings it within it.
pub(super) fn decode_jpeg(bytes: &[u8], width: u32, height: u32) -> Result<RgbaImage, ImageError> {
    let scale = jpeg_scale(width, height).ok_or_else(|| too_large(width, height))?;
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let (wanted_w, wanted_h) = (width.div_ceil(scale), height.div_ceil(scale));
    let (out_w, out_h) = decoder
        .scale(u16::try_from(wanted_w).map_err(corrupt)?, u16::try_from(wanted_h).map_err(corrupt)?)
        .map_err(corrupt)?;
    let (out_w, out_h) = (u32::from(out_w), u32::from(out_h));
    if !within_budget(out_w, out_h) {
        return Err(too_large(width, height));
    }
    // The decoded pixels at 4 bytes (CMYK) a pixel at most: nothing larger is ever allocated.
    decoder.set_max_decoding_buffer_size(out_w as usize * out_h as usize * 4);
    let pixels = decoder.decode().map_err(corrupt)?;
    let format = decoder.info().ok_or_else(|| corrupt("no JPEG header"))?.pixel_format;
    let rgba: Vec<u8> = match format {
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l, 255]).collect(),
        // Big-endian 16-bit grey: its high byte.
        jpeg_decoder::PixelFormat::L16 => pixels.chunks_exact(2).flat_map(|l| [l[0], l[0], l[0], 255]).collect(),
        jpeg_decoder::PixelFormat::RGB24 => pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = 255 - u32::from(p[3]);
                let channel = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
                [channel(p[0]), channel(p[1]), channel(p[2]), 255]
            })
            .collect(),
    };
    RgbaImage::from_raw(out_w, out_h, rgba).ok_or(ImageError::Truncated)
}

/// A non-interlaced PNG of `width` x `height` (over the budget), each k x k block of it averaged
/// into one pixel as its rows are read: memory for one output row of sums, not the picture.
pub(super) fn decode_png(bytes: &[u8], width: u32, height: u32) -> Result<RgbaImage, ImageError> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(corrupt)?;
    if reader.info().interlaced {
        // Its rows come in seven passes over the whole picture: no bounded way to average them.
        return Err(ImageError::TooLarge { width, height, limit: MAX_DECODE_PIXELS / 1_000_000 });
    }
    let (color, _) = reader.output_color_type();
    let channels = color.samples();
    let k = block_size(width, height);
    let (out_w, out_h) = (width.div_ceil(k), height.div_ceil(k));
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * 4);
    let mut sums = vec![0u32; out_w as usize * 4];
    let mut rows_in_block = 0u32;
    let mut y = 0u32;
    while let Some(row) = reader.next_row().map_err(corrupt)? {
        for (x, pixel) in row.data().chunks_exact(channels).take(width as usize).enumerate() {
            let rgba = match *pixel {
                [l] => [l, l, l, 255],
                [l, a] => [l, l, l, a],
                [r, g, b] => [r, g, b, 255],
                [r, g, b, a] => [r, g, b, a],
                _ => return Err(corrupt("unexpected PNG pixel layout")),
            };
            let at = x / k as usize * 4;
            for c in 0..4 {
                sums[at + c] += u32::from(rgba[c]);
            }
        }
        rows_in_block += 1;
        y += 1;
        if rows_in_block == k || y == height {
            for (block_x, sum) in sums.chunks_exact_mut(4).enumerate() {
                let columns = (width - block_x as u32 * k).min(k);
                let count = columns * rows_in_block;
                out.extend(sum.iter().map(|s| ((s + count / 2) / count) as u8));
                sum.fill(0);
            }
            rows_in_block = 0;
        }
        if y == height {
            break;
        }
    }
    if y < height {
        return Err(ImageError::Truncated);
    }
    RgbaImage::from_raw(out_w, out_h, out).ok_or(ImageError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_the_least_that_fits_the_budget() {
        assert_eq!(jpeg_scale(8000, 6000), Some(2), "48 MP -> 12 MP");
        assert_eq!(jpeg_scale(16320, 12240), Some(4), "200 MP: 1/2 is still 50 MP");
        assert_eq!(jpeg_scale(65535, 65535), None, "4.3 GP: 1/8 is still 67 MP");
        assert_eq!(block_size(8000, 6000), 2);
        assert_eq!(block_size(16320, 12240), 3, "200 MP -> 22 MP");
        assert_eq!(block_size(100, 100), 1);
    }
}
