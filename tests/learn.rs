//! Atelier's own backward passes against PyTorch's autograd (fixtures written by
//! training/make_learn_fixture.py): the generator's gradient with respect to a style's gamma
//! and beta, and the loss network's gradient with respect to its input under the training
//! code's Gram style loss and content loss.

use std::collections::HashMap;
use std::path::Path;

use atelier::learn::losses::{content_loss, style_loss};
use atelier::learn::StyleGenerator;
use atelier::model::package::{ModelPackage, StyleChoice};
use serde::Deserialize;

mod common;
use common::toy_loss_network;

fn fixture<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/learn").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The largest difference, relative to the largest expected value (at least 1).
fn relative_error(got: &[f32], expected: &[f32]) -> f32 {
    assert_eq!(got.len(), expected.len());
    let scale = expected.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    got.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max) / scale
}

#[derive(Deserialize)]
struct GeneratorFixture {
    style: String,
    height: usize,
    width: usize,
    input: Vec<f32>,
    output_grad: Vec<f32>,
    output: Vec<f32>,
    grads: HashMap<String, Vec<f32>>,
}

#[test]
fn generator_style_gradients_match_pytorch() {
    let f: GeneratorFixture = fixture("generator.json");
    let package = ModelPackage::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package")).unwrap();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let style = package.style_params(&StyleChoice::single(&f.style)).unwrap();
    let tape = generator.forward(&f.input, f.height, f.width, &style).unwrap();
    assert_eq!((tape.height, tape.width), (f.height, f.width));
    let out_err = relative_error(&tape.output, &f.output);
    assert!(out_err < 1e-5, "output differs from PyTorch's by {out_err}");
    let grads = generator.backward(&tape, &style, &f.output_grad).unwrap();
    assert_eq!(grads.inputs.len(), f.grads.len());
    for (name, got) in &grads.inputs {
        let expected = &f.grads[name];
        let err = relative_error(got, expected);
        assert!(err < 1e-4, "{name}: off by {err} of its largest value\n got {got:?}\nwant {expected:?}");
        assert!(expected.iter().any(|v| v.abs() > 1e-3), "{name}: the fixture's gradient is all but zero; it would test nothing");
    }
}

#[test]
fn the_generator_refuses_sizes_it_cannot_paint() {
    let package = ModelPackage::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package")).unwrap();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let style = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    assert!(generator.forward(&[0.5; 3 * 10 * 12], 10, 12, &style).is_err());
    assert!(generator.forward(&[0.5; 10], 4, 4, &style).is_err());
    let tape = generator.forward(&[0.5; 3 * 8 * 8], 8, 8, &style).unwrap();
    assert!(generator.backward(&tape, &style, &[0.0; 5]).is_err());
}

#[derive(Deserialize)]
struct LossFixture {
    height: usize,
    width: usize,
    input: Vec<f32>,
    style_weights: HashMap<String, f32>,
    style_targets: HashMap<String, Vec<f32>>,
    content_layer: String,
    content_weight: f32,
    content_target: Vec<f32>,
    style_loss: f32,
    content_loss: f32,
    input_grad: Vec<f32>,
}

#[test]
fn loss_network_input_gradient_matches_pytorch() {
    let f: LossFixture = fixture("loss_network.json");
    let network = toy_loss_network();
    let features = network.forward(&f.input, f.height, f.width, "relu4_1").unwrap();
    let (mut style_total, mut grads) = (0.0f32, HashMap::new());
    for (layer, weight) in &f.style_weights {
        let map = features.get(layer).unwrap();
        let (loss, grad) = style_loss(&map.values, map.channels, &f.style_targets[layer], *weight);
        style_total += loss;
        grads.insert(layer.clone(), grad);
    }
    let map = features.get(&f.content_layer).unwrap();
    let (content, grad) = content_loss(&map.values, &f.content_target, f.content_weight);
    grads.entry(f.content_layer.clone()).and_modify(|g: &mut Vec<f32>| g.iter_mut().zip(&grad).for_each(|(a, b)| *a += b)).or_insert(grad);
    assert!((style_total - f.style_loss).abs() <= 1e-4 * f.style_loss.abs().max(1.0), "style loss {style_total} vs {}", f.style_loss);
    assert!((content - f.content_loss).abs() <= 1e-4 * f.content_loss.abs().max(1.0), "content loss {content} vs {}", f.content_loss);
    let got = network.backward(&features, &grads).unwrap();
    let err = relative_error(&got, &f.input_grad);
    assert!(err < 1e-4, "d loss / d input off by {err} of its largest value");
}

