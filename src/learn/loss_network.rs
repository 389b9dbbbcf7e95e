//! The loss network (VGG19's first layers, as in training/): its forward pass to the named ReLU
//! outputs, keeping what the backward pass needs, and the backward pass to its input: the
//! gradient of a loss on those features with respect to the picture. Caffe's input convention
//! (training/atelier_train/network.py `VGGFeatures`): BGR, 0..255, the ImageNet mean subtracted;
//! 3x3 convolutions with zero padding 1, each followed by ReLU; 2x2 max pooling between blocks.

use std::collections::HashMap;

use crate::engine::conv::{conv2d, conv2d_input_grad, ConvShape};

use super::LearnError;

/// The ImageNet mean the network's inputs have subtracted, in its B, G, R order.
pub const MEAN_BGR: [f32; 3] = [103.939, 116.779, 123.68];

#[derive(Debug, Clone, PartialEq)]
pub enum LossLayer {
    /// A 3x3 convolution (`conv{block}_{i}`) and the ReLU after it (`relu{block}_{i}`).
    Conv { name: String, c_in: usize, c_out: usize, weight: Vec<f32>, bias: Vec<f32> },
    /// 2x2 max pooling, stride 2.
    Pool,
}

#[derive(Debug, Clone)]
pub struct LossNetwork {
    layers: Vec<LossLayer>,
}

/// One ReLU output of a forward pass, `[channels, height, width]`.
#[derive(Debug, Clone)]
pub struct FeatureMap {
    pub name: String,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub values: Vec<f32>,
}

/// A forward pass: every ReLU output up to the deepest one asked for (the backward pass needs
/// them all), and where each pool took its maxima.
pub struct Features {
    pub maps: Vec<FeatureMap>,
    /// Per pool, the index (in its input) of each output's maximum.
    pool_picks: Vec<Vec<u32>>,
    height: usize,
    width: usize,
}

impl Features {
    pub fn get(&self, relu: &str) -> Option<&FeatureMap> {
        self.maps.iter().find(|m| m.name == relu)
    }
}

fn conv_shape(c_in: usize, c_out: usize, h: usize, w: usize) -> ConvShape {
    ConvShape {
        c_in,
        h,
        w,
        c_out,
        kh: 3,
        kw: 3,
        oh: h,
        ow: w,
        pad_top: 1,
        pad_left: 1,
        stride: (1, 1),
        dilation: (1, 1),
        input_row0: 0,
        input_plane_rows: h,
    }
}

impl LossNetwork {
    /// Layers in order; each convolution's input channels must be the previous one's output.
    pub fn new(layers: Vec<LossLayer>) -> Result<Self, LearnError> {
        let mut channels = 3;
        for layer in &layers {
            if let LossLayer::Conv { name, c_in, c_out, weight, bias } = layer {
                if *c_in != channels || weight.len() != c_out * c_in * 9 || bias.len() != *c_out || !name.starts_with("conv") {
                    return Err(LearnError::Architecture(format!("loss layer {name}: {c_in} -> {c_out} channels after {channels}")));
                }
                channels = *c_out;
            }
        }
        Ok(LossNetwork { layers })
    }

    /// The ReLU outputs up to `deepest` (e.g. "relu4_1") of `rgb` (`[3, h, w]` in 0..1).
    pub fn forward(&self, rgb: &[f32], height: usize, width: usize, deepest: &str) -> Result<Features, LearnError> {
        if rgb.len() != 3 * height * width || height == 0 || width == 0 {
            return Err(LearnError::Size { height, width });
        }
        let plane = height * width;
        let mut x: Vec<f32> = (0..3).flat_map(|c| rgb[(2 - c) * plane..][..plane].iter().map(move |&v| v * 255.0 - MEAN_BGR[c])).collect();
        let (mut c, mut h, mut w) = (3, height, width);
        let (mut maps, mut pool_picks) = (Vec::new(), Vec::new());
        for layer in &self.layers {
            match layer {
                LossLayer::Pool => {
                    let (pooled, picks) = max_pool2(&x, c, h, w);
                    (x, h, w) = (pooled, h / 2, w / 2);
                    pool_picks.push(picks);
                }
                LossLayer::Conv { name, c_in, c_out, weight, bias } => {
                    x = conv2d(&conv_shape(*c_in, *c_out, h, w), &x, weight, bias);
                    x.iter_mut().for_each(|v| *v = v.max(0.0));
                    c = *c_out;
                    let relu = format!("relu{}", &name[4..]);
                    let done = relu == deepest;
                    maps.push(FeatureMap { name: relu, channels: c, height: h, width: w, values: x.clone() });
                    if done {
                        return Ok(Features { maps, pool_picks, height, width });
                    }
                }
            }
        }
        Err(LearnError::Architecture(format!("the loss network has no {deepest}")))
    }

