//! The model package: integrity, int8 expansion, styles and mixing, and every bad file.

mod common;

use atelier::model::format::data_type;
use atelier::model::package::{expand_int8_weights, Manifest, PackageError, OWN_STYLE_WORKING_SIDE};
use atelier::model::{decode_model, ModelPackage, StyleChoice};
use common::{fixture_path, package};

fn files() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let read = |f: &str| std::fs::read(fixture_path(&format!("package/{f}"))).unwrap();
    (read("manifest.json"), read("generator.onnx"), read("styles.f32"))
}

#[test]
fn the_fixture_package_loads_with_its_styles() {
    let package = package();
    let ids: Vec<&str> = package.manifest.styles.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["fixture-a", "fixture-b"]);
    assert_eq!(package.manifest.styles[1].name.zh, "测试样式 B");
    assert_eq!(package.stride(), 4);
    let a = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    assert_eq!(a.inputs.len(), package.manifest.network.style_inputs.len());
    assert_eq!(a.inputs[0].0, "c1.gamma");
    assert_eq!(a.inputs[0].1.len(), 8);
}

/// A package states the reflection its network was trained with; one that states none gets the
/// older proportional padding.
#[test]
fn a_package_names_the_margin_its_network_was_trained_with() {
    use atelier::model::Margin;
    assert_eq!(package().margin(), Margin::Proportional);
    let (manifest, generator, params) = files();
    let text = String::from_utf8(manifest).unwrap().replace("\"stride\": 4", "\"stride\": 4, \"reflect_margin\": 32");
    let with_margin = ModelPackage::from_parts(Manifest::parse(text.as_bytes()).unwrap(), &generator, &params).unwrap();
    assert_eq!(with_margin.margin(), Margin::Trained(32));
}

#[test]
fn a_mix_is_the_weighted_average_of_two_styles() {
    let package = package();
    let a = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    let b = package.style_params(&StyleChoice::single("fixture-b")).unwrap();
    let mix = package.style_params(&StyleChoice { style: "fixture-a".into(), mix: Some(("fixture-b".into(), 0.25)) }).unwrap();
    for ((_, m), ((_, x), (_, y))) in mix.inputs.iter().zip(a.inputs.iter().zip(&b.inputs)) {
        for ((m, x), y) in m.iter().zip(x).zip(y) {
            assert!((m - (0.75 * x + 0.25 * y)).abs() < 1e-6);
        }
    }
    assert_eq!(package.style_params(&StyleChoice::single("nope")), Err(PackageError::UnknownStyle("nope".into())));
}

#[test]
fn int8_weights_expand_within_half_a_step_of_the_float_weights() {
    let float = decode_model(&std::fs::read(fixture_path("fixture.f32.onnx")).unwrap()).unwrap();
    let mut quantized = decode_model(&files().1).unwrap();
    let scales: Vec<(String, Vec<f32>)> = quantized.graph.as_ref().unwrap().initializer.iter()
        .filter(|t| t.name.ends_with("_scale")).map(|t| (t.name.clone(), t.float_values().unwrap())).collect();
    assert_eq!(scales.len(), 8, "one scale per conv: c1-c3, r0a, r0b, u1, u2, out");
    expand_int8_weights(&mut quantized).unwrap();
    let graph = quantized.graph.as_ref().unwrap();
    assert!(graph.initializer.iter().all(|t| t.data_type != data_type::INT8 && !t.name.ends_with("_scale")));
    for (scale_name, scale) in scales {
        let name = scale_name.trim_end_matches("_scale");
        let got = graph.initializer.iter().find(|t| t.name == name).unwrap().float_values().unwrap();
        let want = float.graph.as_ref().unwrap().initializer.iter().find(|t| t.name == name).unwrap().float_values().unwrap();
        let per_channel = got.len() / scale.len();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= scale[i / per_channel] * 0.5 + 1e-7, "{name}[{i}]: {g} vs {w}");
        }
    }
}

#[test]
fn a_file_that_disagrees_with_the_manifest_is_refused_by_name() {
    let (manifest, generator, params) = files();
    let manifest = Manifest::parse(&manifest).unwrap();

    let mut flipped = generator.clone();
    flipped[100] ^= 0x01;
    match ModelPackage::from_parts(manifest.clone(), &flipped, &params) {
        Err(PackageError::Hash { file, .. }) => assert_eq!(file, "generator.onnx"),
        other => panic!("expected a hash error, got {other:?}"),
    }
    match ModelPackage::from_parts(manifest.clone(), &generator, &params[..params.len() - 4]) {
        Err(PackageError::Size { file, expected, actual }) => {
            assert_eq!((file.as_str(), expected, actual), ("styles.f32", params.len() as u64, params.len() as u64 - 4))
        }
        other => panic!("expected a size error, got {other:?}"),
    }
    let err = ModelPackage::from_parts(manifest, &generator, &params[..4]).unwrap_err();
    assert!(err.to_string().starts_with("styles.f32: 4 bytes, the manifest says"), "{err}");
}

