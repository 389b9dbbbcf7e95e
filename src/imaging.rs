//! Image decoding and the conversions between pixels and the generator's tensors.
//!
//! Convention shared by every engine and by the onnxruntime reference (tests/reference): the
//! input is RGB / 255 as NCHW float32; the output is clamped to 0..1, times 255, rounded half away
//! from zero. Alpha does not go through the network: it is carried over from the input.

use image::{imageops::FilterType, metadata::Orientation, DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbaImage};
use std::io::Cursor;
use thiserror::Error;

/// The most pixels a photo is decoded at (40 MP). A larger JPEG or PNG is read reduced to
/// within it (`large`); a larger photo in another format is refused.
pub const MAX_DECODE_PIXELS: u64 = 40_000_000;

/// The most pixels a photo may have at all (1,000 MP, five times a 200 MP phone photo): reading
/// more would take minutes even reduced.
pub const MAX_SOURCE_PIXELS: u64 = 1_000_000_000;

/// The shortest side a photo may have to be painted (px): below it there is nothing for the
/// brush strokes to show, and the picture area would collapse to a dot.
pub const MIN_PHOTO_SIDE: u32 = 16;

mod large;

/// Refuse files above this size before reading them: a 40 MP photo is far smaller in any format
/// Atelier reads (an uncompressed 40 MP 16-bit PNG is about 320 MB only without compression,
/// which no camera or phone writes).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone, Error, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ImageError {
    #[error("the file is empty")]
    Empty,
    #[error("this is not an image Atelier can read (JPEG, PNG, WebP, GIF or BMP)")]
    UnknownFormat,
    #[error("the image is {width}x{height}, over the {limit} megapixel limit")]
    TooLarge { width: u32, height: u32, limit: u64 },
    #[error("the image file is damaged or truncated: {0}")]
    Corrupt(String),
    #[error("the image file is cut short: its end is missing (an interrupted download or copy?)")]
    Truncated,
    #[error("the file is {} MB, over the {} MB limit", bytes >> 20, MAX_FILE_BYTES >> 20)]
    FileTooLarge { bytes: u64 },
    #[error("the image is {width}x{height}: too small to paint (at least {min} px on each side)")]
    TooSmall { width: u32, height: u32, min: u32 },
}

/// A dense float tensor in NCHW order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: [usize; 4],
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn height(&self) -> usize {
        self.shape[2]
    }

    pub fn width(&self) -> usize {
        self.shape[3]
    }
}

/// Decode JPEG/PNG/WebP/GIF (first frame)/BMP bytes, checking the pixel budget from the header first.
pub fn decode(bytes: &[u8]) -> Result<RgbaImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImageError::FileTooLarge { bytes: bytes.len() as u64 });
    }
    let stripped;
    let bytes = match image::guess_format(bytes).ok() {
        None => return Err(ImageError::UnknownFormat),
        // The JPEG decoder paints a cut-off file's missing rows grey without complaint.
        Some(ImageFormat::Jpeg) if !jpeg_has_its_end(bytes) => return Err(ImageError::Truncated),
        // A colour profile is never used here, and a compressed one can unpack to gigabytes.
        Some(ImageFormat::Png) => match without_png_chunk(bytes, b"iCCP") {
            Some(copy) => {
                stripped = copy;
                &stripped[..]
            }
            None => bytes,
        },
        Some(_) => bytes,
    };
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let format = reader.format();
    let (width, height) = reader.into_dimensions().map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let pixels = width as u64 * height as u64;
    if pixels > MAX_SOURCE_PIXELS {
        return Err(ImageError::TooLarge { width, height, limit: MAX_SOURCE_PIXELS / 1_000_000 });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    // The decoder reads the headers only, until its pixels are asked for.
    let mut decoder = reader.into_decoder().map_err(|e| ImageError::Corrupt(e.to_string()))?;
    // Phones store photos sideways plus an EXIF note; show them the way they were taken.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = if pixels <= MAX_DECODE_PIXELS {
        DynamicImage::from_decoder(decoder).map_err(|e| ImageError::Corrupt(e.to_string()))?
    } else {
        drop(decoder);
        DynamicImage::ImageRgba8(match format {
            Some(ImageFormat::Jpeg) => large::decode_jpeg(bytes, width, height)?,
            Some(ImageFormat::Png) => large::decode_png(bytes, width, height)?,
            _ => return Err(ImageError::TooLarge { width, height, limit: MAX_DECODE_PIXELS / 1_000_000 }),
        })
    };
    image.apply_orientation(orientation);
    Ok(image.to_rgba8())
}

