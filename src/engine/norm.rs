//! The written-out instance norm as one op. The package's graph spells each norm as a dozen nodes
//! (wonnx has no InstanceNormalization): centre with the mean, square, two ReduceMeans for the
//! variance, add epsilon, square root, divide, scale, shift, then ReLU or the residual Add. Run
//! node by node that is seven passes over the feature map, a fresh tensor for the squares, and all
//! of it on one thread. Fused it is two passes (variance, then everything else in place), split
//! across threads by channel, with the same arithmetic in the same order: the bits do not change
//! (tested against the engine with fusion off).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::threads::{map_parallel, threads};
use crate::model::format::NodeProto;
use crate::model::PreparedGraph;

/// What comes after the shift.
#[derive(Debug, Clone, PartialEq)]
pub enum NormTail {
    Relu,
    /// A residual block's second norm: `skip + norm(x)`.
    AddSkip(String),
}

/// One instance norm found in the graph.
#[derive(Debug, Clone)]
pub struct NormPlan {
    /// The nodes it covers, from the centring Sub to the tail; the mean is computed before it.
    pub nodes: Range<usize>,
    pub x: String,
    pub mean: String,
    /// The variance as an input of the graph (tiles with injected statistics)...
    pub var_input: Option<String>,
    /// ...or computed inside, under this name (a graph output when statistics are emitted).
    pub var_output: Option<String>,
    pub eps: String,
    pub gamma: String,
    pub beta: String,
    pub tail: NormTail,
    /// The tail's output.
    pub output: String,
}

/// Mean of `f` of each value: eight f32 partial sums (vectorisable, and each sums 1/8 of the
/// values, which keeps the rounding error of a 512x512 plane near f64 summation's), then f64.
/// ReduceMean and the fused norm both use it, so they agree to the bit.
#[inline(always)]
pub fn mean_of(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut partial = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| f(v) as f64).sum();
    for chunk in chunks {
        for (p, &v) in partial.iter_mut().zip(chunk) {
            *p += f(v);
        }
    }
    ((partial.iter().map(|&p| p as f64).sum::<f64>() + tail) / values.len() as f64) as f32
}

/// Normalise `x` (`[C, H, W]`) in place: `(x - mean) / sqrt(var + eps) * gamma + beta`, then ReLU
/// or `skip +`. The variance is `given_var` or computed as the graph does (the mean over rows of
/// each row's mean of squares); returns it per channel.
#[allow(clippy::too_many_arguments)]
pub fn instance_norm(
    x: &mut [f32],
    (channels, height, width): (usize, usize, usize),
    mean: &[f32],
    given_var: Option<&[f32]>,
    eps: f32,
    gamma: &[f32],
    beta: &[f32],
    skip: Option<&[f32]>,
) -> Vec<f32> {
    let plane = height * width;
    assert!(x.len() == channels * plane && mean.len() == channels && gamma.len() == channels && beta.len() == channels);
    assert!(given_var.is_none_or(|v| v.len() == channels) && skip.is_none_or(|s| s.len() == x.len()));
    let pieces = channels.min(threads() * 2).max(1);
    let per_piece = channels.div_ceil(pieces);
    let base = SharedMut(x.as_mut_ptr());
    let variances = map_parallel(pieces, |piece| {
        let first = (piece * per_piece).min(channels);
        let last = ((piece + 1) * per_piece).min(channels);
        // SAFETY: the pieces cover disjoint channel ranges of `x`, and `map_parallel` returns only
        // after every piece has finished, while `x` is still borrowed mutably by this function.
        let planes = unsafe { std::slice::from_raw_parts_mut(base.get().add(first * plane), (last - first) * plane) };
        let mut vars = Vec::with_capacity(last - first);
        for (k, values) in planes.chunks_exact_mut(plane.max(1)).enumerate() {
            let c = first + k;
            let m = mean[c];
            let var = match given_var {
                Some(v) => v[c],
                None => {
                    let row_means: Vec<f32> = values
                        .chunks_exact(width.max(1))
                        .map(|row| {
                            mean_of(row, |v| {
                                let d = v - m;
                                d * d
                            })
                        })
                        .collect();
                    mean_of(&row_means, |v| v)
                }
            };
            let std = (var + eps).sqrt();
            let (g, b) = (gamma[c], beta[c]);
            match skip {
                None => values.iter_mut().for_each(|v| {
                    let y = (*v - m) / std * g + b;
                    *v = if y > 0.0 { y } else { 0.0 };
                }),
                Some(skip) => {
                    let skip = &skip[c * plane..(c + 1) * plane];
                    values.iter_mut().zip(skip).for_each(|(v, &s)| *v = s + ((*v - m) / std * g + b));
                }
            }
            vars.push(var);
        }
        vars
    });
    variances.concat()
}

