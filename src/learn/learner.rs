//! Refining a style on a painting: Adam on one style's gamma and beta, each step one crop of a
//! photo painted with them, scored by the training code's losses against the painting (Gram
//! matrices at the style layers) and the photo (features at the content layer), the gradient
//! carried back through the loss network and the generator (`LossNetwork::backward`,
//! `StyleGenerator::backward`). The convolutions never change.

use std::collections::HashMap;

use image::RgbaImage;

use crate::imaging;
use crate::model::package::{StyleParams, OWN_STYLE_WORKING_SIDE};
use crate::pipeline::reflect_pad;

use super::losses::{content_loss, gram, style_loss};
use super::signature::{signature_of, Signature, StyleSignatures};
use super::{LearnError, LossNetwork, StyleGenerator, Tape};

/// How a style is learned. The defaults are the training campaign's losses
/// (training/configs/cpu-campaign-chroma15.json) on small crops.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnSettings {
    /// Side of the square crop each step paints (a multiple of 4).
    pub crop: u32,
    /// Side of the crop the first guess scores candidates on (a multiple of 4; `crop` where larger):
    /// smaller is faster, and ranking 15 candidates needs less than learning does.
    pub guess_crop: u32,
    /// Reflection painted around each crop and not scored (the package's margin, or less).
    pub margin: u32,
    /// Photos are seen at this long side (the app's working side for the default brush).
    pub photo_side: u32,
    /// The painting's long side when its Gram matrices are taken: the scale its strokes are
    /// learned at. 256, the side at which a picture is seen whole (the metric's view), not the
    /// campaign's `style_side` 320: on the six unseen paintings (60 steps) the style ratio's
    /// median is 0.149 at 320, 0.110 at 288, 0.097 at 256 and 0.117 at 224 (docs/learning.md).
    /// The app paints a learned style at this side (`OWN_STYLE_WORKING_SIDE`).
    pub painting_side: u32,
    pub learning_rate: f32,
    /// The learning rate at the end of the budget, as a share of `learning_rate` (cosine decay by
    /// `Learner::step_at`'s progress; 1 keeps it constant). Measured and left at 1: a decay to
    /// 0.2 over 60 steps moved the six unseen paintings' median 0.110 -> 0.115 (noise).
    pub final_rate: f32,
    /// The weight the running average of the rows (what learning keeps) gives its past at each
    /// step: at 0.9 about the last 10 steps count.
    pub average_decay: f32,
    pub content_layer: String,
    pub content_weight: f32,
    /// The most the picture may move away from the photo, as the metric measures it (relu4_1
    /// features, `subject_distance`): where a crop's distance goes over it, a content loss at
    /// relu4_1 is added and its weight (a multiple of `content_weight`) grows until the crops
    /// come back under it, and falls to nothing where they stay under (a constraint kept by dual
    /// ascent, so paintings that keep the subject anyway learn exactly as without it). None: no
    /// limit. 0.95 on the crops (they read lower than the whole picture for Gris's portrait):
    /// `atelier learn` then keeps every unseen painting's content <= 1.16 at 2048 px (Gris 1.31
    /// without), and the six paintings' median style ratio over three crop sequences is where it
    /// was (0.107 against 0.106; docs/learning.md "Keeping the subject").
    pub content_limit: Option<f32>,
    /// How fast that weight follows: added per step, times the crop's distance over the limit.
    pub limit_rate: f32,
    pub style_weight: f32,
    /// Per style layer, its weight (the campaign's `style_layer_weights`).
    pub style_layers: Vec<(String, f32)>,
    pub seed: u64,
}

