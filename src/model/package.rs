//! The model package (models/README.md): manifest, integrity checks, int8 weight expansion and
//! the per-style instance-norm parameters.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::format::{data_type, ModelProto, TensorProto};
use super::prepare::{decode_model, lint, GraphError};

pub const SCHEMA: &str = "atelier-models/1";

/// How much reflection surrounds a picture before a network pass (cropped after).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Margin {
    /// About 1/16 of the long side, 8 to 40 px: for packages trained without a margin, whose
    /// networks paint their edges for the zero padding just outside.
    #[default]
    Proportional,
    /// The margin (px) the package's network was trained with (`network.reflect_margin`): its
    /// zero-padded edges, where a network learns to put motifs, then fall outside the picture.
    Trained(u32),
}

/// The working resolution of packages that do not state one (trained before brush sizes: 128 px
/// crops of photos about 256 px on the long side, paintings at 256 px).
pub const DEFAULT_WORKING_SIDE: u32 = 256;

/// The long side (px) a style of the visitor's own paints at with the default brush, whatever the
/// package's: the side its painting's strokes were learned at (`LearnSettings::painting_side`),
/// so that a large picture seen whole shows them at the scale they were learned. Painted at the
/// package's 288 px instead and seen at 256 px, the six unseen paintings' style ratio at 2048 px
/// was 0.124 (median) and 0.213 (worst); at 256 px, with the upsampling's precompensation, 0.111
/// and 0.176 (docs/learning.md). Shipped styles keep the package's side.
pub const OWN_STYLE_WORKING_SIDE: u32 = 256;

