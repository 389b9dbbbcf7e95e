//! The CPU engine: a small interpreter for the generator's op set (Conv, the written-out
//! instance norm, ReLU, residual Add, nearest Resize, Sigmoid, Clip).
//!
//! Chosen over tract-onnx (22 MB raw, 3.8 MB gzip for wasm) because the generators use a dozen
//! ops: this engine adds a few hundred KB. Convolutions are im2col + matrixmultiply's sgemm,
//! in row bands so the im2col buffer stays small even for 9x9 kernels on large images.

use std::collections::HashMap;
use std::rc::Rc;

use async_trait::async_trait;

use super::{Engine, EngineError, EngineKind, Tensors};
use crate::model::format::{ModelProto, NodeProto};
use crate::model::{specialise, GraphVariant, PreparedGraph};

/// im2col buffer budget per band, in floats (16 MB).
const IM2COL_BAND_FLOATS: usize = 4 << 20;

pub struct CpuEngine {
    model: ModelProto,
    compiled: HashMap<(GraphVariant, u32, u32), CompiledGraph>,
}

impl CpuEngine {
    pub fn new(model: ModelProto) -> Self {
        CpuEngine { model, compiled: HashMap::new() }
    }
}

#[derive(Clone)]
struct Value {
    shape: Vec<usize>,
    data: Rc<Vec<f32>>,
}

/// A specialised graph with what every run of it needs precomputed: the initializers as
/// float values (decoded once, shared by reference), and each tensor's last use.
struct CompiledGraph {
    prepared: PreparedGraph,
    constants: HashMap<String, Value>,
    last_use: HashMap<String, usize>,
}

impl CompiledGraph {
    fn new(prepared: PreparedGraph) -> Result<Self, EngineError> {
        let graph = prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
        let constants = graph
            .initializer
            .iter()
            .map(|init| {
                let data = init
                    .float_values()
                    .or_else(|| init.int_values().map(|v| v.into_iter().map(|x| x as f32).collect()))
                    .unwrap_or_default();
                (init.name.clone(), Value { shape: shape_of(&prepared, &init.name), data: data.into() })
            })
            .collect();
        let mut last_use = HashMap::new();
        for (i, node) in graph.node.iter().enumerate() {
            for input in &node.input {
                last_use.insert(input.clone(), i);
            }
        }
        Ok(CompiledGraph { prepared, constants, last_use })
    }
}

fn shape_of(prepared: &PreparedGraph, name: &str) -> Vec<usize> {
    prepared.shapes.get(name).map(|s| s.iter().map(|&d| d as usize).collect()).unwrap_or_default()
}

fn node_error(node: &NodeProto, reason: impl Into<String>) -> EngineError {
    EngineError::Graph(crate::model::GraphError::Shape { node: node.label(), reason: reason.into() })
}

#[async_trait(?Send)]
impl Engine for CpuEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Cpu
    }

    async fn run(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError> {
        let key = (variant, height, width);
        if !self.compiled.contains_key(&key) {
            let compiled = CompiledGraph::new(specialise(&self.model, height, width, variant)?)?;
            self.compiled.insert(key, compiled);
        }
        execute(&self.compiled[&key], inputs)
    }
}

