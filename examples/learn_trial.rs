//! A trial of learning a painting natively (issue 33): the Rust learner (src/learn) on the
//! shipped package, the training data's VGG19, a painting and a few photos; prints each
//! stage's time and losses, paints a photo with the first guess and the learned style, and
//! writes both rows (OUT_DIR/first/STEM.f32, OUT_DIR/learned/STEM.f32) for
//! training/evaluate_learned.py.
//!
//! cargo run --release --example learn_trial -- PAINTING PHOTO_TO_PAINT OUT_DIR
//!     [--photos DIR] [--steps N] [--crop PX] [--margin PX] [--deepest relu4_1] [--rate 0.05] [--start mean] [--painting-side 256]
//!     [--content-limit 1.1|none] [--limit-rate 1] [--seed N]
//!     [--layer-weights relu1_1=1000,relu4_1=40] [--seconds S] [--final-rate 0.1] [--content-weight 1e-4] [--content-layer relu3_1] [--average-decay 0.9] [--photo-side 288]

use std::path::{Path, PathBuf};
use std::time::Instant;

use atelier::engine::CpuEngine;
use atelier::learn::{first_guess, mean_style, LearnSettings, Learner, LossNetwork, StyleGenerator};
use atelier::model::package::{ModelPackage, StyleChoice, StyleParams};
use atelier::pipeline::{self, Brush, RenderOptions};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// `--name VALUE` parsed into `field` where given (a trial tool: a bad value stops it).
fn set<T: std::str::FromStr>(args: &[String], name: &str, field: &mut T)
where
    T::Err: std::fmt::Debug,
{
    if let Some(value) = arg(args, name) {
        *field = value.parse().unwrap_or_else(|e| panic!("{name} {value}: {e:?}"));
    }
}