impl Default for LearnSettings {
    fn default() -> Self {
        LearnSettings {
            crop: 128,
            guess_crop: 128,
            margin: 16,
            photo_side: 288,
            painting_side: OWN_STYLE_WORKING_SIDE,
            learning_rate: 0.05,
            final_rate: 1.0,
            average_decay: 0.9,
            content_layer: "relu3_1".into(),
            content_weight: 1e-4,
            content_limit: Some(0.95),
            limit_rate: 1.0,
            style_weight: 1.2e-4,
            style_layers: vec![("relu1_1".into(), 1000.0), ("relu2_1".into(), 25.0), ("relu3_1".into(), 120.0), ("relu4_1".into(), 4.0)],
            seed: 20261204,
        }
    }
}

impl LearnSettings {
    /// The deepest layer the losses read (the loss network's forward pass stops there).
    pub fn deepest(&self) -> &str {
        let depth = |name: &str| name.trim_start_matches("relu").replace('_', ".").parse::<f32>().unwrap_or(0.0);
        self.style_layers
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(std::iter::once(self.content_layer.as_str()))
            .chain(self.content_limit.map(|_| SUBJECT_LAYER))
            .max_by(|a, b| depth(a).total_cmp(&depth(b)))
            .unwrap_or("relu4_1")
    }
}

/// One step's losses (weighted, as they add up to what is minimised).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLosses {
    pub style: f32,
    pub content: f32,
    /// The crop's distance from the photo as the metric measures it (`subject_distance`); 0
    /// where it was not measured this step (no `LearnSettings::content_limit`, or a step
    /// between checks while the limit does not bind).
    pub subject: f32,
    /// The weight the content limit's loss had this step (a multiple of `content_weight`).
    pub limit_weight: f32,
}

/// Where the metric (training/atelier_train/metrics.py `content_distance`) compares a picture
/// with its photo, and so where `LearnSettings::content_limit` holds it.
pub const SUBJECT_LAYER: &str = "relu4_1";

/// The most `LearnSettings::content_limit`'s weight may grow to (in `content_weight`s): at 1,
/// content at relu4_1 alone took Gris's portrait 1.22 -> 1.13 in 60 steps (docs/learning.md).
const MAX_LIMIT_WEIGHT: f32 = 8.0;

/// While the content limit does not bind, it is checked on one step in this many.
const LIMIT_CHECK_EVERY: i32 = 4;

/// `|a - b| / |b|`: the metric's content distance of features `a` from the photo's `b`.
pub fn subject_distance(a: &[f32], b: &[f32]) -> f32 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let norm: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (diff.sqrt() / norm.sqrt().max(1e-12)) as f32
}

/// A style being learned.
pub struct Learner<'a> {
    generator: &'a StyleGenerator,
    loss_network: &'a LossNetwork,
    settings: LearnSettings,
    painting_grams: HashMap<String, Vec<f32>>,
    /// The painting summed up as the style signatures sum up the shipped styles.
    painting_signature: Signature,
    photos: Vec<RgbaImage>,
    params: StyleParams,
    /// An exponential moving average of `params` over the steps: each step's crop pulls the
    /// row its own way, the average is what the crops agree on.
    averaged: StyleParams,
    adam: Adam,
    rng: SplitMix,
    /// The content limit's current weight (`LearnSettings::content_limit`).
    limit_weight: f32,
}