#[derive(Debug, Error, PartialEq)]
pub enum PackageError {
    #[error("models/manifest.json is not a valid manifest: {0}")]
    Manifest(String),
    #[error("models/manifest.json has schema '{0}', this Atelier reads '{SCHEMA}'")]
    Schema(String),
    #[error("{file}: {actual} bytes, the manifest says {expected} (incomplete or replaced download)")]
    Size { file: String, expected: u64, actual: u64 },
    #[error("{file}: sha256 {actual} does not match the manifest's {expected} (damaged or replaced file)")]
    Hash { file: String, expected: String, actual: String },
    #[error("{file}: not a valid generator: {source}")]
    Generator { file: String, source: GraphError },
    #[error("{file}: {reason}")]
    Weights { file: String, reason: String },
    /// The manifest describes another network than the generator it names (style inputs, stride).
    #[error("{file} does not fit the manifest: {reason}")]
    GeneratorMismatch { file: String, reason: String },
    #[error("{file}: not a picture ({reason})")]
    Thumbnail { file: String, reason: String },
    #[error("{file}: {reason}")]
    StyleParams { file: String, reason: String },
    #[error("there is no style '{0}' in this package")]
    UnknownStyle(String),
    /// A visitor's own style (a learned row) that does not fit this package's generator.
    #[error("the style '{id}' does not fit this painter: {reason}")]
    OwnStyle { id: String, reason: String },
    #[error("cannot read {file}: {reason}")]
    Io { file: String, reason: String },
    #[error("{file}: not a refiner this Atelier can run: {reason}")]
    Refiner { file: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

impl FileEntry {
    /// Refuse bytes whose size or sha256 disagrees with the manifest.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), PackageError> {
        if bytes.len() as u64 != self.bytes {
            return Err(PackageError::Size { file: self.file.clone(), expected: self.bytes, actual: bytes.len() as u64 });
        }
        let actual = hex(&Sha256::digest(bytes));
        if !actual.eq_ignore_ascii_case(&self.sha256) {
            return Err(PackageError::Hash { file: self.file.clone(), expected: self.sha256.clone(), actual });
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Localized {
    pub en: String,
    pub zh: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleInput {
    pub name: String,
    pub channels: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkEntry {
    pub id: String,
    #[serde(default)]
    pub architecture: serde_json::Value,
    /// The network's total downsampling: padded inputs are multiples of it.
    pub stride: u32,
    pub generator: FileEntry,
    pub style_params: FileEntry,
    pub style_inputs: Vec<StyleInput>,
    pub norm_layers: Vec<String>,
    /// Long side (px) of the whole picture at the scale the styles were trained for: the
    /// working resolution of the default brush. Packages from before brush sizes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_side: Option<u32>,
    /// Reflection (px, at the network's input scale) the network was trained to see around a
    /// picture: the pipeline pads every pass by as much (`Margin`). Packages trained
    /// without one have none and get the older proportional padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect_margin: Option<u32>,
    /// The loss network that learning a visitor's painting runs (`crate::learn`), fetched only
    /// when a painting is first learned; packages from before learning have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_network: Option<FileEntry>,
    /// The shipped styles summed up for the loss network (`crate::learn::signature`), so the
    /// first guess of a learned painting needs no painting; fetched with the loss network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style_signatures: Option<FileEntry>,
    /// The detail stage's network (`crate::detail`), run on outputs brought up from the working
    /// side; packages without one paint as before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refiner: Option<RefinerEntry>,
}

/// The refiner's file and the layers it holds (written by training/refine.py `--export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefinerEntry {
    #[serde(flatten)]
    pub file: FileEntry,
    /// In order; each a 3x3 convolution with padding 1, all but the last followed by the style's
    /// scale and shift and a ReLU.
    pub layers: Vec<RefinerLayer>,
    /// How far (px) an output pixel sees, each side: bands overlap by this much.
    pub halo: u32,
    /// The product of the strides: bands start on multiples of it.
    pub grid: u32,
    /// 1 where the first layer takes a fourth channel of position noise (`detail::position_noise`)
    /// beside RGB, 0 (or absent) where it takes RGB alone.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noise_channels: u32,
    /// Which style each row of the file's table is; styles not listed get no detail stage.
    pub styles: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefinerLayer {
    pub name: String,
    pub c_in: usize,
    pub c_out: usize,
    pub stride: usize,
    /// A nearest x2 upsampling before the convolution.
    pub upsample_before: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleEntry {
    pub id: String,
    pub index: usize,
    pub name: Localized,
    pub description: Localized,
    pub artist: Localized,
    pub title: Localized,
    pub year: String,
    #[serde(default)]
    pub thumbnail: Option<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub network: NetworkEntry,
    pub styles: Vec<StyleEntry>,
}

/// Upper bound on a package's reflection margin: more would only multiply the pixels of a pass.
const MAX_REFLECT_MARGIN: u32 = 256;

/// Upper bound on one style input's channels (the shipped network has at most 64).
const MAX_STYLE_CHANNELS: usize = 4096;

/// Style ids become file names (CLI folder mode) and CSS ids: lowercase ASCII letters, digits, '-'.
fn is_slug(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A relative path that stays inside the package folder: no root, no drive, no '..', no '\\'.
fn is_inside_package(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains(':')
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self, PackageError> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| PackageError::Manifest(e.to_string()))?;
        if manifest.schema != SCHEMA {
            return Err(PackageError::Schema(manifest.schema));
        }
        if manifest.styles.is_empty() {
            return Err(PackageError::Manifest("it lists no styles".into()));
        }
        let bad = |reason: String| Err(PackageError::Manifest(reason));
        // Linear, not quadratic: a manifest with 100k styles must be refused or read at once.
        let (mut ids, mut indices) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        for style in &manifest.styles {
            if !is_slug(&style.id) {
                return bad(format!("style id '{}' must be 1-64 lowercase letters, digits and '-'", style.id.escape_debug()));
            }
            if style.index >= manifest.styles.len() || !indices.insert(style.index) || !ids.insert(style.id.as_str()) {
                return bad(format!("style '{}' has a bad index or a duplicate id or index", style.id));
            }
        }
        let network = &manifest.network;
        let mut files = vec![&network.generator, &network.style_params];
        files.extend(manifest.styles.iter().filter_map(|s| s.thumbnail.as_ref()));
        files.extend(network.loss_network.iter().chain(&network.style_signatures));
        files.extend(network.refiner.as_ref().map(|r| &r.file));
        if let Some(file) = files.iter().find(|f| !is_inside_package(&f.file)) {
            return bad(format!("the path '{}' leaves the package folder", file.file.escape_debug()));
        }
        if !(1..=64).contains(&network.stride) {
            return bad(format!("stride {} is not 1 to 64", network.stride));
        }
        if network.working_side.is_some_and(|side| !(64..=4096).contains(&side)) {
            return bad("working_side must be 64 to 4096 px".into());
        }
        if network.reflect_margin.is_some_and(|margin| margin > MAX_REFLECT_MARGIN) {
            return bad(format!("reflect_margin must be 0 to {MAX_REFLECT_MARGIN} px"));
        }
        if network.style_inputs.iter().any(|i| i.channels == 0 || i.channels > MAX_STYLE_CHANNELS) {
            return bad(format!("a style input has 0 or more than {MAX_STYLE_CHANNELS} channels"));
        }
        Ok(manifest)
    }

    pub fn style(&self, id: &str) -> Result<&StyleEntry, PackageError> {
        self.styles.iter().find(|s| s.id == id).ok_or_else(|| PackageError::UnknownStyle(id.to_string()))
    }

    /// Saturates instead of overflowing: a hostile manifest then fails the size check.
    fn params_per_style(&self) -> usize {
        self.network.style_inputs.iter().fold(0usize, |sum, i| sum.saturating_add(i.channels))
    }
}

/// One style's instance-norm parameters: the generator's style inputs, by name, each `[C]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleParams {
    pub inputs: Vec<(String, Vec<f32>)>,
}

impl StyleParams {
    /// `(1 - t) * self + t * other`: a style between two, as conditional instance norm allows.
    pub fn mix(&self, other: &StyleParams, t: f32) -> StyleParams {
        let t = t.clamp(0.0, 1.0);
        let inputs = self
            .inputs
            .iter()
            .zip(&other.inputs)
            .map(|((name, a), (_, b))| (name.clone(), a.iter().zip(b).map(|(x, y)| (1.0 - t) * x + t * y).collect()))
            .collect();
        StyleParams { inputs }
    }
}

/// Which style to paint with: one, or a mix of two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleChoice {
    pub style: String,
    /// A second style and its weight in 0..1.
    pub mix: Option<(String, f32)>,
}

impl StyleChoice {
    pub fn single(style: &str) -> Self {
        StyleChoice { style: style.to_string(), mix: None }
    }
}

/// A verified package, weights expanded to float32, ready for the engines.
#[derive(Debug, Clone)]
pub struct ModelPackage {
    pub manifest: Manifest,
    /// The generator with float32 weights and symbolic H, W.
    pub generator: ModelProto,
    styles: Vec<StyleParams>,
    /// Styles learned from the visitor's own paintings (issue 33), by id: not in the manifest,
    /// painted and mixed like the shipped ones.
    own_styles: Vec<(String, StyleParams)>,
    /// The detail stage, where the manifest names one and its file was attached.
    /// Shared: a painting holds it while the studio may switch engines.
    refiner: Option<std::sync::Arc<crate::detail::Refiner>>,
}

impl ModelPackage {
    /// Build from the manifest and the bytes of the files it names (checked against it).
    pub fn from_parts(manifest: Manifest, generator_bytes: &[u8], params_bytes: &[u8]) -> Result<Self, PackageError> {
        let network = &manifest.network;
        network.generator.verify(generator_bytes)?;
        network.style_params.verify(params_bytes)?;
        let file = network.generator.file.clone();
        let mut generator =
            decode_model(generator_bytes).map_err(|source| PackageError::Generator { file: file.clone(), source })?;
        expand_int8_weights(&mut generator).map_err(|reason| PackageError::Weights { file: file.clone(), reason })?;
        lint(&generator).map_err(|source| PackageError::Generator { file: file.clone(), source })?;
        check_generator_fits(&manifest, &generator).map_err(|reason| PackageError::GeneratorMismatch { file, reason })?;
        let styles = split_style_params(&manifest, params_bytes)?;
        Ok(ModelPackage { manifest, generator, styles, own_styles: Vec::new(), refiner: None })
    }

    /// Attach the detail stage from the bytes of the file the manifest names (checked against it
    /// and its layers). A package whose manifest names none refuses.
    pub fn attach_refiner(&mut self, bytes: &[u8]) -> Result<(), PackageError> {
        let entry = self.manifest.network.refiner.as_ref().ok_or_else(|| PackageError::Refiner {
            file: "manifest.json".into(),
            reason: "the manifest names no refiner".into(),
        })?;
        self.refiner = Some(std::sync::Arc::new(crate::detail::Refiner::from_bytes(entry, bytes)?));
        Ok(())
    }

    /// The detail stage's row for `choice`, if the package has a refiner: a shipped style's own
    /// row; for a visitor's own style, the shipped styles' rows mixed with the weights of the mix
    /// of their scales and shifts nearest to its own (`detail::nearest_mix`): its first stage
    /// started as such a mix; a mix of two styles mixes their rows.
    pub fn refiner_row(&self, choice: &StyleChoice) -> Option<Vec<f32>> {
        let refiner = self.refiner.as_ref()?;
        let row = |id: &str| -> Option<Vec<f32>> {
            if let Some(row) = refiner.row_of(id) {
                return Some(row.to_vec());
            }
            let (_, own) = self.own_styles.iter().find(|(own, _)| own == id)?;
            let flat = |p: &StyleParams| p.inputs.iter().flat_map(|(_, v)| v.iter().copied()).collect::<Vec<f32>>();
            let shipped: Vec<(&[f32], Vec<f32>)> = refiner
                .styles()
                .filter_map(|s| Some((refiner.row_of(s)?, flat(&self.styles[self.manifest.style(s).ok()?.index]))))
                .collect();
            let basis: Vec<&[f32]> = shipped.iter().map(|(_, params)| params.as_slice()).collect();
            let weights = crate::detail::nearest_mix(&flat(own), &basis);
            let mut mixed = vec![0.0f32; shipped.first()?.0.len()];
            for ((row, _), w) in shipped.iter().zip(weights) {
                mixed.iter_mut().zip(row.iter()).for_each(|(m, r)| *m += w * r);
            }
            Some(mixed)
        };
        crate::detail::mix_rows(row(&choice.style)?, choice, row)
    }

    /// Paint without the detail stage from now on (the CLI's `--no-detail`, comparisons).
    pub fn detach_refiner(&mut self) {
        self.refiner = None;
    }

    pub fn refiner(&self) -> Option<std::sync::Arc<crate::detail::Refiner>> {
        self.refiner.clone()
    }

    /// Read and verify a package directory (native only; the browser fetches the same files).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path) -> Result<Self, PackageError> {
        let read = |rel: &str| {
            std::fs::read(dir.join(rel)).map_err(|e| PackageError::Io { file: rel.to_string(), reason: e.to_string() })
        };
        let manifest = Manifest::parse(&read("manifest.json")?)?;
        let generator = read(&manifest.network.generator.file)?;
        let params = read(&manifest.network.style_params.file)?;
        let refiner = manifest.network.refiner.as_ref().map(|entry| read(&entry.file.file)).transpose()?;
        let mut package = ModelPackage::from_parts(manifest, &generator, &params)?;
        if let Some(bytes) = refiner {
            package.attach_refiner(&bytes)?;
        }
        Ok(package)
    }

    /// Every style's thumbnail (where the manifest names one): size, sha256, and that it decodes
    /// as a picture. Not part of `load_dir`: painting never needs them, `atelier check` does.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn verify_thumbnails(&self, dir: &std::path::Path) -> Result<usize, PackageError> {
        let mut checked = 0;
        for entry in self.manifest.styles.iter().filter_map(|s| s.thumbnail.as_ref()) {
            let bytes = std::fs::read(dir.join(&entry.file))
                .map_err(|e| PackageError::Io { file: entry.file.clone(), reason: e.to_string() })?;
            entry.verify(&bytes)?;
            image::load_from_memory(&bytes)
                .map_err(|e| PackageError::Thumbnail { file: entry.file.clone(), reason: e.to_string() })?;
            checked += 1;
        }
        Ok(checked)
    }

    pub fn stride(&self) -> u32 {
        self.manifest.network.stride
    }

    /// The working resolution (long side, px) the styles were trained for: the default brush's.
    pub fn working_side(&self) -> u32 {
        self.manifest.network.working_side.unwrap_or(DEFAULT_WORKING_SIDE)
    }

    /// The working side for `choice` with the default brush: the package's for shipped styles,
    /// `OWN_STYLE_WORKING_SIDE` for a visitor's own, and between the two, by the mix's weights,
    /// for a mix of one of each.
    pub fn working_side_for(&self, choice: &StyleChoice) -> u32 {
        let side = |id: &str| {
            if self.own_styles.iter().any(|(own, _)| own == id) {
                OWN_STYLE_WORKING_SIDE as f32
            } else {
                self.working_side() as f32
            }
        };
        let first = side(&choice.style);
        match &choice.mix {
            None => first.round() as u32,
            Some((other, t)) => {
                let t = t.clamp(0.0, 1.0);
                ((1.0 - t) * first + t * side(other)).round() as u32
            }
        }
    }

    /// The reflection around every pass that this package's network expects.
    pub fn margin(&self) -> Margin {
        self.manifest.network.reflect_margin.map_or(Margin::Proportional, Margin::Trained)
    }

    pub fn style_params(&self, choice: &StyleChoice) -> Result<StyleParams, PackageError> {
        let first = self.one_style(&choice.style)?;
        match &choice.mix {
            None => Ok(first.clone()),
            Some((other, t)) => Ok(first.mix(self.one_style(other)?, *t)),
        }
    }

    fn one_style(&self, id: &str) -> Result<&StyleParams, PackageError> {
        if let Some((_, params)) = self.own_styles.iter().find(|(own, _)| own == id) {
            return Ok(params);
        }
        Ok(&self.styles[self.manifest.style(id)?.index])
    }

    /// Add (or replace) a style of the visitor's own under `id`, after checking that its row
    /// fits the generator: the same inputs in the same order and sizes, every value finite. An id
    /// of a shipped style is refused, so a shipped style always paints as shipped.
    pub fn add_own_style(&mut self, id: &str, params: StyleParams) -> Result<(), PackageError> {
        let refuse = |reason: String| PackageError::OwnStyle { id: id.to_string(), reason };
        if id.is_empty() || self.manifest.style(id).is_ok() {
            return Err(refuse("its id is empty or a shipped style's".into()));
        }
        let layout = &self.manifest.network.style_inputs;
        if params.inputs.len() != layout.len() {
            return Err(refuse(format!("{} inputs, the network has {}", params.inputs.len(), layout.len())));
        }
        for ((name, values), input) in params.inputs.iter().zip(layout) {
            if *name != input.name || values.len() != input.channels {
                return Err(refuse(format!("input '{name}' with {} values where the network has '{}' with {}", values.len(), input.name, input.channels)));
            }
            if values.iter().any(|v| !v.is_finite()) {
                return Err(refuse(format!("input '{name}' holds NaN or infinite values")));
            }
        }
        self.remove_own_style(id);
        self.own_styles.push((id.to_string(), params));
        Ok(())
    }

    /// Forget a style of the visitor's own; true if there was one.
    pub fn remove_own_style(&mut self, id: &str) -> bool {
        let before = self.own_styles.len();
        self.own_styles.retain(|(own, _)| own != id);
        self.own_styles.len() != before
    }

    /// The ids of the visitor's own styles, in the order they were added.
    pub fn own_style_ids(&self) -> impl Iterator<Item = &str> {
        self.own_styles.iter().map(|(id, _)| id.as_str())
    }
}

/// The manifest must describe the generator it names: the same style inputs (names and sizes) and
/// a stride the network really has. Otherwise every photo would fail at paint time, not at load.
fn check_generator_fits(manifest: &Manifest, generator: &ModelProto) -> Result<(), String> {
    use super::prepare::{specialise_within, GraphVariant, INPUT_NAME};
    let graph = generator.graph.as_ref().ok_or("it has no graph")?;
    let graph_inputs: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).filter(|n| *n != INPUT_NAME).collect();
    let listed: Vec<&str> = manifest.network.style_inputs.iter().map(|i| i.name.as_str()).collect();
    if let Some(missing) = listed.iter().find(|n| !graph_inputs.contains(n)) {
        return Err(format!("the manifest's style input '{missing}' is not an input of the network"));
    }
    if let Some(extra) = graph_inputs.iter().find(|n| !listed.contains(n)) {
        return Err(format!("the network's input '{extra}' is not among the manifest's style inputs"));
    }
    // An odd multiple of the stride: a stated stride smaller than the network's own cannot pass.
    let stride = manifest.network.stride;
    let prepared = specialise_within(generator, 3 * stride, 5 * stride, GraphVariant::Plain, usize::MAX)
        .map_err(|e| format!("stride {stride} is not the network's: {e}"))?;
    for input in &manifest.network.style_inputs {
        let elements: i64 = prepared.shapes.get(&input.name).map(|d| d.iter().product()).unwrap_or(-1);
        if elements != input.channels as i64 {
            return Err(format!("style input '{}' has {elements} values in the network, the manifest says {}", input.name, input.channels));
        }
    }
    Ok(())
}

fn split_style_params(manifest: &Manifest, bytes: &[u8]) -> Result<Vec<StyleParams>, PackageError> {
    let file = manifest.network.style_params.file.clone();
    let per_style = manifest.params_per_style();
    let expected = per_style.checked_mul(manifest.styles.len()).and_then(|n| n.checked_mul(4)).unwrap_or(usize::MAX);
    if bytes.len() != expected {
        return Err(PackageError::StyleParams {
            file,
            reason: format!("{} bytes, but {} styles x {per_style} float32 need {expected}", bytes.len(), manifest.styles.len()),
        });
    }
    let values: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(PackageError::StyleParams { file, reason: "holds NaN or infinite values".into() });
    }
    let mut by_index: Vec<Option<StyleParams>> = vec![None; manifest.styles.len()];
    for style in &manifest.styles {
        let row = &values[style.index * per_style..(style.index + 1) * per_style];
        let mut offset = 0;
        let inputs = manifest
            .network
            .style_inputs
            .iter()
            .map(|input| {
                let values = row[offset..offset + input.channels].to_vec();
                offset += input.channels;
                (input.name.clone(), values)
            })
            .collect();
        by_index[style.index] = Some(StyleParams { inputs });
    }
    Ok(by_index.into_iter().map(|s| s.unwrap_or(StyleParams { inputs: Vec::new() })).collect())
}

