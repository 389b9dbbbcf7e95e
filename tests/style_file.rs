//! A learned style's file: it goes back and forth unchanged, and every kind of bad file is
//! refused with its own message (another package's, damaged, oversized, hostile).

use std::path::Path;

use atelier::model::style_file::{base64, clean_name, name_or, MAX_FILE_BYTES};
use atelier::model::{ModelPackage, StyleChoice, StyleFile, StyleFileError};

fn package() -> ModelPackage {
    ModelPackage::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package")).unwrap()
}

fn png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(side, side, image::Rgba([200, 40, 40, 255])))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn learned(package: &ModelPackage) -> StyleFile {
    let mut params = package.style_params(&StyleChoice::single("fixture-a")).unwrap();
    params.inputs[0].1[0] = 1.2345;
    StyleFile { name: "My harbour".into(), generator_sha256: package.manifest.network.generator.sha256.clone(), params, thumbnail: png(48) }
}

/// The file as JSON, changed by `edit`, back to bytes.
fn edited(file: &StyleFile, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(&file.to_bytes()).unwrap();
    edit(&mut json);
    serde_json::to_vec(&json).unwrap()
}

#[test]
fn a_style_file_round_trips_and_is_small() {
    let package = package();
    let file = learned(&package);
    let bytes = file.to_bytes();
    assert!(bytes.len() < 4096, "{} bytes for a toy network's row", bytes.len());
    assert_eq!(StyleFile::parse(&bytes, &package).unwrap(), file);
}

#[test]
fn another_packages_style_asks_to_learn_again() {
    let package = package();
    let bytes = edited(&learned(&package), |j| j["generator_sha256"] = "0".repeat(64).into());
    let error = StyleFile::parse(&bytes, &package).unwrap_err();
    let name = learned(&package).name;
    assert_eq!(error, StyleFileError::OtherPackage { names: vec![name.clone()] });
    assert_eq!(error.to_string(), format!("\u{201c}{name}\u{201d} was learned for another version of Atelier's painter: learn the painting again"));
    let nameless = edited(&learned(&package), |j| {
        j["generator_sha256"] = "0".repeat(64).into();
        j["name"] = "\u{202e}".into();
    });
    let error = StyleFile::parse(&nameless, &package).unwrap_err();
    assert_eq!(error, StyleFileError::OtherPackage { names: vec![] });
    assert!(error.to_string().starts_with("this style was learned"));
}

