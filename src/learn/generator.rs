//! The package's generator, run forward keeping what its backward pass needs, and that backward
//! pass: the gradient of a loss with respect to one style's instance-norm scale and shift
//! (gamma, beta), the convolution weights held fixed. The layer plan is the training code's
//! (training/atelier_train/export.py `NetSpec.convs`): c1 (9x9), c2 and c3 (3x3, stride 2),
//! residual blocks r{i}a / r{i}b, u1 and u2 (nearest x2 upsampling, then 3x3), out (9x9), then
//! a sigmoid; an instance norm with the style's gamma and beta after every convolution but
//! `out`, followed by ReLU, or by the block's skip for r{i}b.

use std::collections::HashMap;

use crate::engine::conv::{conv2d, conv2d_input_grad, ConvShape};
use crate::engine::norm::{instance_norm_backward, normalise_channels};
use crate::model::package::{ModelPackage, StyleParams};

use super::LearnError;

/// One convolution of the generator and what follows it.
#[derive(Debug, Clone)]
struct Layer {
    name: String,
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    /// Nearest x2 upsampling of its input first (u1, u2).
    upsample: bool,
    /// Followed by the style's instance norm (every layer but `out`).
    norm: bool,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Layer {
    fn is_block_start(&self) -> bool {
        self.name.starts_with('r') && self.name.ends_with('a')
    }

    fn is_block_end(&self) -> bool {
        self.name.starts_with('r') && self.name.ends_with('b')
    }

    /// The convolution on an `h` x `w` input: zero padding of kernel / 2 (as the graph has).
    fn shape(&self, h: usize, w: usize) -> ConvShape {
        let pad = self.kernel / 2;
        ConvShape {
            c_in: self.c_in,
            h,
            w,
            c_out: self.c_out,
            kh: self.kernel,
            kw: self.kernel,
            oh: (h + 2 * pad - self.kernel) / self.stride + 1,
            ow: (w + 2 * pad - self.kernel) / self.stride + 1,
            pad_top: pad,
            pad_left: pad,
            stride: (self.stride, self.stride),
            dilation: (1, 1),
            input_row0: 0,
            input_plane_rows: h,
        }
    }
}

/// The generator's fixed part, ready to learn a style's gamma and beta against.
#[derive(Debug, Clone)]
pub struct StyleGenerator {
    layers: Vec<Layer>,
    eps: f32,
}

/// What one layer's forward pass leaves for the backward pass.
struct Saved {
    shape: ConvShape,
    /// The normalised convolution output and each channel's 1 / std (layers with a norm).
    normalised: Vec<f32>,
    inv_std: Vec<f32>,
    /// Where the ReLU let the value through (layers with a norm, not ending a block).
    open: Vec<bool>,
}

/// A forward pass kept for `StyleGenerator::backward`.
pub struct Tape {
    saved: Vec<Saved>,
    /// The picture painted, `[3, h, w]` in 0..1 (after the sigmoid).
    pub output: Vec<f32>,
    pub height: usize,
    pub width: usize,
}

/// d loss / d (each style input), in the package's style-input order and names.
pub type StyleGrads = StyleParams;

impl StyleGenerator {
    /// The package's convolutions (float32, as the engines run them) in the training code's plan.
    pub fn from_package(package: &ModelPackage) -> Result<Self, LearnError> {
        let arch = &package.manifest.network.architecture;
        let widths: Vec<usize> = arch
            .get("widths")
            .and_then(|w| w.as_array())
            .map(|w| w.iter().filter_map(|v| v.as_u64().map(|v| v as usize)).collect())
            .unwrap_or_default();
        let res_blocks = arch.get("res_blocks").and_then(|r| r.as_u64()).map(|r| r as usize);
        let (&[w1, w2, w3], Some(res_blocks)) = (widths.as_slice(), res_blocks) else {
            return Err(LearnError::Architecture(format!("the manifest describes {arch}, not widths [a, b, c] and res_blocks")));
        };
        let mut plan = vec![("c1".to_string(), 3, w1, 9, 1, false, true), ("c2".into(), w1, w2, 3, 2, false, true), ("c3".into(), w2, w3, 3, 2, false, true)];
        for i in 0..res_blocks {
            plan.push((format!("r{i}a"), w3, w3, 3, 1, false, true));
            plan.push((format!("r{i}b"), w3, w3, 3, 1, false, true));
        }
        plan.push(("u1".into(), w3, w2, 3, 1, true, true));
        plan.push(("u2".into(), w2, w1, 3, 1, true, true));
        plan.push(("out".into(), w1, 3, 9, 1, false, false));

        let graph = package.generator.graph.as_ref().ok_or_else(|| LearnError::Architecture("the generator has no graph".into()))?;
        let values: HashMap<&str, Vec<f32>> =
            graph.initializer.iter().filter_map(|t| Some((t.name.as_str(), t.float_values()?))).collect();
        let eps = values.get("eps").and_then(|e| e.first().copied()).unwrap_or(1e-5);
        let mut layers = Vec::with_capacity(plan.len());
        for (name, c_in, c_out, kernel, stride, upsample, norm) in plan {
            let weight = values.get(format!("{name}.weight").as_str()).cloned();
            let bias = values.get(format!("{name}.bias").as_str()).cloned();
            let (Some(weight), Some(bias)) = (weight, bias) else {
                return Err(LearnError::Architecture(format!("the generator has no float weights for layer {name}")));
            };
            if weight.len() != c_out * c_in * kernel * kernel || bias.len() != c_out {
                return Err(LearnError::Architecture(format!(
                    "layer {name} has {} weights and {} biases, the architecture needs {} and {c_out}",
                    weight.len(),
                    bias.len(),
                    c_out * c_in * kernel * kernel
                )));
            }
            layers.push(Layer { name, c_in, c_out, kernel, stride, upsample, norm, weight, bias });
        }
        let generator = StyleGenerator { layers, eps };
        for input in &package.manifest.network.style_inputs {
            let (layer, kind) = input.name.rsplit_once('.').unwrap_or(("", ""));
            let fits = generator.layers.iter().any(|l| l.norm && l.name == layer && l.c_out == input.channels);
            if !fits || !matches!(kind, "gamma" | "beta") {
                return Err(LearnError::Architecture(format!("style input {} ({} values) is not a norm of this plan", input.name, input.channels)));
            }
        }
        Ok(generator)
    }