impl<'a> Learner<'a> {
    /// `start`: the style the refinement begins from; `photos`: what the crops are cut from (at
    /// least one, each at least `crop` px on its short side once seen at `photo_side`).
    pub fn new(
        generator: &'a StyleGenerator,
        loss_network: &'a LossNetwork,
        painting: &RgbaImage,
        photos: Vec<RgbaImage>,
        start: StyleParams,
        settings: LearnSettings,
    ) -> Result<Self, LearnError> {
        let guess_fits = settings.guess_crop > 0 && settings.guess_crop.is_multiple_of(4);
        if settings.crop == 0 || !settings.crop.is_multiple_of(4) || !settings.margin.is_multiple_of(4) || !guess_fits {
            return Err(LearnError::Size { height: settings.crop as usize, width: settings.crop as usize });
        }
        if painting.width().min(painting.height()) < super::MIN_PAINTING_SIDE {
            return Err(LearnError::PaintingTooSmall { width: painting.width(), height: painting.height() });
        }
        let (w, h) = imaging::fit_within(painting.width(), painting.height(), settings.painting_side);
        let painting = imaging::resize_to(painting, w, h);
        let tensor = imaging::to_tensor(&painting);
        let deepest = settings.deepest().to_string();
        let features = loss_network.forward(&tensor.data, h as usize, w as usize, &deepest)?;
        let mut painting_grams = HashMap::new();
        for (layer, _) in &settings.style_layers {
            let map = features.get(layer).ok_or_else(|| LearnError::Architecture(format!("the loss network has no {layer}")))?;
            painting_grams.insert(layer.clone(), gram(&map.values, map.channels));
        }
        let painting_signature = signature_of(&features, &settings)?;
        let photos: Vec<RgbaImage> = photos.iter().map(|p| seen_at_working_side(p, &settings)).collect();
        if photos.is_empty() {
            return Err(LearnError::NoPhotos);
        }
        let adam = Adam::new(&start);
        let rng = SplitMix(settings.seed);
        Ok(Learner { generator, loss_network, settings, painting_grams, painting_signature, photos, averaged: start.clone(), params: start, adam, rng, limit_weight: 0.0 })
    }

    pub fn painting_signature(&self) -> &Signature {
        &self.painting_signature
    }

    pub fn params(&self) -> &StyleParams {
        &self.params
    }

    /// The running average of the steps' rows: steadier than the last step's (`params`), and
    /// what learning keeps.
    pub fn averaged(&self) -> &StyleParams {
        &self.averaged
    }

    /// Begin again from `params` (the optimiser's state, the average and the content limit's
    /// weight forgotten).
    pub fn restart_from(&mut self, params: StyleParams) {
        self.adam = Adam::new(&params);
        self.limit_weight = 0.0;
        self.averaged = params.clone();
        self.params = params;
    }

    /// The weighted style loss of `params` on a fixed crop (the middle of the first photo,
    /// `guess_crop` px): how far from the painting a style paints, without learning anything.
    pub fn style_distance(&self, params: &StyleParams) -> Result<f32, LearnError> {
        self.style_distance_at(params, self.settings.guess_crop)
    }

    /// `style_distance` on a crop of `crop` px (a multiple of 4, at most the learning crop).
    pub fn style_distance_at(&self, params: &StyleParams, crop: u32) -> Result<f32, LearnError> {
        let photo = &self.photos[0];
        let crop = crop.min(self.settings.crop);
        let piece = image::imageops::crop_imm(photo, (photo.width() - crop) / 2, (photo.height() - crop) / 2, crop, crop).to_image();
        let (painted, _) = self.paint_crop(&piece, params)?;
        let c = crop as usize;
        let features = self.loss_network.forward(&painted, c, c, self.settings.deepest())?;
        let mut total = 0.0;
        for (layer, weight) in &self.settings.style_layers {
            let map = features.get(layer).ok_or_else(|| LearnError::Architecture(format!("no {layer}")))?;
            total += style_loss(&map.values, map.channels, &self.painting_grams[layer], self.settings.style_weight * weight).0;
        }
        Ok(total)
    }

    fn paint_crop(&self, piece: &RgbaImage, params: &StyleParams) -> Result<(Vec<f32>, Tape), LearnError> {
        paint_crop(self.generator, piece, params, self.settings.margin)
    }

    /// One step at the full learning rate (`step_at(0.0)`).
    pub fn step(&mut self) -> Result<StepLosses, LearnError> {
        self.step_at(0.0)
    }