fn image(path: &Path) -> image::RgbaImage {
    image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [painting, target, out_dir] = [&args[0], &args[1], &args[2]].map(PathBuf::from);
    let stem = painting.file_stem().unwrap().to_string_lossy().to_string();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let photos_dir = arg(&args, "--photos").map(PathBuf::from).unwrap_or_else(|| root.join("static/samples"));
    let steps: usize = arg(&args, "--steps").map_or(100, |s| s.parse().unwrap());
    let mut settings = LearnSettings::default();
    set(&args, "--crop", &mut settings.crop);
    set(&args, "--margin", &mut settings.margin);
    set(&args, "--painting-side", &mut settings.painting_side);
    set(&args, "--photo-side", &mut settings.photo_side);
    set(&args, "--average-decay", &mut settings.average_decay);
    set(&args, "--content-layer", &mut settings.content_layer);
    set(&args, "--content-weight", &mut settings.content_weight);
    set(&args, "--final-rate", &mut settings.final_rate);
    set(&args, "--rate", &mut settings.learning_rate);
    set(&args, "--limit-rate", &mut settings.limit_rate);
    set(&args, "--seed", &mut settings.seed);
    if let Some(limit) = arg(&args, "--content-limit") {
        settings.content_limit = if limit == "none" { None } else { Some(limit.parse().unwrap()) };
    }
    if let Some(d) = arg(&args, "--deepest") {
        settings.style_layers.retain(|(l, _)| l.as_str() <= d.as_str());
    }
    if let Some(list) = arg(&args, "--layer-weights") {
        // Style layers' weights changed by name (others kept): `relu4_1=40,relu1_1=500`.
        for pair in list.split(',') {
            let (name, weight) = pair.split_once('=').expect("NAME=WEIGHT");
            let weight: f32 = weight.parse().unwrap();
            match settings.style_layers.iter_mut().find(|(l, _)| l == name) {
                Some(entry) => entry.1 = weight,
                None => settings.style_layers.push((name.to_string(), weight)),
            }
        }
        println!("style layers: {:?}", settings.style_layers);
    }
    let seconds: Option<f64> = arg(&args, "--seconds").map(|s| s.parse().unwrap());
    let vgg_path = arg(&args, "--vgg").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/data/vgg/vgg19_conv1_1-conv5_1.fp16.safetensors"));

    let t = Instant::now();
    let package = ModelPackage::load_dir(&root.join("models")).expect("the shipped package");
    let generator = StyleGenerator::from_package(&package).unwrap();
    let deepest = settings.style_layers.iter().map(|(l, _)| l.clone()).chain([settings.content_layer.clone()]).max().unwrap();
    let loss = LossNetwork::from_safetensors(&std::fs::read(&vgg_path).unwrap(), &deepest).unwrap();
    let ids: Vec<String> = package.manifest.styles.iter().map(|s| s.id.clone()).collect();
    let all: Vec<StyleParams> = ids.iter().map(|id| package.style_params(&StyleChoice::single(id)).unwrap()).collect();
    // Where learning starts without a first guess: the mean of the shipped rows.
    let mut start = mean_style(&all).unwrap();
    let mut photos = Vec::new();
    for entry in std::fs::read_dir(&photos_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if (name.ends_with(".jpg") || name.ends_with(".png")) && !name.contains("thumb") {
            photos.push(image(&path));
        }
    }
    println!("loaded in {:.2} s: {} photos, loss network to {deepest}, {} threads", t.elapsed().as_secs_f64(), photos.len(), atelier::engine::cpu_threads());

    let t = Instant::now();
    let photos_kept = photos.clone();
    let mut learner = Learner::new(&generator, &loss, &image(&painting), photos, start.clone(), settings.clone()).unwrap();
    println!("painting's Gram matrices in {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    println!("mean of the shipped rows: distance {:.2}", learner.style_distance(&start).unwrap());
    if let Some(small) = arg(&args, "--compare-guess") {
        // The first guess scored on `small` px crops against the default: which it picks, how far
        // that is at the default crop, how long it takes.
        let small: u32 = small.parse().unwrap();
        let t = Instant::now();
        let (at_default, _) = first_guess(&learner, &all).unwrap();
        let default_s = t.elapsed().as_secs_f64();
        let mut small_settings = settings.clone();
        small_settings.guess_crop = small;
        let small_learner = Learner::new(&generator, &loss, &image(&painting), photos_kept.clone(), start.clone(), small_settings).unwrap();
        let t = Instant::now();
        let (at_small, _) = first_guess(&small_learner, &all).unwrap();
        let small_s = t.elapsed().as_secs_f64();
        let score = |p: &StyleParams| learner.style_distance_at(p, settings.crop).unwrap();
        println!(
            "first guess at {} px: distance {:.2} in {default_s:.2} s; at {small} px: distance {:.2} in {small_s:.2} s; same choice: {}",
            settings.crop,
            score(&at_default),
            score(&at_small),
            at_default == at_small
        );
        return;
    }
    if arg(&args, "--start").as_deref() != Some("mean") {
        let (guess, distance) = first_guess(&learner, &all).unwrap();
        println!("first guess in {:.2} s: distance {distance:.2}", t.elapsed().as_secs_f64());
        start = guess;
        learner.restart_from(start.clone());
    }
    let t = Instant::now();
    let mut done = 0;
    for step in 1..=steps {
        if seconds.is_some_and(|s| t.elapsed().as_secs_f64() > s) {
            println!("time up after {} steps", step - 1);
            break;
        }
        // Progress by the time budget where there is one, else by the steps.
        let progress = match seconds {
            Some(s) => (t.elapsed().as_secs_f64() / s) as f32,
            None => (step - 1) as f32 / steps as f32,
        };
        let losses = learner.step_at(progress).unwrap();
        done = step;
        if step % 10 == 0 || step == 1 {
            println!(
                "step {step}: style {:.3} content {:.3} subject {:.3} limit weight {:.2} ({:.2} s)",
                losses.style,
                losses.content,
                losses.subject,
                losses.limit_weight,
                t.elapsed().as_secs_f64()
            );
        }
    }
    // The running average (what `atelier learn` keeps), or the last step's row (--last).
    let learned = if args.iter().any(|a| a == "--last") { learner.params().clone() } else { learner.averaged().clone() };
    println!("{done} steps in {:.2} s ({:.3} s/step)", t.elapsed().as_secs_f64(), t.elapsed().as_secs_f64() / done.max(1) as f64);

    let photo = image(&target);
    let stride = package.stride();
    let mut options = RenderOptions::for_generator(&package.generator, stride, usize::MAX).unwrap();
    options.margin = package.margin();
    let mut engine = CpuEngine::new(package.generator.clone());
    for (label, params) in [("first", &start), ("learned", &learned)] {
        let painted = pollster::block_on(pipeline::paint(&mut engine, &photo, params, stride, &options, Brush::default(), package.working_side(), pipeline::DetailStage::Off, &mut |_, _| true, &mut |_| {})).unwrap();
        let path = out_dir.join(format!("{stem}-{label}.png"));
        painted.save(&path).unwrap();
        let flat: Vec<u8> = params.inputs.iter().flat_map(|(_, v)| v.iter().flat_map(|x| x.to_le_bytes())).collect();
        std::fs::create_dir_all(out_dir.join(label)).unwrap();
        std::fs::write(out_dir.join(label).join(format!("{stem}.f32")), flat).unwrap();
        println!("wrote {} and {label}/{stem}.f32", path.display());
    }
}
