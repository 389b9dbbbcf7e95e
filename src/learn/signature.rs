//! The first stage without painting any candidate (issue 33): each shipped style (and their
//! mean) is summed up once per package by its *signature*, the per-channel mean and standard
//! deviation of the loss network's features of that style's painting of a fixed crop, at every
//! style layer. A painting is compared with a signature through the Gram matrix those
//! statistics imply, `(mu mu^T + diag(sigma^2)) / c`, under the learner's own layer weights.
//!
//! Why statistics and not the Gram matrices themselves: 1,920 numbers a style instead of about
//! 350,000, and measured on the six paintings held out of all training (`examples/
//! guess_signatures.rs`) they rank the candidates as the full Gram matrices do: the style that
//! painting every candidate would choose is first on four and second on two (where the first
//! is 2 % and 9 % farther). So the first guess shows at once, and the refinement's first act
//! (`learner::settle_guess`) paints only the two nearest and their mix.
//!
//! The file (`models/style-signatures.json`, named in the manifest like the loss network):
//!
//! ```json
//! {"format": "atelier-style-signatures/1", "generator_sha256": "…", "style_params_sha256": "…",
//!  "loss_network_sha256": "…", "layers": ["relu1_1", …],
//!  "styles": [{"id": "starry-night", "stats": "<base64 f32 LE: per layer, means then stds>"}, …,
//!             {"id": "mean-of-styles", "stats": "…"}]}
//! ```
//!
//! It belongs to one package and one loss network (by their files' sha256); another package's
//! is not used (the learner then paints every candidate, as without a file).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::package::{ModelPackage, StyleParams};
use crate::model::style_file::base64;

use super::loss_network::FeatureMap;
use super::{LearnError, LearnSettings, LossNetwork, StyleGenerator};

pub const FORMAT: &str = "atelier-style-signatures/1";
/// The entry for the mean of the shipped rows (`learner::mean_style`), after the package's styles.
pub const MEAN_ENTRY: &str = "mean-of-styles";
/// Far above a real file (about 150 KB for 13 styles), far below anything that hurts to read.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// One feature map summed up: per channel, the mean and the standard deviation over its pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStats {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl LayerStats {
    pub fn of(map: &FeatureMap) -> Self {
        let hw = map.height * map.width;
        let (mut mean, mut std) = (Vec::with_capacity(map.channels), Vec::with_capacity(map.channels));
        for plane in map.values.chunks_exact(hw.max(1)).take(map.channels) {
            let m = plane.iter().map(|&v| v as f64).sum::<f64>() / hw as f64;
            let var = plane.iter().map(|&v| (v as f64 - m) * (v as f64 - m)).sum::<f64>() / hw as f64;
            mean.push(m as f32);
            std.push(var.sqrt() as f32);
        }
        LayerStats { mean, std }
    }

    /// `mean((G_a - G_b)^2)` of the Gram matrices the two summaries imply, as the style loss
    /// takes it (`losses::style_loss`, before its weight).
    fn gram_distance(&self, other: &LayerStats) -> f32 {
        let c = self.mean.len();
        if c == 0 || other.mean.len() != c {
            return f32::INFINITY;
        }
        let (a, b) = (&self.mean, &other.mean);
        let mut sum = 0.0f64;
        for i in 0..c {
            for j in 0..c {
                let mut d = (a[i] * a[j] - b[i] * b[j]) as f64;
                if i == j {
                    d += (self.std[i] * self.std[i] - other.std[i] * other.std[i]) as f64;
                }
                sum += d * d;
            }
        }
        // c^4 in floating point: 512^4 overflows a 32-bit usize (wasm32), which made every
        // distance infinite there and the first style always the guess.
        (sum / (c as f64).powi(4)) as f32
    }
}

/// A painting's (or a style's) summary at each of the learner's style layers, in their order.
pub type Signature = Vec<LayerStats>;

/// The signature of `features` at `settings`' style layers.
pub fn signature_of(features: &super::Features, settings: &LearnSettings) -> Result<Signature, LearnError> {
    settings
        .style_layers
        .iter()
        .map(|(layer, _)| features.get(layer).map(LayerStats::of).ok_or_else(|| LearnError::Architecture(format!("the loss network has no {layer}"))))
        .collect()
}

/// How far two signatures are, weighted as the learner weighs its style layers.
pub fn distance(a: &Signature, b: &Signature, settings: &LearnSettings) -> f32 {
    if a.len() != settings.style_layers.len() || b.len() != a.len() {
        return f32::INFINITY;
    }
    a.iter().zip(b).zip(&settings.style_layers).map(|((x, y), (_, weight))| settings.style_weight * weight * x.gram_distance(y)).sum()
}

