//! Issue 33's first stage without painting candidates: can a per-style signature, computed once
//! per package on a fixed crop, pick the same first guess as painting every candidate on the
//! visitor's photo (`learn::first_guess`)? For each painting, the true distances of the 14
//! candidates (each shipped style and their mean, painted on the middle of `fig`) against
//! proxies that need no painting at learning time:
//! - `gram@picos`: the candidates' exact Gram matrices, taken on a different photo's crop;
//! - `stats`: per channel mean and standard deviation only (Gram ≈ (mu mu^T + diag(sigma^2)) / c);
//! - `low+stats`: full Gram at relu1_1 and relu2_1, the stats above at relu3_1 and relu4_1.
//!
//! cargo run --release --example guess_signatures -- PAINTING...

use std::path::Path;
use std::time::Instant;

use atelier::imaging;
use atelier::learn::losses::gram;
use atelier::learn::{mean_style, LearnSettings, Learner, LossNetwork, StyleGenerator};
use atelier::model::package::{ModelPackage, StyleChoice, StyleParams};
use atelier::pipeline::reflect_pad;

fn image(path: &Path) -> image::RgbaImage {
    image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8()
}

/// Per channel (mean, std) of a `[c, hw]` map.
fn stats(values: &[f32], channels: usize) -> (Vec<f32>, Vec<f32>) {
    let hw = values.len() / channels;
    let mut means = Vec::new();
    let mut stds = Vec::new();
    for c in 0..channels {
        let v = &values[c * hw..][..hw];
        let m = v.iter().sum::<f32>() / hw as f32;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / hw as f32;
        means.push(m);
        stds.push(var.sqrt());
    }
    (means, stds)
}

fn gram_from_stats(means: &[f32], stds: &[f32]) -> Vec<f32> {
    let c = means.len();
    let mut g = vec![0.0; c * c];
    for i in 0..c {
        for j in 0..c {
            g[i * c + j] = (means[i] * means[j] + if i == j { stds[i] * stds[i] } else { 0.0 }) / c as f32;
        }
    }
    g
}

fn loss(a: &[f32], b: &[f32], weight: f32) -> f32 {
    weight * a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32
}

struct Signature {
    grams: Vec<Vec<f32>>,
    stat_grams: Vec<Vec<f32>>,
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = LearnSettings::default();
    let package = ModelPackage::load_dir(&root.join("models")).unwrap();
    let generator = StyleGenerator::from_package(&package).unwrap();
    let loss_net = LossNetwork::from_safetensors(&std::fs::read(root.join("models/loss-network.safetensors")).unwrap(), "relu4_1").unwrap();
    let ids: Vec<String> = package.manifest.styles.iter().map(|s| s.id.clone()).collect();
    let shipped: Vec<StyleParams> = ids.iter().map(|id| package.style_params(&StyleChoice::single(id)).unwrap()).collect();
    let mut names = ids.clone();
    names.push("mean".into());
    let candidates: Vec<StyleParams> = shipped.iter().cloned().chain(mean_style(&shipped)).collect();
    let layers: Vec<(String, f32)> = settings.style_layers.clone();
    let weight = |l: usize| settings.style_weight * layers[l].1;

    // Signatures on the middle 128 px of picos-de-europa seen at the working side.
    let t = Instant::now();
    let picos = image(&root.join("static/samples/picos-de-europa.jpg"));
    let (w, h) = imaging::fit_within(picos.width(), picos.height(), settings.photo_side);
    let picos = imaging::resize_to(&picos, w, h);
    let crop = settings.guess_crop;
    let piece = image::imageops::crop_imm(&picos, (w - crop) / 2, (h - crop) / 2, crop, crop).to_image();
    let padded = reflect_pad(&piece, settings.margin, 0, 0);
    let side = (crop + 2 * settings.margin) as usize;
    let (c, m) = (crop as usize, settings.margin as usize);
    let signatures: Vec<Signature> = candidates
        .iter()
        .map(|style| {
            let tape = generator.forward(&imaging::to_tensor(&padded).data, side, side, style).unwrap();
            let mut painted = Vec::new();
            for ch in 0..3 {
                for y in 0..c {
                    painted.extend_from_slice(&tape.output[(ch * side + m + y) * side + m..][..c]);
                }
            }
            let f = loss_net.forward(&painted, c, c, "relu4_1").unwrap();
            let mut grams = Vec::new();
            let mut stat_grams = Vec::new();
            for (layer, _) in &layers {
                let map = f.get(layer).unwrap();
                grams.push(gram(&map.values, map.channels));
                let (mu, sd) = stats(&map.values, map.channels);
                stat_grams.push(gram_from_stats(&mu, &sd));
            }
            Signature { grams, stat_grams }
        })
        .collect();
    println!("signatures of {} candidates in {:.2} s", candidates.len(), t.elapsed().as_secs_f64());

