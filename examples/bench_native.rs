//! Native engine timings for bench/native.sh: one network pass of the package's generator at
//! each size, first (cold: specialisation, compilation, upload) and then warm (median of N).
//! Prints one JSON line per (engine, size).
//!
//! cargo run --release --example bench_native -- [--models models] [--engines cpu,gpu] [--reps 5] 256 512 1024

use std::time::Instant;

/// The allocator the CLI uses (src/bin/atelier.rs says why), so these are the CLI's times.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use atelier::engine::{cpu_threads, native_gpu_adapter, CpuEngine, Engine, Simd, Tensors, WonnxEngine};
use atelier::model::{GraphVariant, ModelPackage, StyleChoice, INPUT_NAME};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut models, mut engines, mut reps, mut sizes) = ("models".to_string(), "cpu,gpu".to_string(), 5usize, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = args.next().unwrap_or(models),
            "--engines" => engines = args.next().unwrap_or(engines),
            "--reps" => reps = args.next().and_then(|r| r.parse().ok()).unwrap_or(reps),
            size => sizes.push(size.parse::<u32>().unwrap_or_else(|_| panic!("not a size: {size}"))),
        }
    }
    let package = ModelPackage::load_dir(std::path::Path::new(&models)).unwrap_or_else(|e| panic!("{e}"));
    let first = package.manifest.styles[0].id.clone();
    let style = package.style_params(&StyleChoice::single(&first)).unwrap_or_else(|e| panic!("{e}"));
    for engine_name in engines.split(',') {
        let mut engine: Box<dyn Engine> = match engine_name {
            "cpu" => Box::new(CpuEngine::new(package.generator.clone())),
            "gpu" => match pollster::block_on(native_gpu_adapter()) {
                Some(adapter) => {
                    eprintln!("gpu: {}", adapter.name);
                    Box::new(WonnxEngine::new(package.generator.clone()))
                }
                None => {
                    eprintln!("gpu: no adapter, skipped");
                    continue;
                }
            },
            other => panic!("unknown engine {other}"),
        };
        // What the CPU engine ran on: its threads and vector instructions.
        let kernels = if engine_name == "cpu" {
            format!("\"threads\":{},\"simd\":\"{}\",", cpu_threads(), Simd::detected().describe())
        } else {
            String::new()
        };
        for &side in &sizes {
            let mut inputs: Tensors = style.inputs.iter().cloned().collect();
            let pixels = (side * side) as usize;
            inputs.insert(INPUT_NAME.into(), (0..3 * pixels).map(|i| (i % 255) as f32 / 255.0).collect());
            let started = Instant::now();
            let run = |engine: &mut Box<dyn Engine>| pollster::block_on(engine.run(GraphVariant::Plain, side, side, &inputs));
            if let Err(e) = run(&mut engine) {
                println!("{{\"engine\":\"{engine_name}\",\"size\":{side},\"error\":\"{e}\"}}");
                continue;
            }
            let cold_ms = started.elapsed().as_secs_f64() * 1e3;
            let mut warm: Vec<f64> = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    let _ = run(&mut engine);
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            warm.sort_by(f64::total_cmp);
            println!(
                "{{\"engine\":\"{engine_name}\",\"size\":{side},{kernels}\"cold_ms\":{cold_ms:.1},\"warm_median_ms\":{:.1},\"warm_min_ms\":{:.1},\"warm_max_ms\":{:.1}}}",
                warm[warm.len() / 2],
                warm[0],
                warm[warm.len() - 1]
            );
        }
    }
}