    /// d loss / d rgb (`[3, h, w]`, the picture in 0..1) given d loss / d some of the forward
    /// pass's ReLU outputs, by name.
    pub fn backward(&self, features: &Features, grads: &HashMap<String, Vec<f32>>) -> Result<Vec<f32>, LearnError> {
        let last = features.maps.len();
        let mut g: Vec<f32> = Vec::new();
        let (mut map_i, mut pool_i) = (last, features.pool_picks.len());
        // The layers the forward pass ran, backwards.
        let ran = self.layers.iter().scan((0, 0), |(convs, _), l| {
            if *convs >= last {
                return None;
            }
            if matches!(l, LossLayer::Conv { .. }) {
                *convs += 1;
            }
            Some(l)
        });
        let ran: Vec<&LossLayer> = ran.collect();
        for layer in ran.into_iter().rev() {
            match layer {
                LossLayer::Pool => {
                    pool_i -= 1;
                    let map = &features.maps[map_i - 1];
                    g = max_pool2_backward(&g, &features.pool_picks[pool_i], map.channels * map.height * map.width);
                }
                LossLayer::Conv { c_in, c_out, weight, .. } => {
                    map_i -= 1;
                    let map = &features.maps[map_i];
                    if g.is_empty() {
                        g = vec![0.0; map.values.len()];
                    }
                    if let Some(extra) = grads.get(&map.name) {
                        if extra.len() != g.len() {
                            return Err(LearnError::Size { height: map.height, width: map.width });
                        }
                        g.iter_mut().zip(extra).for_each(|(a, b)| *a += b);
                    }
                    // Through the ReLU, then the convolution.
                    g.iter_mut().zip(&map.values).for_each(|(d, &y)| if y <= 0.0 { *d = 0.0 });
                    g = conv2d_input_grad(&conv_shape(*c_in, *c_out, map.height, map.width), &g, weight);
                }
            }
        }
        // Through the input convention: x_bgr = 255 * rgb (channels reversed) - mean.
        let plane = features.height * features.width;
        Ok((0..3).flat_map(|c| g[(2 - c) * plane..][..plane].iter().map(|&v| v * 255.0)).collect())
    }
}

/// 2x2 max pooling, stride 2 (odd last rows and columns dropped, as PyTorch's `max_pool2d`),
/// with the index of each maximum.
fn max_pool2(x: &[f32], c: usize, h: usize, w: usize) -> (Vec<f32>, Vec<u32>) {
    let (oh, ow) = (h / 2, w / 2);
    let mut out = Vec::with_capacity(c * oh * ow);
    let mut picks = Vec::with_capacity(c * oh * ow);
    for ch in 0..c {
        for y in 0..oh {
            for x0 in 0..ow {
                let mut best = (f32::NEG_INFINITY, 0usize);
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let i = (ch * h + 2 * y + dy) * w + 2 * x0 + dx;
                    if x[i] > best.0 {
                        best = (x[i], i);
                    }
                }
                out.push(best.0);
                picks.push(best.1 as u32);
            }
        }
    }
    (out, picks)
}

fn max_pool2_backward(g: &[f32], picks: &[u32], input_len: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; input_len];
    for (&d, &i) in g.iter().zip(picks) {
        out[i as usize] += d;
    }
    out
}