    let samples: Vec<image::RgbaImage> = ["fig.jpg", "friends.jpg", "picos-de-europa.jpg"].iter().map(|n| image(&root.join("static/samples").join(n))).collect();
    for painting_path in std::env::args().skip(1) {
        let painting = image(Path::new(&painting_path));
        let t = Instant::now();
        let (pw, ph) = imaging::fit_within(painting.width(), painting.height(), settings.painting_side);
        let small = imaging::resize_to(&painting, pw, ph);
        let f = loss_net.forward(&imaging::to_tensor(&small).data, ph as usize, pw as usize, "relu4_1").unwrap();
        let mut p_grams = Vec::new();
        let mut p_stat_grams = Vec::new();
        for (layer, _) in &layers {
            let map = f.get(layer).unwrap();
            p_grams.push(gram(&map.values, map.channels));
            let (mu, sd) = stats(&map.values, map.channels);
            p_stat_grams.push(gram_from_stats(&mu, &sd));
        }
        let sig_s = t.elapsed().as_secs_f64();
        let learner = Learner::new(&generator, &loss_net, &painting, samples.clone(), candidates[13].clone(), settings.clone()).unwrap();
        let t = Instant::now();
        let truth: Vec<f32> = candidates.iter().map(|s| learner.style_distance(s).unwrap()).collect();
        let truth_s = t.elapsed().as_secs_f64();
        let n = layers.len();
        let proxy = |which: &str| -> Vec<f32> {
            signatures
                .iter()
                .map(|s| {
                    (0..n)
                        .map(|l| match which {
                            "gram" => loss(&s.grams[l], &p_grams[l], weight(l)),
                            "stats" => loss(&s.stat_grams[l], &p_stat_grams[l], weight(l)),
                            _ if l < 2 => loss(&s.grams[l], &p_grams[l], weight(l)),
                            _ => loss(&s.stat_grams[l], &p_stat_grams[l], weight(l)),
                        })
                        .sum()
                })
                .collect()
        };
        let argmin = |v: &[f32]| (0..v.len()).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        let best = argmin(&truth);
        let stem = Path::new(&painting_path).file_stem().unwrap().to_string_lossy().to_string();
        println!("== {stem}: painting's features {sig_s:.2} s, truth {truth_s:.2} s; best {} {:.2}", names[best], truth[best]);
        let mut order: Vec<usize> = (0..truth.len()).collect();
        order.sort_by(|&a, &b| truth[a].total_cmp(&truth[b]));
        println!("   truth order: {}", order.iter().take(5).map(|&i| format!("{} {:.1}", names[i], truth[i])).collect::<Vec<_>>().join(", "));
        for which in ["gram", "stats", "low+stats"] {
            let p = proxy(which);
            let pick = argmin(&p);
            let mut po: Vec<usize> = (0..p.len()).collect();
            po.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
            let rank_of_best = po.iter().position(|&i| i == best).unwrap();
            println!(
                "   {which:>10}: picks {} (true {:.2}, +{:.0} %), true best ranked {}; top 3 {}",
                names[pick],
                truth[pick],
                100.0 * (truth[pick] / truth[best] - 1.0),
                rank_of_best + 1,
                po.iter().take(3).map(|&i| names[i].as_str()).collect::<Vec<_>>().join(", ")
            );
        }
    }
}
