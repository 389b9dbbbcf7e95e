//! The first stage of learning a painting without painting candidates (issue 33,
//! `learn::signature`): the signatures a package ships are its own (recomputed here), a
//! painting that *is* a style's painting finds that style first, the file round-trips and a
//! damaged, foreign or hostile one is refused by kind, and learning works with and without one.

use std::path::Path;

use atelier::learn::signature::{style_signature, SignatureError, StyleSignatures, MEAN_ENTRY};
use atelier::learn::{first_stage, learn_painting, quick_guess, LearnSettings, Learner, LossNetwork, StyleGenerator};
use atelier::model::package::{ModelPackage, StyleChoice, StyleParams};

mod common;
use common::toy_loss_network;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_package() -> ModelPackage {
    ModelPackage::load_dir(&root().join("tests/fixtures/package")).unwrap()
}

/// Small sizes for the fixture package: a 32 px crop, and a painting seen at its own size.
fn small_settings() -> LearnSettings {
    LearnSettings { crop: 32, guess_crop: 32, margin: 8, photo_side: 48, painting_side: 32, ..LearnSettings::default() }
}

fn photo() -> image::RgbaImage {
    image::RgbaImage::from_fn(48, 40, |x, y| image::Rgba([(x * 5) as u8, (y * 6) as u8, ((x ^ y) * 7) as u8, 255]))
}

const TOY_SHA: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn toy_signatures(package: &ModelPackage, generator: &StyleGenerator, network: &LossNetwork) -> StyleSignatures {
    StyleSignatures::compute(package, generator, network, TOY_SHA, &photo(), &small_settings()).unwrap()
}

fn shipped_rows(package: &ModelPackage) -> Vec<StyleParams> {
    package.manifest.styles.iter().map(|s| package.style_params(&StyleChoice::single(&s.id)).unwrap()).collect()
}

/// The middle crop of `photo()` painted with `params`, as a picture: the painting a style's
/// signature describes exactly.
fn painted_crop(generator: &StyleGenerator, params: &StyleParams, settings: &LearnSettings) -> image::RgbaImage {
    let photo = image::imageops::resize(&photo(), 48, 40, image::imageops::FilterType::Triangle);
    let c = settings.guess_crop;
    let piece = image::imageops::crop_imm(&photo, (48 - c) / 2, (40 - c) / 2, c, c).to_image();
    let padded = atelier::pipeline::reflect_pad(&piece, settings.margin, 0, 0);
    let side = (c + 2 * settings.margin) as usize;
    let tape = generator.forward(&atelier::imaging::to_tensor(&padded).data, side, side, params).unwrap();
    let m = settings.margin as usize;
    image::RgbaImage::from_fn(c, c, |x, y| {
        let at = |ch: usize| (tape.output[(ch * side + m + y as usize) * side + m + x as usize].clamp(0.0, 1.0) * 255.0).round() as u8;
        image::Rgba([at(0), at(1), at(2), 255])
    })
}

#[test]
fn a_painting_that_is_a_styles_own_picture_finds_that_style_first() {
    let package = fixture_package();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let network = toy_loss_network();
    let signatures = toy_signatures(&package, &generator, &network);
    let ids: Vec<&str> = signatures.entries.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["fixture-a", "fixture-b", MEAN_ENTRY]);
    let shipped = shipped_rows(&package);
    let settings = small_settings();
    for (k, style) in shipped.iter().enumerate() {
        let painting = painted_crop(&generator, style, &settings);
        // Painted at 64 px so the learner takes it (at least 64 px a side), seen at 32 again.
        let painting = image::imageops::resize(&painting, 64, 64, image::imageops::FilterType::Nearest);
        let learner = Learner::new(&generator, &network, &painting, vec![photo()], style.clone(), settings.clone()).unwrap();
        let ranked = quick_guess(&learner, &signatures, &shipped).expect("the signatures fit the package");
        assert_eq!(ranked.len(), 3);
        assert_eq!(&ranked[0], style, "the painting of style {k} should rank it first");
    }
}