fn execute(compiled: &CompiledGraph, inputs: &Tensors) -> Result<Tensors, EngineError> {
    let prepared = &compiled.prepared;
    let graph = prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
    let mut values: HashMap<&str, Value> = compiled.constants.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    for input in &graph.input {
        let shape = shape_of(prepared, &input.name);
        let expected: usize = shape.iter().product();
        let data = inputs.get(&input.name).ok_or_else(|| EngineError::MissingInput(input.name.clone()))?;
        if data.len() != expected {
            return Err(EngineError::BadInput { name: input.name.clone(), expected, actual: data.len() });
        }
        values.insert(&input.name, Value { shape, data: Rc::new(data.clone()) });
    }
    let outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();

    for (i, node) in graph.node.iter().enumerate() {
        let arg = |k: usize| -> Result<&Value, EngineError> {
            node.input
                .get(k)
                .and_then(|name| values.get(name.as_str()))
                .ok_or_else(|| node_error(node, format!("input #{k} is not available")))
        };
        let out_shape = shape_of(prepared, &node.output[0]);
        let data: Rc<Vec<f32>> = match node.op_type.as_str() {
            "Conv" => conv(node, arg(0)?, arg(1)?, arg(2)?, &out_shape)?.into(),
            "Relu" => unary(arg(0)?, |v| v.max(0.0)).into(),
            "Sigmoid" => unary(arg(0)?, |v| 1.0 / (1.0 + (-v).exp())).into(),
            "Sqrt" => unary(arg(0)?, f32::sqrt).into(),
            "Clip" => {
                let bound = |k: usize, default: f32| arg(k).ok().and_then(|v| v.data.first().copied()).unwrap_or(default);
                let (lo, hi) = (bound(1, f32::NEG_INFINITY), bound(2, f32::INFINITY));
                unary(arg(0)?, |v| v.clamp(lo, hi)).into()
            }
            "Add" => binary(arg(0)?, arg(1)?, &out_shape, |a, b| a + b).into(),
            "Sub" => binary(arg(0)?, arg(1)?, &out_shape, |a, b| a - b).into(),
            "Mul" => binary(arg(0)?, arg(1)?, &out_shape, |a, b| a * b).into(),
            "Div" => binary(arg(0)?, arg(1)?, &out_shape, |a, b| a / b).into(),
            "ReduceMean" => reduce_mean(node, arg(0)?)?.into(),
            // Same values, new shape: share them.
            "Reshape" => arg(0)?.data.clone(),
            "Resize" => resize_nearest(arg(0)?, &out_shape).into(),
            other => return Err(node_error(node, format!("the CPU engine has no {other}"))),
        };
        if data.len() != out_shape.iter().product::<usize>() {
            return Err(node_error(node, format!("produced {} values for shape {out_shape:?}", data.len())));
        }
        // Free each tensor after its last use: the activations of a large image are big.
        for input in &node.input {
            if compiled.last_use.get(input) == Some(&i) && !outputs.contains(&input.as_str()) {
                values.remove(input.as_str());
            }
        }
        values.insert(&node.output[0], Value { shape: out_shape, data });
    }
    outputs
        .iter()
        .map(|&name| {
            let value = values.remove(name).ok_or_else(|| EngineError::MissingOutput(name.to_string()))?;
            Ok((name.to_string(), Rc::try_unwrap(value.data).unwrap_or_else(|rc| (*rc).clone())))
        })
        .collect()
}

fn unary(x: &Value, f: impl Fn(f32) -> f32) -> Vec<f32> {
    x.data.iter().map(|&v| f(v)).collect()
}