/// The fixture package's generator, the toy loss network, a small drawn painting and a photo
/// the size of one crop (so every step sees the same picture).
struct LearningFixture {
    package: ModelPackage,
    generator: StyleGenerator,
    network: atelier::learn::LossNetwork,
    painting: image::RgbaImage,
    photo: image::RgbaImage,
}

fn learning_fixture() -> LearningFixture {
    let package = ModelPackage::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package")).unwrap();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let network = toy_loss_network();
    let painting = image::RgbaImage::from_fn(72, 64, |x, y| image::Rgba([(x * 5) as u8, (y * 6) as u8, ((x ^ y) * 8) as u8, 255]));
    let photo = image::RgbaImage::from_fn(32, 32, |x, y| image::Rgba([(x * 8) as u8, 128, (y * 8) as u8, 255]));
    LearningFixture { package, generator, network, painting, photo }
}

/// The learner moves gamma and beta downhill: on one fixed crop (the photo is the crop's size,
/// so every step sees the same picture) the losses fall by more than half.
#[test]
fn learning_lowers_the_loss_on_a_fixed_crop() {
    use atelier::learn::{LearnSettings, Learner};
    let LearningFixture { package, generator, network, painting, photo } = learning_fixture();
    let settings = LearnSettings { crop: 32, margin: 8, photo_side: 32, painting_side: 72, learning_rate: 0.02, ..LearnSettings::default() };
    let start = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    let mut learner = Learner::new(&generator, &network, &painting, vec![photo], start.clone(), settings).unwrap();
    let first = learner.step().unwrap();
    let mut last = first;
    for _ in 0..40 {
        last = learner.step().unwrap();
    }
    let (before, after) = (first.style + first.content, last.style + last.content);
    assert!(after < 0.5 * before, "loss {before} -> {after}");
    assert_ne!(learner.params(), &start);
}

/// The content limit (`LearnSettings::content_limit`) is a constraint, not a new loss: where the
/// crops stay under it, learning is exactly what it was without it; where they go over, its
/// weight grows (never past its cap) and the picture comes back towards the photo.
#[test]
fn a_content_limit_binds_only_where_the_picture_leaves_the_photo() {
    use atelier::learn::{LearnSettings, Learner};
    let LearningFixture { package, generator, network, painting, photo } = learning_fixture();
    let start = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    let learn = |limit: Option<f32>| {
        let settings = LearnSettings { crop: 32, margin: 8, photo_side: 32, painting_side: 72, learning_rate: 0.02, content_limit: limit, ..LearnSettings::default() };
        // The toy loss network's Gram matrices are huge beside its features: style brought down
        // to the content's scale, where a capped weight on the content can hold the picture.
        let settings = LearnSettings { style_weight: 1e-9, ..settings };
        let mut learner = Learner::new(&generator, &network, &painting, vec![photo.clone()], start.clone(), settings).unwrap();
        let steps: Vec<_> = (0..30).map(|_| learner.step().unwrap()).collect();
        (steps, learner.params().clone())
    };
    let (free, free_params) = learn(None);
    let (loose, loose_params) = learn(Some(100.0));
    let (held, _) = learn(Some(0.0));
    assert!(free.iter().all(|s| s.subject == 0.0 && s.limit_weight == 0.0), "no limit: nothing measured");
    assert!(loose.iter().all(|s| s.limit_weight == 0.0), "a limit never reached weighs nothing");
    let checked: Vec<usize> = loose.iter().enumerate().filter(|(_, s)| s.subject > 0.0).map(|(i, _)| i).collect();
    assert_eq!(checked, (0..30).step_by(4).collect::<Vec<_>>(), "while it does not bind, checked one step in four");
    assert!(held[1..].iter().all(|s| s.subject > 0.0), "while it binds, checked every step");
    assert_eq!(free_params, loose_params, "a limit never reached changes nothing");
    assert_eq!(held[0].limit_weight, 0.0);
    assert!(held[1].limit_weight > 0.0, "over the limit, the weight grows");
    assert!(held.iter().all(|s| s.limit_weight <= 8.0), "capped");
    let (first, last, free_last) = (loose[0].subject, held.last().unwrap().subject, loose[28].subject);
    assert!(last < 0.8 * free_last, "held {last} against free {free_last}");
    assert!(last < first, "the picture comes back towards the photo: {first} -> {last}");
}
