//! Reading a phone's 48-200 MP photo (bench/large_photo.sh): Atelier's reduced decode
//! (`imaging::decode`: a JPEG at a DCT scale, a PNG row by row in blocks) against the peer way of
//! reading it whole with the `image` crate and scaling it down after, in separate processes so
//! each one's peak memory is its own.
//!
//! cargo run --release --example bench_large_photo -- make OUT.jpg|OUT.png MEGAPIXELS
//! cargo run --release --example bench_large_photo -- read FILE reduced|whole
//! `read` prints one JSON line: the way, the size read, milliseconds and the peak resident memory.

use std::time::Instant;

use image::{ImageFormat, RgbImage};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A 4:3 photo-like picture: smooth gradients with fine detail, so neither format compresses it
/// to nothing.
fn make(path: &str, megapixels: f64) {
    let width = ((megapixels * 1e6 * 4.0 / 3.0).sqrt()) as u32;
    let height = width * 3 / 4;
    let image = RgbImage::from_fn(width, height, |x, y| {
        let fine = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23) as u8;
        image::Rgb([(x * 255 / width) as u8 ^ (fine & 7), (y * 255 / height) as u8, 128u8.wrapping_add(fine)])
    });
    let format = if path.ends_with(".png") { ImageFormat::Png } else { ImageFormat::Jpeg };
    image.save_with_format(path, format).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!("{path}: {width}x{height} ({:.0} MP), {} MB", width as f64 * height as f64 / 1e6, std::fs::metadata(path).map_or(0, |m| m.len()) >> 20);
}

fn read(path: &str, way: &str) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let start = Instant::now();
    let (width, height) = match way {
        "reduced" => atelier::imaging::decode(&bytes).map(|i| i.dimensions()).unwrap_or_else(|e| panic!("{e}")),
        "whole" => {
            let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes)).with_guessed_format().expect("format");
            reader.no_limits();
            let whole = reader.decode().unwrap_or_else(|e| panic!("{e}"));
            // To the size the reduced way gives (the least JPEG scale or PNG block within the
            // budget), so both end with the same picture.
            let fits = |s: u32| whole.width().div_ceil(s) as u64 * whole.height().div_ceil(s) as u64 <= atelier::imaging::MAX_DECODE_PIXELS;
            let scale = if path.ends_with(".png") { (1..).find(|s| fits(*s)) } else { [1, 2, 4, 8].into_iter().find(|s| fits(*s)) };
            let scale = scale.expect("within 1/8");
            let (w, h) = (whole.width().div_ceil(scale), whole.height().div_ceil(scale));
            let small = whole.resize_exact(w, h, image::imageops::FilterType::Triangle);
            (small.width(), small.height())
        }
        other => panic!("read FILE reduced|whole, not {other}"),
    };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("{{\"file\":\"{path}\",\"way\":\"{way}\",\"width\":{width},\"height\":{height},\"ms\":{ms:.0},\"peak_mb\":{:.0}}}", peak_rss_mb());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["make", path, mp] => make(path, mp.parse().expect("megapixels")),
        ["read", path, way] => read(path, way),
        _ => panic!("make OUT MEGAPIXELS | read FILE reduced|whole"),
    }
}
