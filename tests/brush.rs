//! Brush size and the working resolution: larger brushes paint larger texture, the preview and the
//! export have the same strokes, and bad brush sizes are refused.

mod common;

use atelier::engine::Engine;
use atelier::imaging;
use atelier::model::StyleChoice;
use atelier::pipeline::{self, Brush, BrushError, RenderOptions};
use common::*;
use image::RgbaImage;

/// Working side of the default brush in these tests (the fixture network is tiny and random).
const TRAINED_SIDE: u32 = 128;

fn paint(photo: &RgbaImage, brush: f32) -> RgbaImage {
    paint_trained(photo, brush, TRAINED_SIDE)
}

fn paint_trained(photo: &RgbaImage, brush: f32, trained_side: u32) -> RgbaImage {
    let package = package();
    let style = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    let options = cpu_options(&package);
    let brush = Brush::new(brush).unwrap();
    let mut engine = cpu_engine();
    pollster::block_on(pipeline::paint(engine.as_mut(), photo, &style, package.stride(), &options, brush, trained_side, pipeline::DetailStage::Off, &mut |_, _| true, &mut |_| {}))
        .unwrap()
}

/// The render options of the CPU engine these tests paint on.
fn cpu_options(package: &atelier::model::ModelPackage) -> RenderOptions {
    let budget = atelier::engine::CpuEngine::new(package.generator.clone()).max_tensor_elements();
    RenderOptions::for_generator(&package.generator, package.stride(), budget).unwrap()
}

fn luma(image: &RgbaImage) -> Vec<f32> {
    image.pixels().map(|p| 0.299 * p.0[0] as f32 + 0.587 * p.0[1] as f32 + 0.114 * p.0[2] as f32).collect()
}

/// How fine the stylization's texture is: of the residual (painting minus photo, luminance), the
/// share of its energy that a 5x5 box blur removes. Large strokes are smooth at the pixel scale
/// and keep most of their energy under the blur.
fn fine_share(painting: &RgbaImage, photo: &RgbaImage) -> f64 {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let r: Vec<f32> = luma(painting).iter().zip(luma(photo)).map(|(a, b)| a - b).collect();
    let mean = r.iter().sum::<f32>() / r.len() as f32;
    let (mut fine, mut total) = (0.0f64, 0.0f64);
    for y in 2..h - 2 {
        for x in 2..w - 2 {
            let mut blur = 0.0;
            for dy in 0..5 {
                for dx in 0..5 {
                    blur += r[(y + dy - 2) * w + x + dx - 2];
                }
            }
            let v = r[y * w + x];
            fine += ((v - blur / 25.0) as f64).powi(2);
            total += ((v - mean) as f64).powi(2);
        }
    }
    fine / total
}

#[test]
fn a_larger_brush_paints_larger_texture() {
    let photo = synthetic_photo(256, 192);
    let shares: Vec<f64> = [0.5, 1.0, 2.0].iter().map(|&b| fine_share(&paint(&photo, b), &photo)).collect();
    eprintln!("fine-texture share of the residual at brush 0.5 / 1 / 2: {shares:?}");
    assert!(shares[0] > 1.3 * shares[1] && shares[1] > 1.3 * shares[2], "{shares:?}");
}

#[test]
fn preview_and_export_have_the_same_strokes() {
    // The same photo at preview size and at twice the size: brought to one size, the two
    // paintings agree, because the brush is relative to the picture. Painting each at its own
    // full resolution (strokes of a fixed pixel size, the old behaviour) does not.
    let large = synthetic_photo(256, 192);
    let small = imaging::resize_to(&large, 128, 96);
    let export = imaging::resize_to(&paint_trained(&large, 1.0, 64), 128, 96);
    let preview = paint_trained(&small, 1.0, 64);
    let (_, relative) = rgb_diff(&export, &preview);

    let package = package();
    let style = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    let options = cpu_options(&package);
    let full = |photo: &RgbaImage| {
        pollster::block_on(pipeline::paint_at_own_size(cpu_engine().as_mut(), photo, &style, package.stride(), &options, &mut |_, _| true)).unwrap()
    };
    let (_, fixed_pixels) = rgb_diff(&imaging::resize_to(&full(&large), 128, 96), &full(&small));
    eprintln!("preview vs export, mean |diff|: relative brush {relative:.2}, fixed pixel size {fixed_pixels:.2} levels");
    assert!(relative < 3.0, "{relative}");
    assert!(relative * 2.0 < fixed_pixels, "relative {relative}, fixed {fixed_pixels}");
}

#[test]
fn the_smallest_brush_paints_at_full_resolution() {
    let photo = synthetic_photo(96, 72);
    let package = package();
    let style = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    let options = cpu_options(&package);
    let direct =
        pollster::block_on(pipeline::paint_at_own_size(cpu_engine().as_mut(), &photo, &style, package.stride(), &options, &mut |_, _| true)).unwrap();
    assert_eq!(paint(&photo, 0.25), direct, "working side 512 >= 96: one full-resolution pass");
    assert_ne!(paint(&photo, 2.0), direct);
}

#[test]
fn brush_sizes_are_checked() {
    assert!(Brush::new(0.25).is_ok() && Brush::new(4.0).is_ok() && Brush::new(1.0).is_ok());
    for bad in [0.2, 4.5, 0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(matches!(Brush::new(bad), Err(BrushError::OutOfRange(_))), "{bad}");
    }
    assert_eq!(Brush::parse(" 1.5 ").unwrap().size(), 1.5);
    let err = Brush::parse("large").unwrap_err().to_string();
    assert!(err.contains("0.25 to 4") && err.contains("large"), "{err}");
    // Relative to the picture: the working side depends on the brush only, capped by the picture.
    let b = Brush::new(2.0).unwrap();
    assert_eq!(b.working_side(320, 4096), 160);
    assert_eq!(b.working_side(320, 1024), 160);
    assert_eq!(Brush::new(0.25).unwrap().working_side(320, 1024), 1024, "never more than the picture");
    assert_eq!(Brush::new(4.0).unwrap().working_side(200, 4096), 64, "never under the minimum");
}