    /// One step: a crop painted, scored, and gamma and beta moved against the gradient, at the
    /// learning rate for `progress` (the share of the budget spent, 0..1; `decayed_rate`).
    pub fn step_at(&mut self, progress: f32) -> Result<StepLosses, LearnError> {
        let s = &self.settings;
        let rate = decayed_rate(s.learning_rate, s.final_rate, progress);
        let photo = &self.photos[(self.rng.next() % self.photos.len() as u64) as usize];
        let crop = s.crop;
        let x0 = (self.rng.next() % (photo.width() - crop + 1) as u64) as u32;
        let y0 = (self.rng.next() % (photo.height() - crop + 1) as u64) as u32;
        let piece = image::imageops::crop_imm(photo, x0, y0, crop, crop).to_image();
        let (painted, tape) = self.paint_crop(&piece, &self.params)?;
        let (c, m) = (crop as usize, s.margin as usize);
        let side = c + 2 * m;
        let deepest = s.deepest().to_string();
        let features = self.loss_network.forward(&painted, c, c, &deepest)?;
        // The photo's own pass over the same crop (zero padding at its edges, as the painted
        // crop's): targets cut from the whole photo's features instead made steps a fifth
        // cheaper but learning worse (docs/learning.md). It goes on to relu4_1 (about a sixth
        // of a step) only where the content limit is checked: every step while it binds, else
        // one step in `LIMIT_CHECK_EVERY`.
        let limit = s.content_limit.filter(|_| self.limit_weight > 0.0 || self.adam.steps % LIMIT_CHECK_EVERY == 0);
        let photo_depth = if limit.is_some() { deepest.as_str() } else { s.content_layer.as_str() };
        let photo_features = self.loss_network.forward(&imaging::to_tensor(&piece).data, c, c, photo_depth)?;
        let target = |layer: &str| photo_features.get(layer).map(|m| m.values.as_slice());

        let mut grads: HashMap<String, Vec<f32>> = HashMap::new();
        let mut add = |layer: &str, g: Vec<f32>| {
            grads.entry(layer.to_string()).and_modify(|a| a.iter_mut().zip(&g).for_each(|(x, y)| *x += y)).or_insert(g);
        };
        let mut losses = StepLosses { style: 0.0, content: 0.0, subject: 0.0, limit_weight: self.limit_weight };
        for (layer, weight) in &s.style_layers {
            let map = features.get(layer).ok_or_else(|| LearnError::Architecture(format!("no {layer}")))?;
            let (loss, g) = style_loss(&map.values, map.channels, &self.painting_grams[layer], s.style_weight * weight);
            losses.style += loss;
            add(layer, g);
        }
        let (Some(map), Some(photo)) = (features.get(&s.content_layer), target(&s.content_layer)) else {
            return Err(LearnError::Architecture(format!("no {}", s.content_layer)));
        };
        let (loss, g) = content_loss(&map.values, photo, s.content_weight);
        losses.content = loss;
        add(&s.content_layer, g);
        if let Some(limit) = limit {
            let (Some(map), Some(photo)) = (features.get(SUBJECT_LAYER), target(SUBJECT_LAYER)) else {
                return Err(LearnError::Architecture(format!("no {SUBJECT_LAYER}")));
            };
            losses.subject = subject_distance(&map.values, photo);
            if self.limit_weight > 0.0 {
                let (loss, g) = content_loss(&map.values, photo, s.content_weight * self.limit_weight);
                losses.content += loss;
                add(SUBJECT_LAYER, g);
            }
            if losses.subject.is_finite() {
                self.limit_weight = (self.limit_weight + s.limit_rate * (losses.subject - limit)).clamp(0.0, MAX_LIMIT_WEIGHT);
            }
        }

        let grad_painted = self.loss_network.backward(&features, &grads)?;
        let mut grad_output = vec![0.0f32; tape.output.len()];
        for ch in 0..3 {
            for y in 0..c {
                grad_output[(ch * side + m + y) * side + m..][..c].copy_from_slice(&grad_painted[(ch * c + y) * c..][..c]);
            }
        }
        let style_grads = self.generator.backward(&tape, &self.params, &grad_output)?;
        self.adam.update(&mut self.params, &style_grads, rate);
        self.averaged = self.params.mix(&self.averaged, s.average_decay);
        Ok(losses)
    }
}