    /// Paint `input` (`[3, h, w]` in 0..1, h and w multiples of 4) with `style`, keeping what the
    /// backward pass needs.
    pub fn forward(&self, input: &[f32], height: usize, width: usize, style: &StyleParams) -> Result<Tape, LearnError> {
        if !height.is_multiple_of(4) || !width.is_multiple_of(4) || height == 0 || width == 0 || input.len() != 3 * height * width {
            return Err(LearnError::Size { height, width });
        }
        let params: HashMap<&str, &[f32]> = style.inputs.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let (mut x, mut h, mut w) = (input.to_vec(), height, width);
        let mut skip: Vec<f32> = Vec::new();
        let mut saved = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            if layer.upsample {
                x = upsample2(&x, layer.c_in, h, w);
                (h, w) = (2 * h, 2 * w);
            }
            if layer.is_block_start() {
                skip = x.clone();
            }
            let shape = layer.shape(h, w);
            let mut z = conv2d(&shape, &x, &layer.weight, &layer.bias);
            (h, w) = (shape.oh, shape.ow);
            if !layer.norm {
                z.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp()));
                saved.push(Saved { shape, normalised: Vec::new(), inv_std: Vec::new(), open: Vec::new() });
                x = z;
                continue;
            }
            let gamma = style_input(&params, &layer.name, "gamma", layer.c_out)?;
            let beta = style_input(&params, &layer.name, "beta", layer.c_out)?;
            let (normalised, inv_std) = normalise_channels(&z, layer.c_out, self.eps);
            let plane = h * w;
            let mut open = Vec::new();
            for (c, (out, xh)) in z.chunks_exact_mut(plane).zip(normalised.chunks_exact(plane)).enumerate() {
                out.iter_mut().zip(xh).for_each(|(o, &v)| *o = gamma[c] * v + beta[c]);
            }
            if layer.is_block_end() {
                z.iter_mut().zip(&skip).for_each(|(v, s)| *v += s);
            } else {
                open = z.iter().map(|&v| v > 0.0).collect();
                z.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            saved.push(Saved { shape, normalised, inv_std, open });
            x = z;
        }
        Ok(Tape { saved, output: x, height: h, width: w })
    }

    /// d loss / d gamma and d beta of every norm, given d loss / d output (`[3, h, w]`).
    pub fn backward(&self, tape: &Tape, style: &StyleParams, grad_output: &[f32]) -> Result<StyleGrads, LearnError> {
        if grad_output.len() != tape.output.len() {
            return Err(LearnError::Size { height: tape.height, width: tape.width });
        }
        let params: HashMap<&str, &[f32]> = style.inputs.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        // Through the sigmoid: its derivative is y (1 - y).
        let mut g: Vec<f32> = grad_output.iter().zip(&tape.output).map(|(&d, &y)| d * y * (1.0 - y)).collect();
        let mut grads: HashMap<String, Vec<f32>> = HashMap::new();
        // The gradient at a block's output, which also reaches its start through the skip.
        let mut skip_grad: Vec<f32> = Vec::new();
        for (i, (layer, saved)) in self.layers.iter().zip(&tape.saved).enumerate().rev() {
            if layer.norm {
                if layer.is_block_end() {
                    skip_grad = g.clone();
                } else {
                    g.iter_mut().zip(&saved.open).for_each(|(d, &open)| if !open { *d = 0.0 });
                }
                let gamma = style_input(&params, &layer.name, "gamma", layer.c_out)?;
                let norm = instance_norm_backward(&saved.normalised, &saved.inv_std, gamma, &g, i > 0);
                grads.insert(format!("{}.gamma", layer.name), norm.gamma);
                grads.insert(format!("{}.beta", layer.name), norm.beta);
                let Some(input) = norm.input else { break };
                g = input;
            }
            if i == 0 {
                break;
            }
            g = conv2d_input_grad(&saved.shape, &g, &layer.weight);
            if layer.is_block_start() {
                g.iter_mut().zip(&skip_grad).for_each(|(d, s)| *d += s);
            }
            if layer.upsample {
                g = upsample2_backward(&g, layer.c_in, saved.shape.h / 2, saved.shape.w / 2);
            }
        }
        let inputs = style
            .inputs
            .iter()
            .map(|(name, values)| (name.clone(), grads.remove(name).unwrap_or_else(|| vec![0.0; values.len()])))
            .collect();
        Ok(StyleParams { inputs })
    }
}

