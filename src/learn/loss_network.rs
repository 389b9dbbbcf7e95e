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

/// VGG19's layers up to conv5_1, in order (`None` for a pool): (name, input, output channels).
pub const VGG19_PLAN: [Option<(&str, usize, usize)>; 16] = [
    Some(("conv1_1", 3, 64)),
    Some(("conv1_2", 64, 64)),
    None,
    Some(("conv2_1", 64, 128)),
    Some(("conv2_2", 128, 128)),
    None,
    Some(("conv3_1", 128, 256)),
    Some(("conv3_2", 256, 256)),
    Some(("conv3_3", 256, 256)),
    Some(("conv3_4", 256, 256)),
    None,
    Some(("conv4_1", 256, 512)),
    Some(("conv4_2", 512, 512)),
    Some(("conv4_3", 512, 512)),
    Some(("conv4_4", 512, 512)),
    None,
];

impl LossNetwork {
    /// VGG19 up to the ReLU `deepest` from a safetensors file of tensors `conv{b}_{i}.weight` /
    /// `.bias`: float16 or float32 (the training data's `vgg19_conv1_1-conv5_1.fp16.safetensors`),
    /// or int8 weights with a float32 `.weight_scale` per output channel (the app's
    /// `loss-network.safetensors`, training/export_loss_network.py).
    pub fn from_safetensors(bytes: &[u8], deepest: &str) -> Result<Self, LearnError> {
        let tensors = safetensors(bytes)?;
        let mut layers = Vec::new();
        for step in VGG19_PLAN {
            let Some((name, c_in, c_out)) = step else {
                layers.push(LossLayer::Pool);
                continue;
            };
            let get = |suffix: &str, len: usize| -> Result<Vec<f32>, LearnError> {
                let key = format!("{name}.{suffix}");
                match tensors.get(&key) {
                    Some(v) if v.len() == len => Ok(v.clone()),
                    Some(v) => Err(LearnError::Architecture(format!("{key} has {} values, expected {len}", v.len()))),
                    None => Err(LearnError::Architecture(format!("the loss network file has no {key}"))),
                }
            };
            let mut weight = get("weight", c_out * c_in * 9)?;
            // int8 weights (training/export_loss_network.py) carry a scale per output channel.
            if tensors.contains_key(&format!("{name}.weight_scale")) {
                let scale = get("weight_scale", c_out)?;
                weight.chunks_exact_mut(c_in * 9).zip(&scale).for_each(|(w, s)| w.iter_mut().for_each(|v| *v *= s));
            }
            layers.push(LossLayer::Conv { name: name.to_string(), c_in, c_out, weight, bias: get("bias", c_out)? });
            if format!("relu{}", &name[4..]) == deepest {
                return LossNetwork::new(layers);
            }
        }
        Err(LearnError::Architecture(format!("VGG19 has no {deepest} before conv5_1")))
    }
}

/// The tensors of a safetensors file, as f32 (F16, BF16, F32, and I8 as its integers).
fn safetensors(bytes: &[u8]) -> Result<HashMap<String, Vec<f32>>, LearnError> {
    let bad = |why: &str| LearnError::Architecture(format!("not a safetensors file: {why}"));
    let header_len = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).ok_or_else(|| bad("too short"))?;
    let header_end = usize::try_from(header_len).ok().and_then(|n| n.checked_add(8)).filter(|&e| e <= bytes.len()).ok_or_else(|| bad("header length"))?;
    let header: HashMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..header_end]).map_err(|_| bad("header"))?;
    let data = &bytes[header_end..];
    let mut out = HashMap::new();
    for (name, entry) in header {
        if name == "__metadata__" {
            continue;
        }
        let dtype = entry.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
        let offsets: Vec<usize> = entry.get("data_offsets").and_then(|o| o.as_array()).map(|o| o.iter().filter_map(|v| v.as_u64().map(|v| v as usize)).collect()).unwrap_or_default();
        let [begin, end] = offsets[..] else { return Err(bad("offsets")) };
        let raw = data.get(begin..end).filter(|_| begin <= end).ok_or_else(|| bad("offsets past the end"))?;
        let values = match dtype {
            "F32" => raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            "F16" => raw.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))).collect(),
            "BF16" => raw.chunks_exact(2).map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16)).collect(),
            "I8" => raw.iter().map(|&b| b as i8 as f32).collect(),
            other => return Err(LearnError::Architecture(format!("tensor {name} is {other}, not a float type"))),
        };
        out.insert(name, values);
    }
    Ok(out)
}