/// The learning rate after `progress` (0..1, clamped) of the budget: cosine from `rate` down to
/// `final_share` of it: early steps move far from the first guess, late ones only settle (for
/// trials: the default keeps the rate constant, `LearnSettings::final_rate`).
pub(crate) fn decayed_rate(rate: f32, final_share: f32, progress: f32) -> f32 {
    let p = if progress.is_finite() { progress.clamp(0.0, 1.0) } else { 0.0 };
    let cosine = 0.5 * (1.0 + (std::f32::consts::PI * p).cos());
    rate * (final_share + (1.0 - final_share) * cosine)
}

/// A photo as the learner sees it: at the working side, but never smaller than a crop on its
/// short side.
pub(crate) fn seen_at_working_side(photo: &RgbaImage, settings: &LearnSettings) -> RgbaImage {
    let scale = (settings.photo_side as f32 / photo.width().max(photo.height()) as f32)
        .max(settings.crop as f32 / photo.width().min(photo.height()).max(1) as f32);
    let (w, h) = ((photo.width() as f32 * scale).round() as u32, (photo.height() as f32 * scale).round() as u32);
    imaging::resize_to(photo, w.max(settings.crop), h.max(settings.crop))
}

/// A square `piece` painted with `params` inside its reflected `margin`: the crop's pixels
/// (`[3, c, c]`) and the whole forward pass.
pub(crate) fn paint_crop(generator: &StyleGenerator, piece: &RgbaImage, params: &StyleParams, margin: u32) -> Result<(Vec<f32>, Tape), LearnError> {
    let crop = piece.width() as usize;
    let padded = reflect_pad(piece, margin, 0, 0);
    let (side, margin) = (crop + 2 * margin as usize, margin as usize);
    let tape = generator.forward(&imaging::to_tensor(&padded).data, side, side, params)?;
    let mut painted = Vec::with_capacity(3 * crop * crop);
    for ch in 0..3 {
        for y in 0..crop {
            painted.extend_from_slice(&tape.output[(ch * side + margin + y) * side + margin..][..crop]);
        }
    }
    Ok((painted, tape))
}

/// Adam (beta1 0.9, beta2 0.999), over every value of a style's inputs.
struct Adam {
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    steps: i32,
}

impl Adam {
    fn new(params: &StyleParams) -> Self {
        let zeros: Vec<Vec<f32>> = params.inputs.iter().map(|(_, v)| vec![0.0; v.len()]).collect();
        Adam { first: zeros.clone(), second: zeros, steps: 0 }
    }

    fn update(&mut self, params: &mut StyleParams, grads: &StyleParams, rate: f32) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.steps += 1;
        let (c1, c2) = (1.0 - B1.powi(self.steps), 1.0 - B2.powi(self.steps));
        for (i, ((_, p), (_, g))) in params.inputs.iter_mut().zip(&grads.inputs).enumerate() {
            for (k, (p, &g)) in p.iter_mut().zip(g).enumerate() {
                let m = &mut self.first[i][k];
                let v = &mut self.second[i][k];
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= rate * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
            }
        }
    }
}

/// A small, seeded random sequence (splitmix64): crops are reproducible from the settings.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The first stage by painting: of the given styles (the package's), their mean (a neutral style
/// that is sometimes nearer than any of them) and the even mix of the two nearest, the one whose
/// painting of a crop is nearest the painting (`Learner::style_distance`). Returns it and its
/// distance. Used where there are no style signatures (`quick_guess` needs no painting).
pub fn first_guess(learner: &Learner, styles: &[StyleParams]) -> Result<(StyleParams, f32), LearnError> {
    let candidates: Vec<StyleParams> = styles.iter().cloned().chain(mean_style(styles)).collect();
    nearest_or_their_mix(learner, candidates)
}