/// One style's signature: `params` painting the middle `guess_crop` px of `photo` (seen at the
/// learner's working side, in its reflected margin), read by the loss network, as
/// `Learner::style_distance` does with the visitor's photo.
pub fn style_signature(
    generator: &StyleGenerator,
    loss_network: &LossNetwork,
    photo: &image::RgbaImage,
    params: &StyleParams,
    settings: &LearnSettings,
) -> Result<Signature, LearnError> {
    let photo = super::learner::seen_at_working_side(photo, settings);
    let crop = settings.guess_crop.min(settings.crop);
    if photo.width() < crop || photo.height() < crop {
        return Err(LearnError::Size { height: photo.height() as usize, width: photo.width() as usize });
    }
    let piece = image::imageops::crop_imm(&photo, (photo.width() - crop) / 2, (photo.height() - crop) / 2, crop, crop).to_image();
    let (painted, _) = super::learner::paint_crop(generator, &piece, params, settings.margin)?;
    let c = crop as usize;
    let features = loss_network.forward(&painted, c, c, settings.deepest())?;
    signature_of(&features, settings)
}

#[derive(Debug, Clone, Error, PartialEq)]
pub enum SignatureError {
    #[error("not a style signatures file ({0})")]
    NotSignatures(String),
    #[error("the style signatures belong to another package or loss network")]
    OtherPackage,
    #[error("the style signatures are damaged: {0}")]
    Damaged(String),
}

/// The package's candidates, summed up (see the module's comment).
#[derive(Debug, Clone, PartialEq)]
pub struct StyleSignatures {
    pub generator_sha256: String,
    pub style_params_sha256: String,
    pub loss_network_sha256: String,
    /// The style layers, in the order of each entry's statistics, and their channels.
    pub layers: Vec<String>,
    pub channels: Vec<usize>,
    /// The package's styles in its order, then `MEAN_ENTRY`.
    pub entries: Vec<(String, Signature)>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    generator_sha256: String,
    style_params_sha256: String,
    loss_network_sha256: String,
    layers: Vec<String>,
    channels: Vec<usize>,
    styles: Vec<StoredEntry>,
}

#[derive(Serialize, Deserialize)]
struct StoredEntry {
    id: String,
    stats: String,
}

/// More channels than any loss network layer has (VGG19's deepest have 512).
const MAX_CHANNELS: usize = 4096;
/// More style layers than any learner weighs (it weighs four): with `MAX_CHANNELS`, keeps every
/// size computed from a file small, also in 32-bit wasm.
const MAX_LAYERS: usize = 16;