/// IEEE half precision to single (subnormals, infinities and NaN included).
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exponent = ((h >> 10) & 0x1f) as u32;
    let mantissa = (h & 0x3ff) as u32;
    let bits = match exponent {
        0 if mantissa == 0 => sign,
        0 => {
            // Subnormal: normalise it.
            let shift = mantissa.leading_zeros() - 21;
            sign | ((127 - 15 + 1 - shift) << 23) | (((mantissa << shift) & 0x3ff) << 13)
        }
        0x1f => sign | 0x7f80_0000 | (mantissa << 13),
        _ => sign | ((exponent + 127 - 15) << 23) | (mantissa << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_convert_exactly() {
        for (h, f) in [(0x3c00u16, 1.0f32), (0xc000, -2.0), (0x3555, 0.333_251_95), (0x0001, 5.960_464_5e-8), (0x03ff, 6.097_555e-5), (0x7bff, 65504.0), (0x0000, 0.0)] {
            assert_eq!(f16_to_f32(h), f, "{h:#06x}");
        }
        assert!(f16_to_f32(0x7c00).is_infinite() && f16_to_f32(0x7e00).is_nan());
    }

    /// A safetensors file of the given (name, dtype, shape, bytes).
    fn file(tensors: &[(&str, &str, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let (mut header, mut data) = (serde_json::Map::new(), Vec::<u8>::new());
        for (name, dtype, shape, bytes) in tensors {
            header.insert(name.to_string(), serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [data.len(), data.len() + bytes.len()]}));
            data.extend(bytes);
        }
        let header = serde_json::to_vec(&header).unwrap();
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend(header);
        out.extend(data);
        out
    }

    #[test]
    fn int8_weights_are_scaled_per_output_channel() {
        let q: Vec<u8> = (0..64 * 27).map(|i: i32| ((i % 255) - 127) as i8 as u8).collect();
        let scale: Vec<u8> = (0..64).flat_map(|o| (0.01 * (o + 1) as f32).to_le_bytes()).collect();
        let bias: Vec<u8> = (0..64).flat_map(|o| (o as f32).to_le_bytes()).collect();
        let bytes = file(&[
            ("conv1_1.weight", "I8", vec![64, 3, 3, 3], q.clone()),
            ("conv1_1.weight_scale", "F32", vec![64], scale),
            ("conv1_1.bias", "F32", vec![64], bias),
        ]);
        let network = LossNetwork::from_safetensors(&bytes, "relu1_1").unwrap();
        let LossLayer::Conv { weight, bias, .. } = &network.layers[0] else { panic!("not a convolution") };
        for (i, w) in weight.iter().enumerate() {
            let expected = (q[i] as i8) as f32 * 0.01 * (i / 27 + 1) as f32;
            assert!((w - expected).abs() <= 1e-6 * expected.abs().max(1.0), "weight {i}: {w} vs {expected}");
        }
        assert_eq!(bias[5], 5.0);
        // A scale of the wrong length is refused by name.
        let bad = file(&[
            ("conv1_1.weight", "I8", vec![64, 3, 3, 3], q),
            ("conv1_1.weight_scale", "F32", vec![2], vec![0; 8]),
            ("conv1_1.bias", "F32", vec![64], vec![0; 256]),
        ]);
        let error = LossNetwork::from_safetensors(&bad, "relu1_1").unwrap_err();
        assert!(error.to_string().contains("conv1_1.weight_scale"), "{error}");
        // Asking for a layer past the file's is refused too.
        assert!(LossNetwork::from_safetensors(&bytes, "relu2_1").is_err());
    }

    #[test]
    fn a_truncated_or_foreign_file_is_refused() {
        assert!(safetensors(b"1234").is_err());
        assert!(safetensors(&[255, 255, 255, 255, 0, 0, 0, 0, b'{']).is_err());
        let mut file = 20u64.to_le_bytes().to_vec();
        file.extend(br#"{"a":{"dtype":"I8"}}"#);
        assert!(safetensors(&file).is_err());
    }
}
