//! The live view natively (bench/live.sh): a still photo with fresh camera-like noise in every
//! frame, painted frame by frame in the ways tried for issue 34 and the way the live view paints.
//! Prints per way the mean change between consecutive painted frames (levels, all pixels and
//! channels) against the clip's own, and the time per frame on the CPU engine.
//!
//! cargo run --release --example live_bench -- PHOTO [--side 256] [--frames 24] [--style ID] [--sigma 3]

use std::time::Instant;

/// The allocator the CLI uses, so these are the CLI's times.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use atelier::engine::{cpu_threads, CpuEngine, Engine};
use atelier::imaging;
use atelier::live::{mean_change, paint_frame, NoiseSource, Steadier, LIVE_MARGIN};
use atelier::model::{GraphVariant, Margin, ModelPackage, StyleChoice};
use atelier::pipeline::{run_padded, Adjustments, NormStats};
use image::RgbaImage;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut photo, mut side, mut frames, mut style, mut sigma, mut models) =
        (None, 256u32, 24usize, None, 3.0f64, "models".to_string());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--side" => side = args.next().and_then(|v| v.parse().ok()).unwrap_or(side),
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).unwrap_or(frames).max(4),
            "--style" => style = args.next(),
            "--sigma" => sigma = args.next().and_then(|v| v.parse().ok()).unwrap_or(sigma),
            "--models" => models = args.next().unwrap_or(models),
            other => photo = Some(other.to_string()),
        }
    }
    let package = ModelPackage::load_dir(std::path::Path::new(&models)).unwrap_or_else(|e| panic!("{e}"));
    let style = style.unwrap_or_else(|| package.manifest.styles[0].id.clone());
    let params = package.style_params(&StyleChoice::single(&style)).unwrap_or_else(|e| panic!("{e}"));
    let stride = package.stride();
    let photo = image::open(photo.expect("a photo")).unwrap_or_else(|e| panic!("{e}")).to_rgba8();
    let (w, h) = imaging::fit_within(photo.width(), photo.height(), side);
    let still = imaging::resize_to(&photo, w, h);
    let mut noise = NoiseSource::new(0x9E37_79B9_7F4A_7C15);
    let clip: Vec<RgbaImage> = (0..frames).map(|_| noise.noisy(&still, sigma)).collect();
    // The first frames of a steadied view are still settling: every way is measured over the
    // second half of the clip.
    let settled = |pictures: &[RgbaImage]| {
        let half = &pictures[pictures.len() / 2..];
        half.windows(2).map(|p| mean_change(&p[0], &p[1])).sum::<f64>() / (half.len() - 1) as f64
    };
    let clip_change = settled(&clip);
    println!("{w}x{h}, style {style}, noise sigma {sigma}, {} threads: the clip's own change {clip_change:.2} levels", cpu_threads());
    let mut engine = CpuEngine::new(package.generator.clone());
    let run = |engine: &mut CpuEngine, f: &RgbaImage, margin: Margin, variant: GraphVariant, stats: Option<&NormStats>| {
        pollster::block_on(run_padded(engine as &mut dyn Engine, f, &params, stride, margin, variant, stats))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let report = |name: &str, painted: &[RgbaImage], started: Instant| {
        let change = settled(painted);
        let ms = started.elapsed().as_secs_f64() * 1000.0 / painted.len() as f64;
        println!("{name:44} change {change:6.2} = {:5.2}x the clip's   {ms:6.1} ms/frame ({:.1} fps)", change / clip_change, 1000.0 / ms);
        if let Ok(dir) = std::env::var("LIVE_BENCH_OUT") {
            let file = name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
            let _ = painted[painted.len() - 1].save(format!("{dir}/{file}.png"));
        }
    };
    run(&mut engine, &clip[0], package.margin(), GraphVariant::Plain, None);

    // The package's own margin, the live view's, and the two narrow ones it was chosen between.
    let mut margins = vec![package.margin(), LIVE_MARGIN];
    for narrow in [Margin::Trained(16), Margin::Trained(8)] {
        if !margins.contains(&narrow) {
            margins.push(narrow);
        }
    }
    for margin in margins {
        let started = Instant::now();
        let painted: Vec<RgbaImage> = clip.iter().map(|f| run(&mut engine, f, margin, GraphVariant::Plain, None).0).collect();
        report(&format!("each frame afresh, margin {margin:?}"), &painted, started);
    }
    // Instance-norm statistics smoothed over frames (two passes a frame: measured, not used).
    let started = Instant::now();
    let mut smooth: Option<NormStats> = None;
    let painted: Vec<RgbaImage> = clip
        .iter()
        .map(|f| {
            let (_, now) = run(&mut engine, f, LIVE_MARGIN, GraphVariant::EmitStats, None);
            let blended: NormStats = match smooth.take() {
                None => now,
                Some(old) => now.into_iter().map(|(k, v)| {
                    let b = v.iter().zip(&old[&k]).map(|(n, o)| 0.9 * o + 0.1 * n).collect();
                    (k, b)
                }).collect(),
            };
            let out = run(&mut engine, f, LIVE_MARGIN, GraphVariant::InjectStats, Some(&blended)).0;
            smooth = Some(blended);
            out
        })
        .collect();
    report("norm statistics averaged over frames (0.9)", &painted, started);
    // The input stage alone.
    let started = Instant::now();
    let mut steadier = Steadier::new();
    let painted: Vec<RgbaImage> = clip.iter().map(|f| run(&mut engine, &steadier.steady_input(f), LIVE_MARGIN, GraphVariant::Plain, None).0).collect();
    report("input steadied only", &painted, started);
    // What the live view does.
    let started = Instant::now();
    let mut steadier = Steadier::new();
    let painted: Vec<RgbaImage> = clip
        .iter()
        .map(|f| {
            pollster::block_on(paint_frame(&mut engine, f, &params, stride, Adjustments::default(), &mut steadier))
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    report("the live view (input and output steadied)", &painted, started);

    // A pan (the scene moves 3 px a frame, with the same noise): what moves must be painted
    // afresh, not smeared. Measured as the live view's difference from painting each frame
    // afresh, against the steadied still scene's (the floor the steadying itself costs).
    let wide = imaging::resize_to(&photo, w + 3 * frames as u32, h);
    let pan: Vec<RgbaImage> = (0..frames)
        .map(|i| noise.noisy(&image::imageops::crop_imm(&wide, 3 * i as u32, 0, w, h).to_image(), sigma))
        .collect();
    let clean: Vec<RgbaImage> = (0..frames).map(|i| image::imageops::crop_imm(&wide, 3 * i as u32, 0, w, h).to_image()).collect();
    let mut steadier = Steadier::new();
    let (mut off, mut still) = (0.0, 0.0);
    for (i, f) in pan.iter().enumerate() {
        // paint_frame's steps, to see the input it paints.
        let input = steadier.steady_input(f);
        let painted = run(&mut engine, &input, LIVE_MARGIN, GraphVariant::Plain, None).0;
        steadier.steady_output(&painted);
        if i >= frames / 2 {
            off += mean_change(&input, &clean[i]) / (frames - frames / 2) as f64;
            still += steadier.still_share() as f64 / (frames - frames / 2) as f64;
        }
    }
    let noisy_off = clean.iter().zip(&pan).map(|(c, f)| mean_change(c, f)).sum::<f64>() / frames as f64;
    println!("pan, 3 px a frame: {:.0} % of the picture taken as still; the painted input is {off:.2} levels off the clean frame (the camera's own frame {noisy_off:.2})", 100.0 * still);
}