fn style_input<'a>(params: &HashMap<&str, &'a [f32]>, layer: &str, kind: &str, channels: usize) -> Result<&'a [f32], LearnError> {
    let name = format!("{layer}.{kind}");
    match params.get(name.as_str()) {
        Some(v) if v.len() == channels => Ok(v),
        _ => Err(LearnError::Architecture(format!("the style has no {name} of {channels} values"))),
    }
}

/// Nearest x2 upsampling of `[c, h, w]`.
fn upsample2(x: &[f32], c: usize, h: usize, w: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(c * 4 * h * w);
    for row in x.chunks_exact(w).take(c * h) {
        let start = out.len();
        row.iter().for_each(|&v| out.extend([v, v]));
        out.extend_from_within(start..start + 2 * w);
    }
    out
}

/// The backward pass of `upsample2`: each input pixel's gradient is the sum over its 2x2 copies.
fn upsample2_backward(g: &[f32], c: usize, h: usize, w: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; c * h * w];
    for ch in 0..c {
        for y in 0..h {
            let (top, bottom) = (&g[(ch * 2 * h + 2 * y) * 2 * w..][..2 * w], &g[(ch * 2 * h + 2 * y + 1) * 2 * w..][..2 * w]);
            for (x, o) in out[(ch * h + y) * w..][..w].iter_mut().enumerate() {
                *o = top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsampling_backward_is_the_transpose_of_upsampling() {
        // <up(x), g> == <x, up_backward(g)> for any x and g.
        let (c, h, w) = (2, 3, 5);
        let x: Vec<f32> = (0..c * h * w).map(|i| (i as f32 * 0.37).sin()).collect();
        let g: Vec<f32> = (0..c * 4 * h * w).map(|i| (i as f32 * 0.11).cos()).collect();
        let up = upsample2(&x, c, h, w);
        let lhs: f32 = up.iter().zip(&g).map(|(a, b)| a * b).sum();
        let rhs: f32 = x.iter().zip(upsample2_backward(&g, c, h, w)).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-4, "{lhs} vs {rhs}");
    }
}