#[test]
fn signatures_round_trip_and_are_refused_by_kind() {
    let package = fixture_package();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let network = toy_loss_network();
    let signatures = toy_signatures(&package, &generator, &network);
    let bytes = signatures.to_bytes();
    assert_eq!(StyleSignatures::parse(&bytes, &package, TOY_SHA), Ok(signatures.clone()));

    // Another loss network, another package's generator, styles missing or out of order.
    assert_eq!(StyleSignatures::parse(&bytes, &package, &"2".repeat(64)), Err(SignatureError::OtherPackage));
    let mut other = signatures.clone();
    other.generator_sha256 = "f".repeat(64);
    assert_eq!(StyleSignatures::parse(&other.to_bytes(), &package, TOY_SHA), Err(SignatureError::OtherPackage));
    let mut reordered = signatures.clone();
    reordered.entries.swap(0, 1);
    assert_eq!(StyleSignatures::parse(&reordered.to_bytes(), &package, TOY_SHA), Err(SignatureError::OtherPackage));
    let mut missing = signatures.clone();
    missing.entries.pop();
    assert_eq!(StyleSignatures::parse(&missing.to_bytes(), &package, TOY_SHA), Err(SignatureError::OtherPackage));

    // Not a signatures file at all; damaged values; absurd channel counts; too large.
    assert!(matches!(StyleSignatures::parse(b"\x89PNG\r\n", &package, TOY_SHA), Err(SignatureError::NotSignatures(_))));
    let text = String::from_utf8(bytes.clone()).unwrap();
    let wrong_format = text.replace("atelier-style-signatures/1", "atelier-style/1");
    assert!(matches!(StyleSignatures::parse(wrong_format.as_bytes(), &package, TOY_SHA), Err(SignatureError::NotSignatures(_))));
    let mut nan = signatures.clone();
    nan.entries[1].1[2].std[0] = f32::NAN;
    assert!(matches!(StyleSignatures::parse(&nan.to_bytes(), &package, TOY_SHA), Err(SignatureError::Damaged(_))));
    let mut negative = signatures.clone();
    negative.entries[0].1[0].mean[1] = -3.0;
    assert!(matches!(StyleSignatures::parse(&negative.to_bytes(), &package, TOY_SHA), Err(SignatureError::Damaged(_))));
    let mut short = signatures.clone();
    short.entries[2].1[3].mean.pop();
    assert!(matches!(StyleSignatures::parse(&short.to_bytes(), &package, TOY_SHA), Err(SignatureError::Damaged(_))));
    let mut huge = signatures.clone();
    huge.channels[0] = 1 << 40;
    assert!(matches!(StyleSignatures::parse(&huge.to_bytes(), &package, TOY_SHA), Err(SignatureError::Damaged(_))));
    let cut = &bytes[..bytes.len() / 2];
    assert!(matches!(StyleSignatures::parse(cut, &package, TOY_SHA), Err(SignatureError::NotSignatures(_))));
    let big = vec![b' '; atelier::learn::signature::MAX_FILE_BYTES + 1];
    assert!(matches!(StyleSignatures::parse(&big, &package, TOY_SHA), Err(SignatureError::Damaged(_))));
}

#[test]
fn learning_starts_from_the_signatures_choice_and_works_without_them() {
    let package = fixture_package();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let network = toy_loss_network();
    let signatures = toy_signatures(&package, &generator, &network);
    let shipped = shipped_rows(&package);
    let settings = small_settings();
    let painting = image::imageops::resize(&painted_crop(&generator, &shipped[1], &settings), 64, 64, image::imageops::FilterType::Nearest);
    let learner = Learner::new(&generator, &network, &painting, vec![photo()], shipped[0].clone(), settings.clone()).unwrap();
    assert_eq!(first_stage(&learner, &shipped, Some(&signatures)).unwrap().guess, shipped[1]);

    // Signatures made for other style layers are not used: the first stage paints instead.
    let fewer_layers = LearnSettings { style_layers: settings.style_layers[..2].to_vec(), ..settings.clone() };
    let learner_fewer = Learner::new(&generator, &network, &painting, vec![photo()], shipped[0].clone(), fewer_layers).unwrap();
    assert!(quick_guess(&learner_fewer, &signatures, &shipped).is_none());
    first_stage(&learner_fewer, &shipped, Some(&signatures)).unwrap();

    for signatures in [Some(&signatures), None] {
        let mut go_on = |steps: usize| steps < 3;
        let mut heard = 0;
        let learned = learn_painting(&generator, &network, &painting, vec![photo()], &shipped, signatures, settings.clone(), &mut go_on, &mut |_, _| heard += 1).unwrap();
        assert_eq!((learned.steps, heard), (3, 3));
        assert!(learned.params.inputs.iter().all(|(_, v)| v.iter().all(|x| x.is_finite())));
        assert_ne!(learned.params, learned.first_guess, "three steps of Adam move the row");
    }
}

/// The shipped signatures are the shipped package's: named in its manifest, intact, and one
/// style's recomputed here matches the file (a package exported without running
/// `examples/make_signatures.rs` again fails here).
#[test]
fn the_shipped_signatures_are_the_shipped_packages() {
    let models = root().join("models");
    let package = ModelPackage::load_dir(&models).unwrap();
    let network_entry = package.manifest.network.loss_network.clone().expect("the shipped package has a loss network");
    let entry = package.manifest.network.style_signatures.clone().expect("the shipped package names its style signatures");
    let bytes = std::fs::read(models.join(&entry.file)).unwrap();
    entry.verify(&bytes).unwrap();
    let signatures = StyleSignatures::parse(&bytes, &package, &network_entry.sha256).unwrap();
    assert_eq!(signatures.entries.len(), package.manifest.styles.len() + 1);

    let loss_bytes = std::fs::read(models.join(&network_entry.file)).unwrap();
    let settings = LearnSettings::default();
    let network = LossNetwork::from_safetensors(&loss_bytes, settings.deepest()).unwrap();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let photo = image::open(root().join("static/samples/picos-de-europa.jpg")).unwrap().to_rgba8();
    let id = "starry-night";
    let k = signatures.entries.iter().position(|(e, _)| e == id).unwrap();
    let params = package.style_params(&StyleChoice::single(id)).unwrap();
    let fresh = style_signature(&generator, &network, &photo, &params, &settings).unwrap();
    for (layer, (got, kept)) in fresh.iter().zip(&signatures.entries[k].1).enumerate() {
        for (a, b) in got.mean.iter().chain(&got.std).zip(kept.mean.iter().chain(&kept.std)) {
            assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "layer {layer}: recomputed {a}, file {b}");
        }
    }
}