#[test]
fn damaged_oversized_and_foreign_files_are_refused_by_kind() {
    let package = package();
    let file = learned(&package);
    let bytes = file.to_bytes();
    let parse = |b: &[u8]| StyleFile::parse(b, &package).unwrap_err();
    assert!(matches!(parse(&bytes[..bytes.len() / 2]), StyleFileError::NotAStyle(_)));
    assert!(matches!(parse(b"\x89PNG\r\n\x1a\n"), StyleFileError::NotAStyle(_)));
    assert!(matches!(parse(&vec![b' '; MAX_FILE_BYTES + 1]), StyleFileError::TooLarge(_)));
    assert!(matches!(parse(&edited(&file, |j| j["format"] = "atelier-style/9".into())), StyleFileError::NotAStyle(_)));
    // Values: too few, not base64, NaN, absurd.
    let row_of = |values: &[f32]| base64::encode(&values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
    let n: usize = package.manifest.network.style_inputs.iter().map(|i| i.channels).sum();
    for (params, why) in [
        (row_of(&vec![1.0; n - 1]), "bytes of values"),
        ("not base64!".to_string(), "not base64"),
        (row_of(&[vec![1.0; n - 1], vec![f32::NAN]].concat()), "NaN"),
        (row_of(&[vec![1.0; n - 1], vec![1e9]].concat()), "1000000000"),
    ] {
        match parse(&edited(&file, |j| j["params"] = params.into())) {
            StyleFileError::Damaged(detail) => assert!(detail.contains(why), "{detail} (wanted {why})"),
            other => panic!("{other:?}"),
        }
    }
    // A thumbnail that is not a picture, or too big a one.
    for thumbnail in [base64::encode(b"GIF89a not really"), base64::encode(&png(600))] {
        assert!(matches!(parse(&edited(&file, |j| j["thumbnail"] = thumbnail.into())), StyleFileError::Damaged(_)));
    }
    assert!(matches!(parse(&edited(&file, |j| j["name"] = " \u{7} ".into())), StyleFileError::Damaged(_)));
}

#[test]
fn hostile_names_are_made_harmless() {
    let package = package();
    let bytes = edited(&learned(&package), |j| j["name"] = format!("../../etc/passwd\u{0}\u{202e}{}", "x".repeat(500)).into());
    let name = StyleFile::parse(&bytes, &package).unwrap().name;
    assert!(!name.contains('/') && !name.contains('\u{202e}') && !name.chars().any(char::is_control) && name.chars().count() <= 80, "{name:?}");
    assert_eq!(clean_name("  Sunset\tover\n the  bay "), "Sunset over the bay");
    // A style needs a name: nothing left of one takes the fallback, then a name of its own.
    assert_eq!(name_or("\u{202e}\u{7}", "harbour"), "harbour");
    assert_eq!(name_or("", " "), "My painting");
    assert_eq!(name_or(" Mill ", "harbour"), "Mill");
}

/// A style's id comes from its row: the same style always gets the same id (history and links
/// find it again), other styles another, whatever the names say.
#[test]
fn a_style_id_follows_the_row_not_the_name() {
    let package = package();
    let file = learned(&package);
    let id = file.style_id();
    assert!(id.starts_with("own-") && id.len() == 16, "{id}");
    let renamed = StyleFile { name: "Another name".into(), ..file.clone() };
    assert_eq!(renamed.style_id(), id);
    let mut other = file.clone();
    other.params.inputs[0].1[0] += 0.001;
    assert_ne!(other.style_id(), id);
    assert!(package.manifest.styles.iter().all(|s| !s.id.starts_with("own-")));
}

/// A link carries the whole style in its fragment and gives back the same file; a fragment that
/// carries none, or junk, or far too much, gives nothing to parse.
#[test]
fn a_link_fragment_carries_the_style_file() {
    let package = package();
    let file = learned(&package);
    let fragment = file.link_fragment();
    assert!(fragment.starts_with("style=") && fragment.is_ascii() && !fragment[6..].contains(['+', '/', '=']));
    let bytes = StyleFile::bytes_from_link_fragment(&format!("#{fragment}")).unwrap();
    assert_eq!(StyleFile::parse(&bytes, &package).unwrap(), file);
    assert_eq!(StyleFile::bytes_from_link_fragment(&fragment), Some(bytes));
    assert_eq!(StyleFile::bytes_from_link_fragment("#top"), None);
    assert_eq!(StyleFile::bytes_from_link_fragment("#style=not*base64"), None);
    let huge = format!("#style={}", "A".repeat(MAX_FILE_BYTES * 2));
    assert_eq!(StyleFile::bytes_from_link_fragment(&huge), None);
    // Junk that decodes is still refused by `parse`.
    let junk = StyleFile::bytes_from_link_fragment("#style=AAAA").unwrap();
    assert!(StyleFile::parse(&junk, &package).is_err());
}

#[test]
fn the_thumbnail_is_a_small_jpeg_of_the_painting() {
    let painting = image::RgbaImage::from_fn(300, 200, |x, _| image::Rgba([(x % 256) as u8, 90, 30, 255]));
    let thumb = StyleFile::thumbnail_of(&painting);
    assert_eq!(image::guess_format(&thumb).unwrap(), image::ImageFormat::Jpeg);
    let decoded = image::load_from_memory(&thumb).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (128, 85));
    let package = package();
    let file = StyleFile { thumbnail: thumb, ..learned(&package) };
    assert!(StyleFile::parse(&file.to_bytes(), &package).is_ok());
}