/// Whether a JPEG's last scan (SOS marker, FF DA) is followed by the end-of-image marker (FF D9).
/// Inside entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so
/// neither marker can appear there by accident; an embedded EXIF thumbnail comes before the main
/// image's scans, and pictures appended after the end (MPF) end with their own.
fn jpeg_has_its_end(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_scan {
        Some(at) => bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// The PNG without its `kind` chunks, or None where it has none (or its chunk list is not
/// well formed: the decoder reports that).
fn without_png_chunk(bytes: &[u8], kind: &[u8; 4]) -> Option<Vec<u8>> {
    const SIGNATURE: usize = 8;
    let mut at = SIGNATURE;
    let mut keep: Vec<(usize, usize)> = vec![(0, SIGNATURE)];
    let mut found = false;
    while at + 12 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
        let end = at.checked_add(12)?.checked_add(length)?;
        if end > bytes.len() {
            return None;
        }
        if &bytes[at + 4..at + 8] == kind {
            found = true;
        } else {
            keep.push((at, end));
        }
        at = end;
    }
    if !found {
        return None;
    }
    keep.push((at, bytes.len()));
    Some(keep.into_iter().flat_map(|(from, to)| bytes[from..to].iter().copied()).collect())
}

/// The size of an image whose long side is capped at `max_side`, aspect kept, at least 1 px.
/// `max_side` 0 means no cap (the photo's own size), in every shell.
pub fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    if max_side == 0 || long <= max_side {
        return (width, height);
    }
    let scale = max_side as f64 / long as f64;
    (((width as f64 * scale).round() as u32).max(1), ((height as f64 * scale).round() as u32).max(1))
}

/// `image` resized (`resize_to`) to `width` x `height` and encoded as a JPEG of `quality`: the
/// small pictures a style keeps (its thumbnail, the painting it was learned from).
pub fn jpeg_at(image: &RgbaImage, width: u32, height: u32, quality: u8) -> Vec<u8> {
    let small = DynamicImage::ImageRgba8(resize_to(image, width.max(1), height.max(1))).to_rgb8();
    let mut jpeg = Vec::new();
    // Encoding an in-memory RGB picture into a Vec cannot fail but for its size, which is bounded.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(&small);
    jpeg
}

/// Resize (Lanczos) to the given size, or return the image untouched when it already has it.
pub fn resize_to(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    if image.dimensions() == (width, height) {
        return image.clone();
    }
    DynamicImage::ImageRgba8(image.clone()).resize_exact(width, height, FilterType::Lanczos3).to_rgba8()
}

/// Each output pixel's source range along one axis of `from` px brought to `to` (< `from`): the
/// first source index and the weights of the pixels it overlaps, summing to 1.
fn area_taps(from: u32, to: u32) -> Vec<(usize, Vec<f32>)> {
    let scale = from as f64 / to as f64;
    (0..to)
        .map(|o| {
            let (start, end) = (o as f64 * scale, ((o + 1) as f64 * scale).min(from as f64));
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(from as usize).max(first + 1);
            let weights = (first..last)
                .map(|i| (((i + 1) as f64).min(end) - (i as f64).max(start)).max(0.0) / (end - start))
                .map(|w| w as f32)
                .collect();
            (first, weights)
        })
        .collect()
}