/// Replace every INT8 initializer `X` that has a float32 `X_scale` `[O]` (per output channel,
/// symmetric) by its float32 expansion, and drop the scales. wonnx has no DequantizeLinear, so
/// the expansion happens once, here, at load.
pub fn expand_int8_weights(model: &mut ModelProto) -> Result<(), String> {
    let graph = model.graph.as_mut().ok_or("no graph")?;
    let scales: HashMap<String, Vec<f32>> = graph
        .initializer
        .iter()
        .filter(|t| t.name.ends_with("_scale"))
        .filter_map(|t| Some((t.name.clone(), t.float_values()?)))
        .collect();
    let mut expanded = Vec::with_capacity(graph.initializer.len());
    for tensor in graph.initializer.drain(..) {
        if tensor.data_type != data_type::INT8 {
            if !(tensor.name.ends_with("_scale") && scales.contains_key(&tensor.name)) {
                expanded.push(tensor);
            }
            continue;
        }
        let scale_name = format!("{}_scale", tensor.name);
        let scale = scales.get(&scale_name).ok_or_else(|| format!("int8 tensor {} has no {scale_name}", tensor.name))?;
        let count = tensor.element_count();
        let quantized: Vec<i8> = if !tensor.raw_data.is_empty() {
            tensor.raw_data.iter().map(|&b| b as i8).collect()
        } else {
            tensor.int32_data.iter().map(|&v| v as i8).collect()
        };
        let channels = tensor.dims.first().copied().unwrap_or(0).max(0) as usize;
        if quantized.len() != count || channels == 0 || scale.len() != channels || count % channels != 0 {
            return Err(format!(
                "int8 tensor {} has {} values for dims {:?} and {} scales",
                tensor.name,
                quantized.len(),
                tensor.dims,
                scale.len()
            ));
        }
        let per_channel = count / channels;
        let raw_data: Vec<u8> = quantized
            .iter()
            .enumerate()
            .flat_map(|(i, &q)| (q as f32 * scale[i / per_channel]).to_le_bytes())
            .collect();
        expanded.push(TensorProto { dims: tensor.dims, data_type: data_type::FLOAT, name: tensor.name, raw_data, ..Default::default() });
    }
    graph.initializer = expanded;
    Ok(())
}