/// The first stage at once, from the package's style signatures: the candidates (`styles`, the
/// package's in its order, then their mean) nearest the painting by signature, nearest first;
/// None where the signatures do not fit these styles or the learner's layers.
pub fn quick_guess(learner: &Learner, signatures: &StyleSignatures, styles: &[StyleParams]) -> Option<Vec<StyleParams>> {
    let candidates: Vec<StyleParams> = styles.iter().cloned().chain(mean_style(styles)).collect();
    let order = signatures.ranked(learner.painting_signature(), &learner.settings);
    if order.len() != candidates.len() {
        return None;
    }
    Some(order.into_iter().map(|i| candidates[i].clone()).collect())
}

/// The refinement's first act after `quick_guess`: of its two nearest and their even mix, the
/// one whose painting of a crop is nearest the painting (three crops painted, not fifteen).
pub fn settle_guess(learner: &Learner, ranked: &[StyleParams]) -> Result<(StyleParams, f32), LearnError> {
    nearest_or_their_mix(learner, ranked.iter().take(2).cloned().collect())
}

fn nearest_or_their_mix(learner: &Learner, candidates: Vec<StyleParams>) -> Result<(StyleParams, f32), LearnError> {
    // The candidates are scored side by side, one per thread: each crop's pass is too small to
    // split well (natively, 2 threads, 14 candidates: 2.8-3.1 -> 2.35-2.5 s, the same choice).
    let distances = crate::engine::map_parallel(candidates.len(), |i| learner.style_distance(&candidates[i]));
    let mut scored: Vec<(f32, StyleParams)> = Vec::with_capacity(candidates.len());
    for (distance, style) in distances.into_iter().zip(candidates) {
        scored.push((distance?, style));
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some((best_distance, best)) = scored.first().cloned() else { return Err(LearnError::NoStyles) };
    let mut choice = (best, best_distance);
    if let Some((_, second)) = scored.get(1) {
        let mix = choice.0.mix(second, 0.5);
        let distance = learner.style_distance(&mix)?;
        if distance < choice.1 {
            choice = (mix, distance);
        }
    }
    Ok(choice)
}

/// The mean of `styles` (None for none).
pub fn mean_style(styles: &[StyleParams]) -> Option<StyleParams> {
    let first = styles.first()?;
    let inputs = first
        .inputs
        .iter()
        .enumerate()
        .map(|(k, (name, values))| {
            let mean = (0..values.len()).map(|i| styles.iter().map(|s| s.inputs[k].1[i]).sum::<f32>() / styles.len() as f32).collect();
            (name.clone(), mean)
        })
        .collect();
    Some(StyleParams { inputs })
}

/// A painting learned: the style, the first stage's guess it began from, and how far it went.
#[derive(Debug, Clone)]
pub struct Learned {
    pub params: StyleParams,
    pub first_guess: StyleParams,
    pub steps: usize,
}

/// The first stage's outcome: the style to show at once, and what the refinement settles
/// first (`Learner::begin_refining`).
#[derive(Debug, Clone)]
pub struct FirstStage {
    pub guess: StyleParams,
    /// With signatures: their two nearest candidates, to be painted and compared (with their
    /// mix) before the first step. Empty where the guess was already chosen by painting.
    to_settle: Vec<StyleParams>,
}

/// The first stage: from `signatures` where they fit the package (no painting: about the
/// painting's own loss-network pass), else by painting every candidate (`first_guess`).
pub fn first_stage(learner: &Learner, shipped: &[StyleParams], signatures: Option<&StyleSignatures>) -> Result<FirstStage, LearnError> {
    if let Some(ranked) = signatures.and_then(|s| quick_guess(learner, s, shipped)) {
        return Ok(FirstStage { guess: ranked[0].clone(), to_settle: ranked.into_iter().take(2).collect() });
    }
    let (guess, _) = first_guess(learner, shipped)?;
    Ok(FirstStage { guess, to_settle: Vec::new() })
}

impl Learner<'_> {
    /// Starts the refinement from the first stage (settling its two nearest candidates first
    /// where it came from signatures).
    pub fn begin_refining(&mut self, first: &FirstStage) -> Result<(), LearnError> {
        let start = if first.to_settle.len() >= 2 { settle_guess(self, &first.to_settle)?.0 } else { first.guess.clone() };
        self.restart_from(start);
        Ok(())
    }
}