/// Shrink by exact area averaging (every source pixel counted by how much of it an output pixel
/// covers), about 5x faster than `resize_to`'s Lanczos and free of its ringing; alpha averaged
/// too. Only down (or to the same size): a larger target is `resize_to`'s.
pub fn shrink_area(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    if image.dimensions() == (width, height) || width == 0 || height == 0 || width > image.width() || height > image.height() {
        return resize_to(image, width, height);
    }
    let (sw, sh) = (image.width() as usize, image.height() as usize);
    let (xs, ys) = (area_taps(image.width(), width), area_taps(image.height(), height));
    let raw = image.as_raw();
    // Rows to the output width first (source height x output width, 4 channels), then columns.
    let mut narrow = vec![0.0f32; sh * width as usize * 4];
    for y in 0..sh {
        let src = &raw[y * sw * 4..(y + 1) * sw * 4];
        for (ox, (first, weights)) in xs.iter().enumerate() {
            let dst = &mut narrow[(y * width as usize + ox) * 4..][..4];
            for (k, w) in weights.iter().enumerate() {
                let p = &src[(first + k) * 4..][..4];
                for c in 0..4 {
                    dst[c] += w * p[c] as f32;
                }
            }
        }
    }
    let row = width as usize * 4;
    let mut out = RgbaImage::new(width, height);
    let out_raw: &mut [u8] = &mut out;
    let mut acc = vec![0.0f32; row];
    for (oy, (first, weights)) in ys.iter().enumerate() {
        acc.fill(0.0);
        for (k, w) in weights.iter().enumerate() {
            for (a, &v) in acc.iter_mut().zip(&narrow[(first + k) * row..(first + k + 1) * row]) {
                *a += w * v;
            }
        }
        for (d, a) in out_raw[oy * row..(oy + 1) * row].iter_mut().zip(&acc) {
            *d = a.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// RGB / 255 as a [1, 3, H, W] tensor.
pub fn to_tensor(image: &RgbaImage) -> Tensor {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let plane = w * h;
    let mut data = vec![0.0f32; 3 * plane];
    for (i, pixel) in image.pixels().enumerate() {
        for c in 0..3 {
            data[c * plane + i] = pixel.0[c] as f32 / 255.0;
        }
    }
    Tensor { shape: [1, 3, h, w], data }
}

/// A float in 0..1 to a byte: clamp, scale, round half away from zero.
pub fn unit_to_byte(v: f32) -> u8 {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    (v * 255.0 + 0.5).floor() as u8
}

/// A [1, 3, H, W] tensor back to pixels, alpha taken from `alpha_source` (same size) or opaque.
pub fn from_tensor(tensor: &Tensor, alpha_source: Option<&RgbaImage>) -> RgbaImage {
    let (h, w) = (tensor.height(), tensor.width());
    let plane = w * h;
    let mut out = RgbaImage::new(w as u32, h as u32);
    for (i, pixel) in out.pixels_mut().enumerate() {
        let alpha = alpha_source
            .and_then(|a| a.get_pixel_checked((i % w) as u32, (i / w) as u32))
            .map_or(255, |p| p.0[3]);
        pixel.0 = [
            unit_to_byte(tensor.data[i]),
            unit_to_byte(tensor.data[plane + i]),
            unit_to_byte(tensor.data[2 * plane + i]),
            alpha,
        ];
    }
    out
}

#[cfg(test)]
mod fit_tests {
    use super::fit_within;

    #[test]
    fn zero_keeps_the_size_and_a_cap_keeps_the_aspect() {
        assert_eq!(fit_within(3000, 2000, 0), (3000, 2000));
        assert_eq!(fit_within(3000, 2000, 1024), (1024, 683));
        assert_eq!(fit_within(300, 200, 1024), (300, 200));
        assert_eq!(fit_within(5000, 1, 1000), (1000, 1), "never 0 px");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba};

    fn png_bytes(image: &RgbaImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
        bytes
    }

    #[test]
    fn tensor_round_trip_is_exact_for_bytes() {
        let image = RgbaImage::from_fn(5, 3, |x, y| Rgba([(x * 50) as u8, (y * 100) as u8, 7, 200]));
        let tensor = to_tensor(&image);
        assert_eq!(tensor.shape, [1, 3, 3, 5]);
        assert_eq!(tensor.data[1], 50.0 / 255.0, "R of pixel (1, 0)");
        assert_eq!(tensor.data[15 + 5], 100.0 / 255.0, "G plane follows R plane: G of pixel (0, 1)");
        assert_eq!(from_tensor(&tensor, Some(&image)), image);
    }

    #[test]
    fn unit_to_byte_clamps_and_rounds() {
        assert_eq!(unit_to_byte(-0.5), 0);
        assert_eq!(unit_to_byte(2.0), 255);
        assert_eq!(unit_to_byte(f32::NAN), 0);
        assert_eq!(unit_to_byte(0.5), 128);
        assert_eq!(unit_to_byte(127.4 / 255.0), 127);
    }

    #[test]
    fn shrinking_by_area_averages_exactly_what_each_pixel_covers() {
        // Integer factors: plain block means.
        let image = RgbaImage::from_fn(6, 4, |x, y| Rgba([(x * 40) as u8, (y * 60) as u8, 100, 255]));
        let half = shrink_area(&image, 3, 2);
        assert_eq!(half.get_pixel(0, 0).0, [20, 30, 100, 255]);
        assert_eq!(half.get_pixel(2, 1).0, [180, 150, 100, 255]);
        // A fractional factor: 5 px to 2, each output pixel 2.5 source pixels (the middle one shared).
        let row = RgbaImage::from_fn(5, 1, |x, _| Rgba([[0, 100, 200, 50, 250][x as usize], 0, 0, 0]));
        let two = shrink_area(&row, 2, 1);
        assert_eq!(two.get_pixel(0, 0).0[0], ((0.0 + 100.0 + 0.5 * 200.0) / 2.5f32).round() as u8);
        assert_eq!(two.get_pixel(1, 0).0[0], ((0.5 * 200.0 + 50.0 + 250.0) / 2.5f32).round() as u8);
        // A flat picture stays flat at any size; larger targets are resize_to's.
        let flat = RgbaImage::from_pixel(2048, 1363, Rgba([7, 77, 177, 255]));
        assert!(shrink_area(&flat, 576, 383).pixels().all(|p| p.0 == [7, 77, 177, 255]));
        assert_eq!(shrink_area(&row, 10, 2).dimensions(), (10, 2));
    }

    #[test]
    fn fit_within_caps_the_long_side_and_keeps_aspect() {
        assert_eq!(fit_within(64, 48, 512), (64, 48));
        assert_eq!(fit_within(1000, 500, 512), (512, 256));
        assert_eq!(fit_within(3000, 4000, 1024), (768, 1024));
        assert_eq!(fit_within(5000, 1, 100), (100, 1));
    }

    #[test]
    fn decode_reads_png_and_refuses_bad_input() {
        let image = RgbaImage::from_pixel(4, 2, Rgba([1, 2, 3, 4]));
        assert_eq!(decode(&png_bytes(&image)).unwrap(), image);
        assert_eq!(decode(&[]), Err(ImageError::Empty));
        assert_eq!(decode(b"hello, this is text, not a photo"), Err(ImageError::UnknownFormat));
        let truncated = &png_bytes(&image)[..30];
        assert!(matches!(decode(truncated), Err(ImageError::Corrupt(_))));
    }

    fn encode(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Vec::new();
        let dynamic = DynamicImage::ImageRgba8(image.clone());
        let dynamic = if format == ImageFormat::Bmp || format == ImageFormat::Jpeg { DynamicImage::ImageRgb8(dynamic.to_rgb8()) } else { dynamic };
        dynamic.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
        bytes
    }

    #[test]
    fn decode_reads_every_supported_format() {
        let image = RgbaImage::from_fn(6, 4, |x, y| Rgba([x as u8 * 40, y as u8 * 60, 90, 255]));
        for format in [ImageFormat::Png, ImageFormat::Bmp, ImageFormat::Gif, ImageFormat::WebP] {
            let decoded = decode(&encode(&image, format)).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(decoded.dimensions(), (6, 4), "{format:?}");
            if matches!(format, ImageFormat::Png | ImageFormat::Bmp | ImageFormat::WebP) {
                assert_eq!(decoded, image, "{format:?} is lossless");
            }
        }
        let jpeg = decode(&encode(&image, ImageFormat::Jpeg)).unwrap();
        assert_eq!(jpeg.dimensions(), (6, 4));
    }

    #[test]
    fn decode_keeps_alpha() {
        let image = RgbaImage::from_fn(3, 3, |x, _| Rgba([200, 100, 50, x as u8 * 100]));
        assert_eq!(decode(&png_bytes(&image)).unwrap(), image);
    }

    /// A PNG with an eXIf chunk saying "rotate 90 degrees clockwise to display" (orientation 6).
    fn png_with_orientation(image: &RgbaImage, orientation: u16) -> Vec<u8> {
        let png = png_bytes(image);
        let mut exif = b"MM\0*\0\0\0\x08\0\x01".to_vec(); // big-endian TIFF, IFD at 8, 1 entry
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // tag 0x0112, SHORT, count 1
        exif.extend_from_slice(&orientation.to_be_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
        let mut chunk = (exif.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"eXIf");
        chunk.extend_from_slice(&exif);
        chunk.extend_from_slice(&crc32fast::hash(&[b"eXIf".as_slice(), &exif].concat()).to_be_bytes());
        let ihdr_end = 8 + 25; // signature + IHDR chunk
        [&png[..ihdr_end], &chunk, &png[ihdr_end..]].concat()
    }

    #[test]
    fn decode_applies_exif_orientation() {
        // 2 x 1: red then blue. Orientation 6 means the camera was turned: displayed 1 x 2.
        let image = RgbaImage::from_fn(2, 1, |x, _| if x == 0 { Rgba([255, 0, 0, 255]) } else { Rgba([0, 0, 255, 255]) });
        let upright = decode(&png_with_orientation(&image, 6)).unwrap();
        assert_eq!(upright.dimensions(), (1, 2));
        assert_eq!(upright.get_pixel(0, 0).0, [255, 0, 0, 255], "rotated clockwise: red on top");
        assert_eq!(decode(&png_with_orientation(&image, 1)).unwrap(), image);
    }

    #[test]
    fn decode_refuses_huge_header_before_decoding() {
        // A PNG header claiming 100000 x 100000 pixels, with no pixel data behind it.
        let mut bytes = png_bytes(&RgbaImage::new(1, 1));
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        // Re-seal the IHDR chunk (type + data = bytes 12..29) so only the size is wrong.
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decode(&bytes), Err(ImageError::TooLarge { width: 100_000, height: 100_000, limit: 1000 })));
    }

    /// 8000 x 5200 (42 MP, over the 40 MP budget) with a pattern whose blocks are known: each
    /// pixel's colour comes from its 2x2 block, so the halved picture is exact where lossless.
    fn large_pattern() -> RgbaImage {
        RgbaImage::from_fn(8000, 5200, |x, y| {
            let (bx, by) = (x / 2, y / 2);
            Rgba([(bx % 251) as u8, (by % 241) as u8, ((bx / 64 + by / 64) % 2 * 200) as u8, 255])
        })
    }

    #[test]
    fn a_png_over_the_budget_is_read_reduced_not_refused() {
        let image = large_pattern();
        let bytes = png_bytes(&image);
        drop(image);
        let decoded = decode(&bytes).expect("a 42 MP PNG is read");
        assert_eq!(decoded.dimensions(), (4000, 2600), "2x2 blocks averaged");
        for (x, y) in [(0, 0), (1234, 567), (3999, 2599)] {
            let (bx, by) = (x, y);
            let want = [(bx % 251) as u8, (by % 241) as u8, ((bx / 64 + by / 64) % 2 * 200) as u8, 255];
            assert_eq!(decoded.get_pixel(x, y).0, want, "pixel ({x}, {y})");
        }
        // Orientation still applies to a reduced photo.
        let mut sideways = bytes.clone();
        let exif = png_with_orientation(&RgbaImage::new(1, 1), 6);
        let chunk = &exif[33..exif.len() - (png_bytes(&RgbaImage::new(1, 1)).len() - 33)];
        sideways.splice(33..33, chunk.iter().copied());
        assert_eq!(decode(&sideways).expect("oriented").dimensions(), (2600, 4000));
    }

    #[test]
    fn a_jpeg_over_the_budget_is_read_at_a_dct_scale() {
        let image = large_pattern();
        let bytes = encode(&image, ImageFormat::Jpeg);
        let decoded = decode(&bytes).expect("a 42 MP JPEG is read");
        assert_eq!(decoded.dimensions(), (4000, 2600), "at 1/2 scale");
        // Lossy, but close to the 2x2 blocks' colours.
        let mut error = 0u64;
        for (x, y) in [(100, 100), (1234, 567), (3900, 2500)] {
            let got = decoded.get_pixel(x, y).0;
            let want = image.get_pixel(2 * x, 2 * y).0;
            error += (0..3).map(|c| (got[c] as i32 - want[c] as i32).unsigned_abs() as u64).sum::<u64>();
        }
        assert!(error < 3 * 3 * 12, "mean channel error {} over 9 samples", error as f64 / 9.0);
    }

    #[test]
    fn other_formats_over_the_budget_are_refused_by_name() {
        // A BMP header claiming 8000 x 6000.
        let mut bytes = encode(&RgbaImage::new(2, 2), ImageFormat::Bmp);
        bytes[18..22].copy_from_slice(&8000i32.to_le_bytes());
        bytes[22..26].copy_from_slice(&6000i32.to_le_bytes());
        assert_eq!(decode(&bytes), Err(ImageError::TooLarge { width: 8000, height: 6000, limit: 40 }));
    }
}
