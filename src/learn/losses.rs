//! The training code's losses on loss-network features, with their gradients: the Gram-matrix
//! style loss and the feature content loss (training/train.py: `gram()` divides by c h w; each
//! loss is a mean squared difference).

/// The Gram matrix of `features` (`[c, hw]`): F F^T / (c hw), `[c, c]`.
pub fn gram(features: &[f32], channels: usize) -> Vec<f32> {
    let hw = features.len() / channels.max(1);
    let scale = 1.0 / (channels * hw) as f32;
    let mut g = vec![0.0f32; channels * channels];
    for i in 0..channels {
        let fi = &features[i * hw..][..hw];
        for j in i..channels {
            let v = dot(fi, &features[j * hw..][..hw]) * scale;
            g[i * channels + j] = v;
            g[j * channels + i] = v;
        }
    }
    g
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums: vectorised, and less rounding than one running sum.
    let mut partial = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            partial[k] += x[k] * y[k];
        }
    }
    partial.iter().sum::<f32>() + tail
}

/// `weight * mean((gram(F) - target)^2)` and its gradient with respect to F.
pub fn style_loss(features: &[f32], channels: usize, target: &[f32], weight: f32) -> (f32, Vec<f32>) {
    let hw = features.len() / channels.max(1);
    let g = gram(features, channels);
    let n = (channels * channels) as f32;
    let diff: Vec<f32> = g.iter().zip(target).map(|(a, b)| a - b).collect();
    let loss = weight * diff.iter().map(|d| d * d).sum::<f32>() / n;
    // dL/dG = 2 w (G - T) / c^2, symmetric; G = F F^T / (c hw), so dL/dF = 2 dL/dG F / (c hw).
    let k = 4.0 * weight / (n * (channels * hw) as f32);
    let mut grad = vec![0.0f32; features.len()];
    for i in 0..channels {
        let out = &mut grad[i * hw..][..hw];
        for j in 0..channels {
            let d = k * diff[i * channels + j];
            if d != 0.0 {
                out.iter_mut().zip(&features[j * hw..][..hw]).for_each(|(o, &f)| *o += d * f);
            }
        }
    }
    (loss, grad)
}

/// `weight * mean((F - target)^2)` and its gradient with respect to F.
pub fn content_loss(features: &[f32], target: &[f32], weight: f32) -> (f32, Vec<f32>) {
    let n = features.len() as f32;
    let loss = weight * features.iter().zip(target).map(|(a, b)| (a - b) * (a - b)).sum::<f32>() / n;
    let grad = features.iter().zip(target).map(|(a, b)| 2.0 * weight * (a - b) / n).collect();
    (loss, grad)
}