/// Instance norm for learning: each channel of `x` (`[C, plane]`) normalised, `(x - mean) /
/// sqrt(var + eps)` with the biased variance (as `instance_norm` and the graph compute it), and
/// each channel's `1 / sqrt(var + eps)`; both are what the backward pass needs.
pub fn normalise_channels(x: &[f32], channels: usize, eps: f32) -> (Vec<f32>, Vec<f32>) {
    let plane = x.len() / channels.max(1);
    let mut normalised = vec![0.0f32; x.len()];
    let mut inv_std = Vec::with_capacity(channels);
    for (values, out) in x.chunks_exact(plane.max(1)).zip(normalised.chunks_exact_mut(plane.max(1))) {
        let m = mean_of(values, |v| v);
        let var = mean_of(values, |v| (v - m) * (v - m));
        let inv = 1.0 / (var + eps).sqrt();
        out.iter_mut().zip(values).for_each(|(o, &v)| *o = (v - m) * inv);
        inv_std.push(inv);
    }
    (normalised, inv_std)
}

/// The gradients of `y = gamma * x_hat + beta` (per channel, `x_hat` from `normalise_channels`)
/// given the loss's gradient at `y`.
pub struct NormGrads {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    /// At the norm's input (before normalising); None where it was not asked for.
    pub input: Option<Vec<f32>>,
}

/// The backward pass of instance norm with scale and shift: d gamma = sum(dy * x_hat),
/// d beta = sum(dy), and through the normalisation (its mean and variance depend on every
/// value of the channel) dx = gamma * inv_std * (dy - mean(dy) - x_hat * mean(dy * x_hat)).
pub fn instance_norm_backward(x_hat: &[f32], inv_std: &[f32], gamma: &[f32], grad_y: &[f32], want_input: bool) -> NormGrads {
    let channels = inv_std.len();
    let plane = x_hat.len() / channels.max(1);
    assert!(grad_y.len() == x_hat.len() && gamma.len() == channels);
    let mut d_gamma = Vec::with_capacity(channels);
    let mut d_beta = Vec::with_capacity(channels);
    let mut d_input = want_input.then(|| vec![0.0f32; x_hat.len()]);
    for c in 0..channels {
        let (xh, dy) = (&x_hat[c * plane..][..plane], &grad_y[c * plane..][..plane]);
        let (mut sum_dy, mut sum_dy_xh) = (0.0f64, 0.0f64);
        for (&g, &v) in dy.iter().zip(xh) {
            sum_dy += g as f64;
            sum_dy_xh += (g * v) as f64;
        }
        d_gamma.push(sum_dy_xh as f32);
        d_beta.push(sum_dy as f32);
        if let Some(dx) = d_input.as_mut() {
            let (mean_dy, mean_dy_xh) = ((sum_dy / plane as f64) as f32, (sum_dy_xh / plane as f64) as f32);
            let k = gamma[c] * inv_std[c];
            for ((d, &g), &v) in dx[c * plane..][..plane].iter_mut().zip(dy).zip(xh) {
                *d = k * (g - mean_dy - v * mean_dy_xh);
            }
        }
    }
    NormGrads { gamma: d_gamma, beta: d_beta, input: d_input }
}

/// A raw pointer that may cross to the pool's threads (see the SAFETY note where it is used).
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}
impl SharedMut {
    /// A method, not the field: closures then capture the whole (Sync) wrapper.
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// The instance norms the fused op computes exactly, by the index of their centring Sub. A norm
/// is fused only when its nodes are consecutive, every tensor between them is read by them alone
/// and none is a graph output (except the variance, which is then also kept).
pub fn fusable_instance_norms(prepared: &PreparedGraph, constant_lens: &HashMap<String, usize>) -> HashMap<usize, NormPlan> {
    let mut plans = HashMap::new();
    let Some(graph) = prepared.model.graph.as_ref() else {
        return plans;
    };
    let nodes = &graph.node;
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        for input in &node.input {
            readers.entry(input.as_str()).or_default().push(i);
        }
        for output in &node.output {
            producer.insert(output.as_str(), i);
        }
    }
    let graph_outputs: HashSet<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    let op = |j: usize, op_type: &str, inputs: usize| -> Option<&NodeProto> {
        nodes.get(j).filter(|n| n.op_type == op_type && n.input.len() == inputs && n.output.len() == 1)
    };
    let reduces = |n: &NodeProto, axis: i64| n.attr_ints("axes") == Some(&[axis][..]) && n.attr_int("keepdims").unwrap_or(1) == 1;