/// Both stages: the first stage among `shipped` (the package's styles; `first_stage`), then steps
/// of Adam for as long as `go_on(steps done)` says; `progress` hears each step's losses.
#[allow(clippy::too_many_arguments)]
pub fn learn_painting(
    generator: &StyleGenerator,
    loss_network: &LossNetwork,
    painting: &RgbaImage,
    photos: Vec<RgbaImage>,
    shipped: &[StyleParams],
    signatures: Option<&StyleSignatures>,
    settings: LearnSettings,
    go_on: &mut dyn FnMut(usize) -> bool,
    progress: &mut dyn FnMut(usize, StepLosses),
) -> Result<Learned, LearnError> {
    let start = mean_style(shipped).ok_or(LearnError::NoStyles)?;
    let mut learner = Learner::new(generator, loss_network, painting, photos, start, settings)?;
    let first = first_stage(&learner, shipped, signatures)?;
    learner.begin_refining(&first)?;
    let mut steps = 0;
    while go_on(steps) {
        let losses = learner.step()?;
        steps += 1;
        progress(steps, losses);
    }
    Ok(Learned { params: learner.averaged().clone(), first_guess: first.guess, steps })
}

#[cfg(test)]
mod tests {
    use super::{decayed_rate, subject_distance};

    #[test]
    fn subject_distance_is_the_metrics_relative_distance() {
        let photo = [3.0f32, 4.0, 0.0];
        assert_eq!(subject_distance(&photo, &photo), 0.0, "the photo itself");
        assert!((subject_distance(&[0.0; 3], &photo) - 1.0).abs() < 1e-6, "nothing of the photo: 1");
        // |(6,8,0) - (3,4,0)| / |(3,4,0)| = 5 / 5; |(3,4,10) - (3,4,0)| / 5 = 2.
        assert!((subject_distance(&[6.0, 8.0, 0.0], &photo) - 1.0).abs() < 1e-6);
        assert!((subject_distance(&[3.0, 4.0, 10.0], &photo) - 2.0).abs() < 1e-6);
        let black = subject_distance(&[1.0; 3], &[0.0; 3]);
        assert!(black.is_finite() && black > 1e6, "a black photo: far, not NaN ({black})");
    }

    #[test]
    fn the_rate_decays_from_full_to_its_final_share() {
        assert_eq!(decayed_rate(0.05, 0.2, 0.0), 0.05);
        assert!((decayed_rate(0.05, 0.2, 1.0) - 0.01).abs() < 1e-7);
        assert!((decayed_rate(0.05, 0.2, 0.5) - 0.03).abs() < 1e-7, "halfway: halfway between");
        let rates: Vec<f32> = (0..=10).map(|i| decayed_rate(0.05, 0.2, i as f32 / 10.0)).collect();
        assert!(rates.windows(2).all(|w| w[1] <= w[0]), "never rises: {rates:?}");
        assert_eq!(decayed_rate(0.05, 1.0, 0.7), 0.05, "a final share of 1 keeps the rate");
        assert!((decayed_rate(0.05, 0.2, 3.0) - 0.01).abs() < 1e-7, "past the budget: the final rate");
        assert_eq!(decayed_rate(0.05, 0.2, f32::NAN), 0.05, "no progress known: the full rate");
    }
}
