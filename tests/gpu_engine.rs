//! The wonnx engine natively (Vulkan; lavapipe on CI) against onnxruntime's output for the same
//! model and photo (tests/fixtures/*.ort.png, made by tests/reference/ort_reference.py).

use atelier::engine::{StyleEngine, WonnxEngine};
use atelier::imaging;
use atelier::model::decode_model;

fn has_gpu_adapter() -> bool {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::default());
    pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())).is_some()
}

#[test]
fn wonnx_matches_onnxruntime_on_the_fixture() {
    if !has_gpu_adapter() {
        // The test command installs lavapipe, so CI always has an adapter; a bare dev box may not.
        assert!(std::env::var_os("CI").is_none(), "no Vulkan adapter on CI: is mesa-vulkan-drivers installed?");
        eprintln!("skipped: no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
        return;
    }
    let model = decode_model(&std::fs::read("models/fixture/generator.onnx").unwrap()).unwrap();
    let photo = imaging::decode(&std::fs::read("tests/fixtures/gradient_64x48.png").unwrap()).unwrap();
    let expected = imaging::decode(&std::fs::read("tests/fixtures/gradient_64x48.fixture.ort.png").unwrap()).unwrap();

    let mut engine = WonnxEngine::new(model);
    let output = pollster::block_on(engine.stylize(&imaging::to_tensor(&photo))).unwrap();
    let got = imaging::from_tensor(&output, None);
    assert_eq!(got.dimensions(), expected.dimensions());

    let diffs: Vec<i32> =
        got.pixels().zip(expected.pixels()).flat_map(|(a, b)| (0..3).map(move |c| a.0[c] as i32 - b.0[c] as i32)).collect();
    let max = diffs.iter().map(|d| d.abs()).max().unwrap();
    let mean = diffs.iter().map(|d| d.abs() as f64).sum::<f64>() / diffs.len() as f64;
    eprintln!("wonnx vs onnxruntime: max |diff| {max}, mean {mean:.4} (8-bit levels)");
    assert!(max <= 2, "max diff {max} levels");
    assert!(mean <= 0.25, "mean diff {mean}");

    // A second run at the same size reuses the compiled session and gives the same pixels.
    let again = pollster::block_on(engine.stylize(&imaging::to_tensor(&photo))).unwrap();
    assert_eq!(again, output);
}