/// numpy broadcasting for rank <= 4, with fast paths for the generator's shapes.
fn binary(a: &Value, b: &Value, out_shape: &[usize], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    if a.shape == b.shape {
        return a.data.iter().zip(b.data.iter()).map(|(&x, &y)| f(x, y)).collect();
    }
    // The instance norm's shapes: a feature map with a per-channel [1,C,1,1] or scalar operand.
    if a.shape.as_slice() == out_shape && a.shape.len() == 4 {
        let (c, plane) = (a.shape[1], a.shape[2] * a.shape[3]);
        if b.data.len() == 1 {
            let y = b.data[0];
            return a.data.iter().map(|&x| f(x, y)).collect();
        }
        if b.data.len() == c && b.shape.iter().rev().take(2).all(|&d| d == 1) {
            return a.data.chunks_exact(plane).zip(b.data.iter()).flat_map(|(xs, &y)| xs.iter().map(move |&x| (x, y))).map(|(x, y)| f(x, y)).collect();
        }
    }
    let rank = out_shape.len();
    let strides = |shape: &[usize]| -> Vec<usize> {
        let padded: Vec<usize> = std::iter::repeat(1).take(rank - shape.len()).chain(shape.iter().copied()).collect();
        let mut strides = vec![0; rank];
        let mut acc = 1;
        for d in (0..rank).rev() {
            strides[d] = if padded[d] == 1 { 0 } else { acc };
            acc *= padded[d];
        }
        strides
    };
    let (sa, sb) = (strides(&a.shape), strides(&b.shape));
    let total: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut index = vec![0usize; rank];
    for _ in 0..total {
        let (ia, ib) = index.iter().enumerate().fold((0, 0), |(ia, ib), (d, &i)| (ia + i * sa[d], ib + i * sb[d]));
        out.push(f(a.data[ia], b.data[ib]));
        for d in (0..rank).rev() {
            index[d] += 1;
            if index[d] < out_shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

fn reduce_mean(node: &NodeProto, x: &Value) -> Result<Vec<f32>, EngineError> {
    let rank = x.shape.len();
    let axes: Vec<usize> = match node.attr_ints("axes") {
        Some(axes) => axes.iter().map(|&a| if a < 0 { (a + rank as i64) as usize } else { a as usize }).collect(),
        None => (0..rank).collect(),
    };
    // The generators only reduce trailing axes (the linter enforces it for wonnx): then every
    // output value is the mean of one contiguous run.
    let run: usize = x.shape.iter().enumerate().filter(|(d, _)| axes.contains(d)).map(|(_, &s)| s).product();
    let trailing = axes.iter().all(|&a| a >= rank - axes.len());
    if !trailing || run == 0 {
        return Err(node_error(node, format!("ReduceMean over axes {axes:?} of {:?}", x.shape)));
    }
    Ok(x.data.chunks_exact(run).map(|c| (c.iter().map(|&v| v as f64).sum::<f64>() / run as f64) as f32).collect())
}

fn resize_nearest(x: &Value, out_shape: &[usize]) -> Vec<f32> {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    let (oh, ow) = (out_shape[2], out_shape[3]);
    let (sy, sx) = (oh / h, ow / w);
    let mut out = Vec::with_capacity(n * c * oh * ow);
    for plane in x.data.chunks_exact(h * w) {
        for y in 0..oh {
            let row = &plane[(y / sy) * w..(y / sy + 1) * w];
            out.extend((0..ow).map(|xo| row[xo / sx]));
        }
    }
    out
}

fn conv(node: &NodeProto, x: &Value, weight: &Value, bias: &Value, out_shape: &[usize]) -> Result<Vec<f32>, EngineError> {
    let (c_in, h, w) = (x.shape[1], x.shape[2], x.shape[3]);
    let (c_out, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3]);
    let (oh, ow) = (out_shape[2], out_shape[3]);
    let pads = node.attr_ints("pads").unwrap_or(&[0, 0, 0, 0]);
    let strides = node.attr_ints("strides").unwrap_or(&[1, 1]);
    let dilations = node.attr_ints("dilations").unwrap_or(&[1, 1]);
    if x.shape[0] != 1 || weight.shape[1] != c_in || bias.data.len() != c_out {
        return Err(node_error(node, format!("conv of {:?} with {:?}", x.shape, weight.shape)));
    }
    let (pt, pl) = (pads[0] as isize, pads[1] as isize);
    let (sh, sw) = (strides[0] as isize, strides[1] as isize);
    let (dh, dw) = (dilations[0] as isize, dilations[1] as isize);
    let k = c_in * kh * kw;
    let plane = oh * ow;
    let mut out = vec![0.0f32; c_out * plane];
    for (o, chunk) in out.chunks_exact_mut(plane).enumerate() {
        chunk.fill(bias.data[o]);
    }
    let band_rows = (IM2COL_BAND_FLOATS / (k * ow).max(1)).clamp(1, oh);
    let mut columns = vec![0.0f32; k * band_rows * ow];
    for row0 in (0..oh).step_by(band_rows) {
        let rows = band_rows.min(oh - row0);
        let n = rows * ow;
        // columns[k_index][pixel], pixel = (row - row0) * ow + col
        for ci in 0..c_in {
            let src = &x.data[ci * h * w..(ci + 1) * h * w];
            for ky in 0..kh {
                for kx in 0..kw {
                    let kidx = (ci * kh + ky) * kw + kx;
                    let dst = &mut columns[kidx * n..(kidx + 1) * n];
                    for r in 0..rows {
                        let iy = (row0 + r) as isize * sh - pt + ky as isize * dh;
                        let line = &mut dst[r * ow..(r + 1) * ow];
                        if iy < 0 || iy >= h as isize {
                            line.fill(0.0);
                            continue;
                        }
                        let src_row = &src[iy as usize * w..(iy as usize + 1) * w];
                        for (col, value) in line.iter_mut().enumerate() {
                            let ix = col as isize * sw - pl + kx as isize * dw;
                            *value = if ix >= 0 && ix < w as isize { src_row[ix as usize] } else { 0.0 };
                        }
                    }
                }
            }
        }
        // out[o, row0*ow ..] += W[o, k] * columns[k, n]
        unsafe {
            // SAFETY: the pointers and strides describe in-bounds matrices: weight is c_out x k
            // (row-major), columns is k x n (row-major, n = rows * ow), and the output band
            // starts at row0 * ow in each of c_out planes of `plane` values, n of them.
            matrixmultiply::sgemm(
                c_out,
                k,
                n,
                1.0,
                weight.data.as_ptr(),
                k as isize,
                1,
                columns.as_ptr(),
                n as isize,
                1,
                1.0,
                out.as_mut_ptr().add(row0 * ow),
                plane as isize,
                1,
            );
        }
    }
    Ok(out)
}
