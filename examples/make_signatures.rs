//! Writes a package's style signatures (`crate::learn::signature`): each shipped style and their
//! mean painting the middle of the picos-de-europa sample, summed up by the package's own loss
//! network, into `style-signatures.json` beside the package, and names the file in its manifest
//! (`network.style_signatures`). Run again whenever the package or the loss network changes:
//! `tests/learn_signatures.rs` fails on a package whose signatures no longer fit it.
//!
//! cargo run --release --example make_signatures -- [MODELS_DIR]

use std::path::{Path, PathBuf};

use atelier::learn::{LearnSettings, LossNetwork, StyleGenerator, StyleSignatures};
use atelier::model::package::{FileEntry, ModelPackage};
use sha2::{Digest, Sha256};

const FILE: &str = "style-signatures.json";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| root.join("models"));
    let package = ModelPackage::load_dir(&models)?;
    let entry = package.manifest.network.loss_network.as_ref().ok_or("the package has no loss network")?;
    let loss_bytes = std::fs::read(models.join(&entry.file))?;
    entry.verify(&loss_bytes)?;
    let settings = LearnSettings::default();
    let loss_network = LossNetwork::from_safetensors(&loss_bytes, settings.deepest())?;
    let generator = StyleGenerator::from_package(&package)?;
    let photo = image::open(root.join("static/samples/picos-de-europa.jpg"))?.to_rgba8();
    let started = std::time::Instant::now();
    let signatures = StyleSignatures::compute(&package, &generator, &loss_network, &entry.sha256, &photo, &settings)?;
    let bytes = signatures.to_bytes();
    std::fs::write(models.join(FILE), &bytes)?;
    let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let file_entry = FileEntry { file: FILE.into(), bytes: bytes.len() as u64, sha256 };

    // The manifest keeps its layout (written by training/export_package.py): only the entry
    // changes, inserted after the loss network's or replaced.
    let manifest_path = models.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)?;
    let block = format!(
        "\"style_signatures\": {{\n      \"file\": \"{}\",\n      \"bytes\": {},\n      \"sha256\": \"{}\"\n    }}",
        file_entry.file, file_entry.bytes, file_entry.sha256
    );
    let text = match text.find("\"style_signatures\": {") {
        Some(start) => {
            let end = start + text[start..].find('}').ok_or("a broken manifest")? + 1;
            format!("{}{}{}", &text[..start], block, &text[end..])
        }
        None => {
            let start = text.find("\"loss_network\": {").ok_or("the manifest names no loss network")?;
            let end = start + text[start..].find('}').ok_or("a broken manifest")? + 1;
            format!("{},\n    {}{}", &text[..end], block, &text[end..])
        }
    };
    atelier::model::Manifest::parse(text.as_bytes())?;
    std::fs::write(&manifest_path, text)?;
    println!("{} styles and their mean in {:.1} s: {} ({} bytes)", signatures.entries.len() - 1, started.elapsed().as_secs_f64(), models.join(FILE).display(), bytes.len());
    Ok(())
}