#[test]
fn a_file_that_matches_its_hash_but_is_no_model_is_refused() {
    let (manifest, _, params) = files();
    let mut manifest = Manifest::parse(&manifest).unwrap();
    let junk = b"GIF89a definitely not an onnx graph".to_vec();
    manifest.network.generator.bytes = junk.len() as u64;
    manifest.network.generator.sha256 = "5e0d8f3b8bd5ab0e7e8f2a5c8f1d0b4c9b9b0c1a8e7f6d5c4b3a2918070605ff".into();
    assert!(matches!(ModelPackage::from_parts(manifest.clone(), &junk, &params), Err(PackageError::Hash { .. })));
    use sha2::Digest;
    manifest.network.generator.sha256 = sha2::Sha256::digest(&junk).iter().map(|b| format!("{b:02x}")).collect();
    match ModelPackage::from_parts(manifest, &junk, &params) {
        Err(PackageError::Generator { file, .. }) => assert_eq!(file, "generator.onnx"),
        other => panic!("expected a generator error, got {other:?}"),
    }
}

#[test]
fn broken_manifests_are_refused() {
    assert!(matches!(Manifest::parse(b"{ not json"), Err(PackageError::Manifest(_))));
    let (manifest, _, _) = files();
    let text = String::from_utf8(manifest).unwrap();
    let other_schema = text.replace("atelier-models/1", "atelier-models/99");
    assert_eq!(Manifest::parse(other_schema.as_bytes()), Err(PackageError::Schema("atelier-models/99".into())));
    let duplicate = text.replace("\"fixture-b\"", "\"fixture-a\"");
    assert!(matches!(Manifest::parse(duplicate.as_bytes()), Err(PackageError::Manifest(m)) if m.contains("duplicate")));
    assert!(matches!(
        ModelPackage::load_dir(std::path::Path::new("/nonexistent")),
        Err(PackageError::Io { file, .. }) if file == "manifest.json"
    ));
}

#[test]
fn hostile_manifests_are_refused_quickly_and_by_reason() {
    let (manifest, _, _) = files();
    let text = String::from_utf8(manifest).unwrap();
    let refused = |edited: String, why: &str| match Manifest::parse(edited.as_bytes()) {
        Err(PackageError::Manifest(m)) => assert!(m.contains(why), "{m}"),
        other => panic!("expected a refusal for '{why}', got {other:?}"),
    };
    refused(text.replace("\"generator.onnx\"", "\"../generator.onnx\""), "leaves the package folder");
    refused(text.replace("\"generator.onnx\"", "\"/etc/passwd\""), "leaves the package folder");
    refused(text.replace("\"styles.f32\"", "\"C:\\\\styles.f32\""), "leaves the package folder");
    refused(text.replace("\"fixture-b\"", "\"x/../../../pwned\""), "lowercase letters, digits");
    refused(text.replace("\"index\": 1", "\"index\": 0"), "duplicate id or index");
    refused(text.replace("\"stride\": 4", "\"stride\": 0"), "stride 0");
    refused(text.replace("\"stride\": 4", "\"stride\": 4, \"reflect_margin\": 257"), "reflect_margin must be 0 to 256");
    refused(text.replace("\"stride\": 4", "\"stride\": 4, \"reflect_margin\": -1"), "expected u32");
    refused(text.replacen("\"channels\": 8", "\"channels\": 4611686018427387920", 1), "channels");

    // 100,000 styles: refused or read at once, not after minutes of pairwise comparisons.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let template = value["styles"][0].clone();
    value["styles"] = (0..100_000)
        .map(|i| {
            let mut s = template.clone();
            s["id"] = format!("s{i}").into();
            s["index"] = i.into();
            s
        })
        .collect();
    let started = std::time::Instant::now();
    let parsed = Manifest::parse(serde_json::to_string(&value).unwrap().as_bytes());
    assert!(parsed.is_ok(), "{parsed:?}");
    assert!(started.elapsed().as_secs_f64() < 10.0, "took {:?}", started.elapsed());
}

#[test]
fn a_manifest_that_does_not_describe_its_generator_is_refused_at_load() {
    let (manifest, generator, params) = files();
    let text = String::from_utf8(manifest).unwrap();
    let mismatch = |edited: String, why: &str| {
        let manifest = Manifest::parse(edited.as_bytes()).expect("the manifest itself is well formed");
        match ModelPackage::from_parts(manifest, &generator, &params) {
            Err(PackageError::GeneratorMismatch { reason, .. }) => assert!(reason.contains(why), "{reason}"),
            other => panic!("expected a mismatch ({why}), got {:?}", other.map(|p| p.manifest.network.id)),
        }
    };
    // The fixture network downsamples by 4: a stated stride of 2 would make every photo fail.
    mismatch(text.replace("\"stride\": 4", "\"stride\": 2"), "stride 2");
    mismatch(text.replacen("\"c1.gamma\"", "\"c9.gamma\"", 1), "'c9.gamma' is not an input");
}