impl StyleSignatures {
    /// Sums up `package`'s styles and their mean (`style_signature` of each, side by side).
    pub fn compute(
        package: &ModelPackage,
        generator: &StyleGenerator,
        loss_network: &LossNetwork,
        loss_network_sha256: &str,
        photo: &image::RgbaImage,
        settings: &LearnSettings,
    ) -> Result<Self, LearnError> {
        let mut candidates: Vec<(String, StyleParams)> = Vec::new();
        for style in &package.manifest.styles {
            let params = package.style_params(&crate::model::StyleChoice::single(&style.id)).map_err(|e| LearnError::Architecture(e.to_string()))?;
            candidates.push((style.id.clone(), params));
        }
        let shipped: Vec<StyleParams> = candidates.iter().map(|(_, p)| p.clone()).collect();
        candidates.push((MEAN_ENTRY.to_string(), super::mean_style(&shipped).ok_or(LearnError::NoStyles)?));
        let signatures = crate::engine::map_parallel(candidates.len(), |i| style_signature(generator, loss_network, photo, &candidates[i].1, settings));
        let mut entries = Vec::with_capacity(candidates.len());
        for ((id, _), signature) in candidates.into_iter().zip(signatures) {
            entries.push((id, signature?));
        }
        let network = &package.manifest.network;
        Ok(StyleSignatures {
            generator_sha256: network.generator.sha256.clone(),
            style_params_sha256: network.style_params.sha256.clone(),
            loss_network_sha256: loss_network_sha256.to_string(),
            layers: settings.style_layers.iter().map(|(l, _)| l.clone()).collect(),
            channels: entries.first().map(|(_, s): &(String, Signature)| s.iter().map(|l| l.mean.len()).collect()).unwrap_or_default(),
            entries,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let styles = self
            .entries
            .iter()
            .map(|(id, signature)| {
                let floats: Vec<u8> = signature.iter().flat_map(|l| l.mean.iter().chain(&l.std)).flat_map(|v| v.to_le_bytes()).collect();
                StoredEntry { id: id.clone(), stats: base64::encode(&floats) }
            })
            .collect();
        let stored = Stored {
            format: FORMAT.into(),
            generator_sha256: self.generator_sha256.clone(),
            style_params_sha256: self.style_params_sha256.clone(),
            loss_network_sha256: self.loss_network_sha256.clone(),
            layers: self.layers.clone(),
            channels: self.channels.clone(),
            styles,
        };
        serde_json::to_vec(&stored).unwrap_or_default()
    }

    /// Reads a signatures file and checks it belongs to `package` and the loss network whose
    /// file has `loss_network_sha256`, with an entry for each of the package's styles (in its
    /// order) and their mean, each of the right length and finite.
    pub fn parse(bytes: &[u8], package: &ModelPackage, loss_network_sha256: &str) -> Result<Self, SignatureError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(SignatureError::Damaged(format!("{} bytes, more than {MAX_FILE_BYTES}", bytes.len())));
        }
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| SignatureError::NotSignatures(e.to_string()))?;
        if stored.format != FORMAT {
            return Err(SignatureError::NotSignatures(format!("format '{}'", stored.format.escape_debug())));
        }
        let network = &package.manifest.network;
        if !stored.generator_sha256.eq_ignore_ascii_case(&network.generator.sha256)
            || !stored.style_params_sha256.eq_ignore_ascii_case(&network.style_params.sha256)
            || !stored.loss_network_sha256.eq_ignore_ascii_case(loss_network_sha256)
        {
            return Err(SignatureError::OtherPackage);
        }
        let channels = stored.channels.clone();
        let sane = channels.len() == stored.layers.len() && channels.len() <= MAX_LAYERS && channels.iter().all(|&c| (1..=MAX_CHANNELS).contains(&c));
        if !sane {
            return Err(SignatureError::Damaged(format!("{} layers with {} channel counts: at most {MAX_LAYERS}, each 1 to {MAX_CHANNELS} channels", stored.layers.len(), channels.len())));
        }
        let expected_ids: Vec<&str> = package.manifest.styles.iter().map(|s| s.id.as_str()).chain([MEAN_ENTRY]).collect();
        let ids: Vec<&str> = stored.styles.iter().map(|s| s.id.as_str()).collect();
        if ids != expected_ids {
            return Err(SignatureError::OtherPackage);
        }
        let floats_per_entry: usize = channels.iter().map(|c| 2 * c).sum();
        let mut entries = Vec::with_capacity(stored.styles.len());
        for entry in &stored.styles {
            let raw = base64::decode(&entry.stats).ok_or_else(|| SignatureError::Damaged(format!("{}: not base64", entry.id)))?;
            if raw.len() != 4 * floats_per_entry {
                return Err(SignatureError::Damaged(format!("{}: {} bytes, not {}", entry.id, raw.len(), 4 * floats_per_entry)));
            }
            let floats: Vec<f32> = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            // Features after ReLU: means and deviations are finite and never negative.
            if floats.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(SignatureError::Damaged(format!("{}: a value that no feature map has", entry.id)));
            }
            let mut rest = floats.as_slice();
            let mut signature = Vec::with_capacity(channels.len());
            for &c in &channels {
                let (mean, after) = rest.split_at(c);
                let (std, after) = after.split_at(c);
                signature.push(LayerStats { mean: mean.to_vec(), std: std.to_vec() });
                rest = after;
            }
            entries.push((entry.id.clone(), signature));
        }
        Ok(StyleSignatures {
            generator_sha256: stored.generator_sha256,
            style_params_sha256: stored.style_params_sha256,
            loss_network_sha256: stored.loss_network_sha256,
            layers: stored.layers,
            channels,
            entries,
        })
    }

    /// The entries' indices (the package's styles in order, then their mean), nearest to
    /// `painting` first. Empty where the file was made for other style layers than `settings`'.
    pub fn ranked(&self, painting: &Signature, settings: &LearnSettings) -> Vec<usize> {
        let same_layers = self.layers.iter().map(String::as_str).eq(settings.style_layers.iter().map(|(l, _)| l.as_str()));
        if !same_layers {
            return Vec::new();
        }
        let distances: Vec<f32> = self.entries.iter().map(|(_, s)| distance(s, painting, settings)).collect();
        let mut order: Vec<usize> = (0..distances.len()).collect();
        order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
        order
    }
}