    for i in 0..nodes.len() {
        let Some(plan) = (|| {
            let sub = op(i, "Sub", 2).filter(|n| n.input[1].ends_with(".mean"))?;
            let (x, mean, centred) = (&sub.input[0], &sub.input[1], &sub.output[0]);
            let mut inside = vec![centred.as_str()];
            let mut j = i + 1;
            let mut var_output = None;
            if let Some(square) = op(j, "Mul", 2).filter(|n| n.input[0] == *centred && n.input[1] == *centred) {
                let r1 = op(j + 1, "ReduceMean", 1).filter(|n| n.input[0] == square.output[0] && reduces(n, 3))?;
                let s1 = op(j + 2, "Reshape", 2).filter(|n| n.input[0] == r1.output[0])?;
                let r2 = op(j + 3, "ReduceMean", 1).filter(|n| n.input[0] == s1.output[0] && reduces(n, 2))?;
                let s2 = op(j + 4, "Reshape", 2).filter(|n| n.input[0] == r2.output[0] && n.output[0].ends_with(".var"))?;
                inside.extend([&square.output[0], &r1.output[0], &s1.output[0], &r2.output[0]].map(String::as_str));
                var_output = Some(s2.output[0].clone());
                j += 5;
            }
            let add_eps = op(j, "Add", 2).filter(|n| constant_lens.get(&n.input[1]) == Some(&1))?;
            let var = &add_eps.input[0];
            let var_input = match &var_output {
                Some(computed) if computed == var => None,
                Some(_) => return None,
                None if var.ends_with(".var") && !producer.contains_key(var.as_str()) => Some(var.clone()),
                None => return None,
            };
            let sqrt = op(j + 1, "Sqrt", 1).filter(|n| n.input[0] == add_eps.output[0])?;
            let div = op(j + 2, "Div", 2).filter(|n| n.input[0] == *centred && n.input[1] == sqrt.output[0])?;
            let scale = op(j + 3, "Mul", 2).filter(|n| n.input[0] == div.output[0])?;
            let shift = op(j + 4, "Add", 2).filter(|n| n.input[0] == scale.output[0])?;
            let shifted = &shift.output[0];
            let last = nodes.get(j + 5)?;
            let tail = match (last.op_type.as_str(), &last.input[..]) {
                ("Relu", [a]) if a == shifted => NormTail::Relu,
                ("Add", [a, b]) if b == shifted && a != shifted => NormTail::AddSkip(a.clone()),
                ("Add", [a, b]) if a == shifted && b != shifted => NormTail::AddSkip(b.clone()),
                _ => return None,
            };
            let range = i..j + 6;
            inside.extend([&add_eps.output[0], &sqrt.output[0], &div.output[0], &scale.output[0], shifted].map(String::as_str));
            let read_inside_only = |t: &str| readers.get(t).is_some_and(|r| r.iter().all(|k| range.contains(k)));
            if inside.iter().any(|t| graph_outputs.contains(t) || !read_inside_only(t)) {
                return None;
            }
            if var_output.as_deref().is_some_and(|v| readers.get(v).is_some_and(|r| r.iter().any(|k| !range.contains(k)))) {
                return None;
            }
            // What the fused op reads must exist when it runs, at the Sub.
            let (gamma, beta) = (&scale.input[1], &shift.input[1]);
            let made_inside = |t: &str| producer.get(t).is_some_and(|k| range.contains(k));
            let skip_name = match &tail {
                NormTail::AddSkip(s) => Some(s.as_str()),
                NormTail::Relu => None,
            };
            if [x.as_str(), mean, gamma, beta].into_iter().chain(skip_name).any(made_inside) || x == mean {
                return None;
            }
            let x_shape = prepared.shape(x);
            if x_shape.len() != 4 || x_shape[0] != 1 || prepared.shape(&last.output[0]) != x_shape {
                return None;
            }
            Some(NormPlan {
                nodes: range,
                x: x.clone(),
                mean: mean.clone(),
                var_input,
                var_output,
                eps: add_eps.input[1].clone(),
                gamma: gamma.clone(),
                beta: beta.clone(),
                tail,
                output: last.output[0].clone(),
            })
        })() else {
            continue;
        };
        plans.insert(i, plan);
    }
    plans
}