#[test]
fn check_verifies_thumbnails() {
    let dir = std::env::temp_dir().join(format!("atelier-thumbs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = fixture_path("package");
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, dir.join(rel)).unwrap();
    }
    let package = ModelPackage::load_dir(&dir).unwrap();
    assert_eq!(package.verify_thumbnails(&dir), Ok(2));
    let thumb = package.manifest.styles[0].thumbnail.as_ref().unwrap().file.clone();
    let mut bytes = std::fs::read(dir.join(&thumb)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(dir.join(&thumb), &bytes).unwrap();
    assert!(matches!(package.verify_thumbnails(&dir), Err(PackageError::Hash { file, .. }) if file == thumb));
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_atelier")).arg("--models").arg(&dir).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(3), "{}", String::from_utf8_lossy(&check.stderr));
    std::fs::remove_file(dir.join(&thumb)).unwrap();
    assert!(matches!(package.verify_thumbnails(&dir), Err(PackageError::Io { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

/// A visitor's own style is painted and mixed like a shipped one, once it has been checked
/// against the generator: rows of another shape, NaN, or a shipped style's id are refused and
/// change nothing.
#[test]
fn own_styles_are_checked_then_painted_and_mixed_like_shipped_ones() {
    let mut package = package();
    let b = package.style_params(&StyleChoice::single("fixture-b")).unwrap();
    let a = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    package.add_own_style("own-mine", b.clone()).unwrap();
    assert_eq!(package.style_params(&StyleChoice::single("own-mine")).unwrap(), b);
    let mixed = package.style_params(&StyleChoice { style: "own-mine".into(), mix: Some(("fixture-a".into(), 0.25)) }).unwrap();
    assert_eq!(mixed, b.mix(&a, 0.25));
    let mixed_the_other_way = package.style_params(&StyleChoice { style: "fixture-a".into(), mix: Some(("own-mine".into(), 0.75)) }).unwrap();
    assert_eq!(mixed_the_other_way, a.mix(&b, 0.75));

    let mut short = b.clone();
    short.inputs[1].1.pop();
    let mut nan = b.clone();
    nan.inputs[0].1[3] = f32::NAN;
    let mut renamed = b.clone();
    renamed.inputs[0].0 = "c9.gamma".into();
    let mut missing = b.clone();
    missing.inputs.pop();
    for (id, params) in [("own-short", short), ("own-nan", nan), ("own-renamed", renamed), ("own-missing", missing), ("fixture-a", b.clone()), ("", b.clone())] {
        let refused = package.add_own_style(id, params);
        assert!(matches!(refused, Err(PackageError::OwnStyle { .. })), "{id}: {refused:?}");
    }
    assert_eq!(package.own_style_ids().collect::<Vec<_>>(), ["own-mine"]);
    assert_eq!(package.style_params(&StyleChoice::single("fixture-a")).unwrap(), a, "a shipped style stays as shipped");

    // Added again under the same id: replaced, not doubled.
    package.add_own_style("own-mine", a.clone()).unwrap();
    assert_eq!(package.style_params(&StyleChoice::single("own-mine")).unwrap(), a);
    assert!(package.remove_own_style("own-mine"));
    assert!(!package.remove_own_style("own-mine"));
    assert!(matches!(package.style_params(&StyleChoice::single("own-mine")), Err(PackageError::UnknownStyle(_))));
}

/// A visitor's own style paints at the side its painting was learned at, shipped styles at the
/// package's, and a mix of one of each in between by its weights.
#[test]
fn own_styles_paint_at_the_side_they_were_learned_at() {
    let mut package = package();
    // The fixture states no working side (so 256, the own styles' too): give it the shipped one.
    package.manifest.network.working_side = Some(288);
    let shipped_side = package.working_side();
    assert_ne!(shipped_side, OWN_STYLE_WORKING_SIDE);
    let b = package.style_params(&StyleChoice::single("fixture-b")).unwrap();
    package.add_own_style("own-mine", b).unwrap();
    assert_eq!(package.working_side_for(&StyleChoice::single("fixture-a")), shipped_side);
    assert_eq!(package.working_side_for(&StyleChoice::single("own-mine")), OWN_STYLE_WORKING_SIDE);
    let mix = |first: &str, second: &str, t: f32| StyleChoice { style: first.into(), mix: Some((second.into(), t)) };
    let between = |t: f32| ((1.0 - t) * shipped_side as f32 + t * OWN_STYLE_WORKING_SIDE as f32).round() as u32;
    assert_eq!(package.working_side_for(&mix("fixture-a", "own-mine", 0.25)), between(0.25));
    assert_eq!(package.working_side_for(&mix("own-mine", "fixture-a", 0.75)), between(0.25));
    assert_eq!(package.working_side_for(&mix("fixture-a", "fixture-b", 0.5)), shipped_side);
    // Removed, the id is no longer the visitor's: it is painted (or refused) as any other.
    assert!(package.remove_own_style("own-mine"));
    assert_eq!(package.working_side_for(&StyleChoice::single("own-mine")), shipped_side);
}
