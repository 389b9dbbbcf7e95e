//! The detail stage's cost (issue 35: within ~2x today's 2048 px time), for bench/detail.sh:
//! `Studio::paint` on the CPU engine at the output size, each photo painted with the stage and
//! without it in turn (alternating, so both see the same machine), best of N each, and how soon
//! the painting's preview (before the stage, what the app shows meanwhile) was there. Decoding and
//! encoding are left out: they are the same either way. Prints one JSON line per photo.
//!
//! cargo run --release --example bench_detail -- [--models models] [--style ID] [--side 2048] [--reps 3] PHOTO...

use std::time::Instant;

/// The allocator the CLI uses (src/bin/atelier.rs says why), so these are the CLI's times.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use atelier::imaging;
use atelier::model::{ModelPackage, StyleChoice};
use atelier::pipeline::Brush;
use atelier::studio::{Studio, StudioEvent};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut models, mut style, mut side, mut reps, mut photos) =
        ("models".to_string(), "starry-night".to_string(), 2048u32, 3usize, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = args.next().unwrap_or(models),
            "--style" => style = args.next().unwrap_or(style),
            "--side" => side = args.next().and_then(|s| s.parse().ok()).unwrap_or(side),
            "--reps" => reps = args.next().and_then(|r| r.parse().ok()).unwrap_or(reps),
            photo => photos.push(photo.to_string()),
        }
    }
    let package = ModelPackage::load_dir(std::path::Path::new(&models)).unwrap_or_else(|e| panic!("{e}"));
    let choice = StyleChoice::single(&style);
    let mut studio = Studio::open_cpu(package).unwrap_or_else(|e| panic!("{e}"));
    for path in &photos {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let photo = imaging::decode(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (w, h) = imaging::fit_within(photo.width(), photo.height(), side);
        let photo = imaging::resize_to(&photo, w, h);
        // Without the stage; with it, to the finished painting and to its preview (the painting
        // before the stage, which the app shows while the detail is painted).
        let mut best = [f64::INFINITY; 3];
        for _ in 0..reps {
            for (i, detail) in [false, true].into_iter().enumerate() {
                studio.set_detail(detail);
                let start = Instant::now();
                let mut preview_ms = None;
                let mut events = |event: StudioEvent<'_>| {
                    if let StudioEvent::Coarse(_) = event {
                        preview_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
                    }
                    true
                };
                pollster::block_on(studio.paint(&photo, &choice, Brush::default(), &mut events)).unwrap_or_else(|e| panic!("{e}"));
                best[i] = best[i].min(start.elapsed().as_secs_f64() * 1000.0);
                if let Some(ms) = preview_ms {
                    best[2] = best[2].min(ms);
                }
            }
        }
        println!(
            "{{\"photo\":\"{path}\",\"size\":\"{w}x{h}\",\"without_ms\":{:.0},\"with_ms\":{:.0},\"ratio\":{:.2},\"preview_ms\":{:.0},\"preview_ratio\":{:.2}}}",
            best[0],
            best[1],
            best[1] / best[0],
            best[2],
            best[2] / best[0]
        );
    }
}
