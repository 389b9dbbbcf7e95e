//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use atelier::engine::{CpuEngine, Engine, WonnxEngine};
use atelier::imaging;
use atelier::model::ModelPackage;
use image::RgbaImage;

pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

pub fn package() -> ModelPackage {
    ModelPackage::load_dir(&fixture_path("package")).expect("fixture package loads")
}

pub fn image(rel: &str) -> RgbaImage {
    imaging::decode(&std::fs::read(fixture_path(rel)).expect("fixture image")).expect("decodes")
}

/// A photo-like test picture: smooth gradients, a disc and a hard edge.
pub fn synthetic_photo(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let disc = ((fx - 0.6).powi(2) + (fy - 0.4).powi(2)).sqrt() < 0.2;
        let r = if disc { 230.0 } else { 60.0 + 150.0 * fx };
        let g = 40.0 + 170.0 * fy;
        let b = if x > width / 3 { 180.0 } else { 90.0 } * (1.0 - 0.5 * fy);
        image::Rgba([r as u8, g as u8, b as u8, 255])
    })
}

pub fn cpu_engine() -> Box<dyn Engine> {
    Box::new(CpuEngine::new(package().generator))
}

/// The native GPU engine, or None where no Vulkan adapter exists (never on CI: the test
/// command installs lavapipe, and CI=true turns a missing adapter into a failure).
pub fn gpu_engine() -> Option<Box<dyn Engine>> {
    if pollster::block_on(atelier::engine::native_gpu_adapter()).is_none() {
        assert!(std::env::var_os("CI").is_none(), "no Vulkan adapter on CI: is mesa-vulkan-drivers installed?");
        eprintln!("skipped: no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
        return None;
    }
    Some(Box::new(WonnxEngine::new(package().generator)))
}

/// (max |diff|, mean |diff|) over RGB, in 8-bit levels.
pub fn rgb_diff(a: &RgbaImage, b: &RgbaImage) -> (u8, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut max = 0u8;
    let mut sum = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            let d = p.0[c].abs_diff(q.0[c]);
            max = max.max(d);
            sum += d as u64;
        }
    }
    (max, sum as f64 / (3 * a.width() * a.height()) as f64)
}

pub fn psnr(a: &RgbaImage, b: &RgbaImage) -> f64 {
    let mut se = 0.0f64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            se += (p.0[c] as f64 - q.0[c] as f64).powi(2);
        }
    }
    let mse = se / (3 * a.width() * a.height()) as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

/// One layer of the learning fixtures' toy loss network (training/make_learn_fixture.py).
#[derive(serde::Deserialize)]
struct ToyLossLayer {
    #[serde(default)]
    pool: bool,
    #[serde(default)]
    name: String,
    #[serde(default)]
    c_in: usize,
    #[serde(default)]
    c_out: usize,
    #[serde(default)]
    weight: Vec<f32>,
    #[serde(default)]
    bias: Vec<f32>,
}

#[derive(serde::Deserialize)]
struct ToyLossNetwork {
    layers: Vec<ToyLossLayer>,
}

/// VGG19's layer plan with a few channels, from tests/fixtures/learn/loss_network.json.
pub fn toy_loss_network() -> atelier::learn::LossNetwork {
    use atelier::learn::LossLayer;
    let f: ToyLossNetwork = serde_json::from_slice(&std::fs::read(fixture_path("learn/loss_network.json")).expect("fixture")).expect("fixture parses");
    let layers = f
        .layers
        .into_iter()
        .map(|l| match l.pool {
            true => LossLayer::Pool,
            false => LossLayer::Conv { name: l.name, c_in: l.c_in, c_out: l.c_out, weight: l.weight, bias: l.bias },
        })
        .collect();
    atelier::learn::LossNetwork::new(layers).expect("the toy loss network is well formed")
}
