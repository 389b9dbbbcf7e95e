//! The CPU engine: a small interpreter for the generator's op set (Conv, the written-out
//! instance norm, ReLU, residual Add, nearest Resize, Sigmoid, Clip).
//!
//! Chosen over tract-onnx (22 MB raw, 3.8 MB gzip for wasm) because the generators use a dozen
//! ops: this engine adds a few hundred KB. Convolutions are in `conv` (Winograd, direct and
//! im2col kernels picked per layer); a nearest x2 Resize read only by a 3x3 Conv runs fused
//! with it, so the upsampled tensor is never made; the written-out instance norm (centre,
//! variance, scale, shift, ReLU or the residual Add) runs as one threaded op (`norm`).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_trait::async_trait;

use super::conv::{conv2d, conv2d_with, upsample2_conv3x3, winograd_weights, ConvAlgorithm, ConvShape};
use super::norm::{fusable_instance_norms, instance_norm, mean_of, NormPlan, NormTail};
use super::{Checkpoint, Engine, EngineError, EngineKind, Tensors};
use crate::model::format::{ModelProto, NodeProto};
use crate::model::{specialise_within, GraphVariant, PreparedGraph};

/// The CPU engine has no per-buffer limit like wonnx's 2^24 elements; this bounds one tensor's
/// memory (256 MB) so a huge pass fails with a clear error instead of exhausting wasm's 4 GB.
/// 64M elements: a 1024x1024 pass of the generator (32 channels at full size) fits.
pub const CPU_MAX_TENSOR_ELEMENTS: usize = 1 << 26;

pub struct CpuEngine {
    model: ModelProto,
    compiled: HashMap<(GraphVariant, u32, u32), CompiledGraph>,
    /// Awaited between nodes: where a browser worker lets a cancel message in.
    checkpoint: Option<Checkpoint>,
    fuse_norms: bool,
}

impl CpuEngine {
    pub fn new(model: ModelProto) -> Self {
        CpuEngine { model, compiled: HashMap::new(), checkpoint: None, fuse_norms: true }
    }

    /// The engine running every node of the written-out instance norm on its own, as the graph
    /// says: what the fused op is tested against (it must give the same bits).
    pub fn without_norm_fusion(model: ModelProto) -> Self {
        CpuEngine { fuse_norms: false, ..CpuEngine::new(model) }
    }

    /// How many instance norms of the graph at this size run fused (tests: the fusion must find
    /// every norm of the shipped generator, or its speed-up silently goes).
    pub fn fused_norms(&mut self, variant: GraphVariant, height: u32, width: u32) -> Result<usize, EngineError> {
        Ok(self.compiled(variant, height, width)?.norms.len())
    }

    fn compiled(&mut self, variant: GraphVariant, height: u32, width: u32) -> Result<&CompiledGraph, EngineError> {
        let key = (variant, height, width);
        if !self.compiled.contains_key(&key) {
            let compiled = CompiledGraph::new(
                specialise_within(&self.model, height, width, variant, CPU_MAX_TENSOR_ELEMENTS)?,
                self.fuse_norms,
            )?;
            self.compiled.insert(key, compiled);
        }
        Ok(&self.compiled[&key])
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
    /// Nearest x2 Resize nodes whose only reader is a 3x3 Conv: the Resize passes its input on
    /// and the Conv runs `upsample2_conv3x3` on it (node indices of both).
    fused_resizes: HashSet<usize>,
    fused_convs: HashSet<usize>,
    /// Instance norms run as one op, by the index of their first fused node (the Sub that
    /// centres the feature map); the other nodes they cover are skipped.
    norms: HashMap<usize, NormPlan>,
    covered_by_norms: HashSet<usize>,
    /// Winograd convolutions' transformed weights, by node index: made once here, not on every
    /// pass and band (that had cost ~1.5 ms of a 25 ms pass at 256 px).
    winograd: HashMap<usize, Vec<f32>>,
}

impl CompiledGraph {
    fn new(prepared: PreparedGraph, fuse_norms: bool) -> Result<Self, EngineError> {
        let graph = prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
        let constants = graph
            .initializer
            .iter()
            .map(|init| {
                let data = init
                    .float_values()
                    .or_else(|| init.int_values().map(|v| v.into_iter().map(|x| x as f32).collect()))
                    .unwrap_or_default();
                (init.name.clone(), Value { shape: prepared.shape(&init.name), data: data.into() })
            })
            .collect();
        let mut last_use = HashMap::new();
        for (i, node) in graph.node.iter().enumerate() {
            for input in &node.input {
                last_use.insert(input.clone(), i);
            }
        }
        let (fused_resizes, fused_convs) = fusable_upsample_convs(&prepared);
        let norms = if fuse_norms { fusable_instance_norms(&prepared, &constants_len(&constants)) } else { HashMap::new() };
        let covered_by_norms = norms.values().flat_map(|plan| plan.nodes.clone().skip(1)).collect();
        let graph = prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
        let winograd = graph
            .node
            .iter()
            .enumerate()
            .filter(|(i, node)| node.op_type == "Conv" && !fused_convs.contains(i) && node.input.len() == 3)
            .filter_map(|(i, node)| {
                let (weight, bias) = (constants.get(&node.input[1])?, constants.get(&node.input[2])?);
                let (x, out) = (prepared.shape(&node.input[0]), prepared.shape(&node.output[0]));
                let shape = conv_shape(node, &x, &weight.shape, bias.data.len(), &out)?;
                (shape.algorithm() == ConvAlgorithm::Winograd && weight.data.len() == shape.c_out * shape.c_in * 9)
                    .then(|| (i, winograd_weights(shape.c_out, shape.c_in, &weight.data)))
            })
            .collect();
        Ok(CompiledGraph { prepared, constants, last_use, fused_resizes, fused_convs, norms, covered_by_norms, winograd })
    }
}

/// (Resize, Conv) node pairs that `upsample2_conv3x3` computes exactly: a nearest Resize that
/// doubles H and W, read by nothing but a 3x3, stride-1, padding-1 Conv (not a graph output).
fn fusable_upsample_convs(prepared: &PreparedGraph) -> (HashSet<usize>, HashSet<usize>) {
    let (mut resizes, mut convs) = (HashSet::new(), HashSet::new());
    let Some(graph) = prepared.model.graph.as_ref() else {
        return (resizes, convs);
    };
    for (i, resize) in graph.node.iter().enumerate() {
        // Input pixel floor(y / 2) for output y: the only Resize the linter lets through, checked again.
        let floor_nearest = resize.attr_str("mode").as_deref() == Some("nearest")
            && resize.attr_str("nearest_mode").as_deref() == Some("floor")
            && resize.attr_str("coordinate_transformation_mode").as_deref() == Some("asymmetric");
        if resize.op_type != "Resize" || !floor_nearest {
            continue;
        }
        let Some(upsampled) = resize.output.first() else {
            continue;
        };
        let readers: Vec<usize> = graph
            .node
            .iter()
            .enumerate()
            .filter(|(_, n)| n.input.iter().any(|x| x == upsampled))
            .map(|(j, _)| j)
            .collect();
        let (small, big) = (prepared.shape(&resize.input[0]), prepared.shape(upsampled));
        let doubles = small.len() == 4 && big.len() == 4 && big[2] == 2 * small[2] && big[3] == 2 * small[3];
        let is_output = graph.output.iter().any(|o| &o.name == upsampled);
        let [j] = readers[..] else { continue };
        let conv = &graph.node[j];
        let weight = conv.input.get(1).map(|w| prepared.shape(w)).unwrap_or_default();
        let ones =
            |name: &str, n: usize| conv.attr_ints(name).is_none_or(|v| v.len() == n && v.iter().all(|&d| d == 1));
        let fits = conv.op_type == "Conv"
            && conv.input.first() == Some(upsampled)
            && conv.input.len() == 3
            && weight.len() == 4
            && weight[2] == 3
            && weight[3] == 3
            && conv.attr_ints("pads") == Some(&[1, 1, 1, 1])
            && ones("strides", 2)
            && ones("dilations", 2);
        if doubles && !is_output && fits {
            resizes.insert(i);
            convs.insert(j);
        }
    }
    (resizes, convs)
}

/// Each constant's number of values (the norm matcher wants a one-value epsilon).
fn constants_len(constants: &HashMap<String, Value>) -> HashMap<String, usize> {
    constants.iter().map(|(k, v)| (k.clone(), v.data.len())).collect()
}

fn node_error(node: &NodeProto, reason: impl Into<String>) -> EngineError {
    EngineError::Graph(crate::model::GraphError::Shape { node: node.label(), reason: reason.into() })
}

#[async_trait(?Send)]
impl Engine for CpuEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Cpu
    }

    fn max_tensor_elements(&self) -> usize {
        CPU_MAX_TENSOR_ELEMENTS
    }

    fn set_checkpoint(&mut self, checkpoint: Option<Checkpoint>) {
        self.checkpoint = checkpoint;
    }

    async fn run(
        &mut self,
        variant: GraphVariant,
        height: u32,
        width: u32,
        inputs: &Tensors,
    ) -> Result<Tensors, EngineError> {
        let checkpoint = self.checkpoint.clone();
        execute(self.compiled(variant, height, width)?, inputs, checkpoint.as_ref()).await
    }
}

async fn execute(compiled: &CompiledGraph, inputs: &Tensors, checkpoint: Option<&Checkpoint>) -> Result<Tensors, EngineError> {
    let prepared = &compiled.prepared;
    let graph = prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
    let mut values: HashMap<&str, Value> = compiled.constants.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    for input in &graph.input {
        let shape = prepared.shape(&input.name);
        let expected: usize = shape.iter().product();
        let data = inputs.get(&input.name).ok_or_else(|| EngineError::MissingInput(input.name.clone()))?;
        if data.len() != expected {
            return Err(EngineError::BadInput { name: input.name.clone(), expected, actual: data.len() });
        }
        values.insert(&input.name, Value { shape, data: Rc::new(data.clone()) });
    }
    let outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    let mut profile = OpProfile::from_env();

    for (i, node) in graph.node.iter().enumerate() {
        if compiled.covered_by_norms.contains(&i) {
            continue;
        }
        if let Some(checkpoint) = checkpoint {
            if !checkpoint().await {
                return Err(EngineError::Cancelled);
            }
        }
        if let Some(plan) = compiled.norms.get(&i) {
            let started = profile.start();
            run_norm(compiled, plan, &outputs, &mut values)?;
            profile.stop("InstanceNorm (fused)".to_string(), started);
            continue;
        }
        // An element-wise op whose first input dies here writes over that input's buffer
        // instead of a new one: at 1024 px a fresh 64 MB tensor costs more in page faults
        // than the arithmetic (measured: a third of the pass was spent in the kernel).
        let in_place = ELEMENTWISE.contains(&node.op_type.as_str())
            && node.input.first().is_some_and(|first| {
                compiled.last_use.get(first) == Some(&i)
                    && !outputs.contains(&first.as_str())
                    && !node.input[1..].contains(first)
            });
        let out_shape = prepared.shape(&node.output[0]);
        let mut taken = if in_place { take_unique(&mut values, &node.input[0], &out_shape) } else { None };
        let arg = |k: usize| -> Result<&Value, EngineError> {
            node.input
                .get(k)
                .and_then(|name| values.get(name.as_str()))
                .ok_or_else(|| node_error(node, format!("input #{k} is not available")))
        };
        let started = profile.start();
        let data: Rc<Vec<f32>> = match node.op_type.as_str() {
            "Conv" if compiled.fused_convs.contains(&i) => {
                let (x, bias) = (arg(0)?, arg(2)?);
                let expected = [1, x.shape[1], out_shape[2] / 2, out_shape[3] / 2];
                if x.shape != expected || x.data.len() != expected.iter().product::<usize>() {
                    return Err(node_error(node, format!("fused upsampling conv of {:?}", x.shape)));
                }
                upsample2_conv3x3(x.shape[1], x.shape[2], x.shape[3], &x.data, &arg(1)?.data, &bias.data).into()
            }
            "Conv" => conv(node, arg(0)?, arg(1)?, arg(2)?, &out_shape, compiled.winograd.get(&i))?.into(),
            // `if` rather than f32::max: max's NaN rule keeps LLVM from using the vector max.
            "Relu" => unary(taken.take(), arg, |v| if v > 0.0 { v } else { 0.0 })?.into(),
            "Sigmoid" => unary(taken.take(), arg, |v| 1.0 / (1.0 + (-v).exp()))?.into(),
            "Sqrt" => unary(taken.take(), arg, f32::sqrt)?.into(),
            "Clip" => {
                let bound =
                    |k: usize, default: f32| arg(k).ok().and_then(|v| v.data.first().copied()).unwrap_or(default);
                let (lo, hi) = (bound(1, f32::NEG_INFINITY), bound(2, f32::INFINITY));
                unary(taken.take(), arg, |v| {
                    if v < lo {
                        lo
                    } else if v > hi {
                        hi
                    } else {
                        v
                    }
                })?
                .into()
            }
            "Add" => binary(taken.take(), arg, &out_shape, |a, b| a + b)?.into(),
            "Sub" => binary(taken.take(), arg, &out_shape, |a, b| a - b)?.into(),
            "Mul" => binary(taken.take(), arg, &out_shape, |a, b| a * b)?.into(),
            "Div" => binary(taken.take(), arg, &out_shape, |a, b| a / b)?.into(),
            "ReduceMean" => reduce_mean(node, arg(0)?)?.into(),
            // Same values, new shape: share them.
            "Reshape" => arg(0)?.data.clone(),
            "Resize" if compiled.fused_resizes.contains(&i) => {
                // The Conv that reads it upsamples as it goes: pass the small tensor on.
                let small = arg(0)?.clone();
                free_last_uses(compiled, node, i, &outputs, &mut values);
                values.insert(&node.output[0], small);
                continue;
            }
            "Resize" => resize_nearest(arg(0)?, &out_shape).into(),
            other => return Err(node_error(node, format!("the CPU engine has no {other}"))),
        };
        if data.len() != out_shape.iter().product::<usize>() {
            return Err(node_error(node, format!("produced {} values for shape {out_shape:?}", data.len())));
        }
        if profile.enabled {
            let label = match (node.op_type.as_str(), node.input.get(1).and_then(|w| values.get(w.as_str()))) {
                ("Conv", Some(w)) if w.shape.len() == 4 => {
                    let fused = if compiled.fused_convs.contains(&i) { ", upsampling fused" } else { "" };
                    format!("Conv {}x{} {}->{}{fused}", w.shape[2], w.shape[3], w.shape[1], w.shape[0])
                }
                (op, _) => op.to_string(),
            };
            profile.stop(label, started);
        }
        free_last_uses(compiled, node, i, &outputs, &mut values);
        values.insert(&node.output[0], Value { shape: out_shape, data });
    }
    profile.report();
    outputs
        .iter()
        .map(|&name| {
            let value = values.remove(name).ok_or_else(|| EngineError::MissingOutput(name.to_string()))?;
            Ok((name.to_string(), Rc::try_unwrap(value.data).unwrap_or_else(|rc| (*rc).clone())))
        })
        .collect()
}

/// One fused instance norm: its result under the last covered node's output name (and the
/// variance where it is a graph output); every input whose last use it covers is freed.
fn run_norm<'g>(
    compiled: &'g CompiledGraph,
    plan: &'g NormPlan,
    outputs: &[&str],
    values: &mut HashMap<&'g str, Value>,
) -> Result<(), EngineError> {
    let graph = compiled.prepared.model.graph.as_ref().ok_or(EngineError::MissingOutput("graph".into()))?;
    let first = &graph.node[plan.nodes.start];
    let get = |values: &HashMap<&str, Value>, name: &str| {
        values.get(name).cloned().ok_or_else(|| node_error(first, format!("{name} is not available")))
    };
    let (x_shape, mean, gamma, beta) =
        (get(values, &plan.x)?.shape, get(values, &plan.mean)?, get(values, &plan.gamma)?, get(values, &plan.beta)?);
    let eps = get(values, &plan.eps)?.data.first().copied().unwrap_or_default();
    let given_var = plan.var_input.as_deref().map(|name| get(values, name)).transpose()?;
    let skip = match &plan.tail {
        NormTail::AddSkip(name) => Some(get(values, name)?),
        NormTail::Relu => None,
    };
    let channels = x_shape.get(1).copied().unwrap_or(0);
    let per_channel = |v: &Value| v.data.len() == channels;
    if x_shape.len() != 4
        || x_shape[0] != 1
        || !per_channel(&mean)
        || !per_channel(&gamma)
        || !per_channel(&beta)
        || given_var.as_ref().is_some_and(|v| !per_channel(v))
        || skip.as_ref().is_some_and(|s| s.shape != x_shape)
    {
        return Err(node_error(first, format!("fused instance norm of {x_shape:?}")));
    }
    // X dies inside the norm (its mean was taken before): write over it where nothing shares it.
    let dies_here = plan.nodes.contains(compiled.last_use.get(&plan.x).unwrap_or(&usize::MAX));
    let mut x = if dies_here && !outputs.contains(&plan.x.as_str()) {
        take_unique(values, &plan.x, &x_shape).unwrap_or_else(|| values[plan.x.as_str()].data.to_vec())
    } else {
        get(values, &plan.x)?.data.to_vec()
    };
    let (height, width) = (x_shape[2], x_shape[3]);
    let var = instance_norm(
        &mut x,
        (channels, height, width),
        &mean.data,
        given_var.as_ref().map(|v| v.data.as_slice()),
        eps,
        &gamma.data,
        &beta.data,
        skip.as_ref().map(|s| s.data.as_slice()),
    );
    // Every input whose last use is one of the covered nodes dies with them.
    for (k, node) in graph.node[plan.nodes.clone()].iter().enumerate() {
        free_last_uses(compiled, node, plan.nodes.start + k, outputs, values);
    }
    if let Some(name) = plan.var_output.as_deref().filter(|name| outputs.contains(name)) {
        values.insert(name, Value { shape: vec![1, channels, 1, 1], data: Rc::new(var) });
    }
    values.insert(plan.output.as_str(), Value { shape: x_shape, data: Rc::new(x) });
    Ok(())
}

/// Time per operator type over one pass, printed to stderr when `ATELIER_PROFILE` is set
/// (native only: wasm has no clock here). For the benchmarks' "what is the gap made of".
#[derive(Default)]
struct OpProfile {
    enabled: bool,
    totals: Vec<(String, f64, usize)>,
}

#[cfg(not(target_arch = "wasm32"))]
type ProfileStart = Option<std::time::Instant>;
#[cfg(target_arch = "wasm32")]
type ProfileStart = Option<()>;

impl OpProfile {
    fn from_env() -> Self {
        OpProfile {
            enabled: !cfg!(target_arch = "wasm32") && std::env::var_os("ATELIER_PROFILE").is_some(),
            totals: Vec::new(),
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn start(&self) -> ProfileStart {
        self.enabled.then(std::time::Instant::now)
    }
    #[cfg(target_arch = "wasm32")]
    fn start(&self) -> ProfileStart {
        None
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn stop(&mut self, name: String, started: ProfileStart) {
        let Some(started) = started else { return };
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match self.totals.iter_mut().find(|(n, ..)| *n == name) {
            Some((_, total, count)) => {
                *total += ms;
                *count += 1;
            }
            None => self.totals.push((name, ms, 1)),
        }
    }
    #[cfg(target_arch = "wasm32")]
    fn stop(&mut self, _: String, _: ProfileStart) {}

    fn report(&mut self) {
        if !self.enabled {
            return;
        }
        self.totals.sort_by(|a, b| b.1.total_cmp(&a.1));
        let all: f64 = self.totals.iter().map(|t| t.1).sum();
        for (name, ms, count) in &self.totals {
            eprintln!("profile {name:36} {count:3} nodes {ms:9.1} ms {:5.1} %", 100.0 * ms / all.max(1e-9));
        }
    }
}

/// Free each tensor after its last use: the activations of a large image are big.
fn free_last_uses<'g>(
    compiled: &'g CompiledGraph,
    node: &NodeProto,
    i: usize,
    outputs: &[&str],
    values: &mut HashMap<&'g str, Value>,
) {
    for input in &node.input {
        if compiled.last_use.get(input) == Some(&i) && !outputs.contains(&input.as_str()) {
            values.remove(input.as_str());
        }
    }
}

/// The ops that may write over their first input (`take_unique`).
const ELEMENTWISE: [&str; 8] = ["Relu", "Sigmoid", "Sqrt", "Clip", "Add", "Sub", "Mul", "Div"];

/// The values of `name`, taken out of `values`, when nothing else shares them and they have
/// the node's output shape (the first input of an element-wise op at its last use).
fn take_unique(values: &mut HashMap<&str, Value>, name: &str, out_shape: &[usize]) -> Option<Vec<f32>> {
    let value = values.get_mut(name)?;
    if value.shape != out_shape || value.data.len() != out_shape.iter().product::<usize>() {
        return None;
    }
    Rc::get_mut(&mut value.data)?;
    let value = values.remove(name)?;
    Rc::try_unwrap(value.data).ok()
}

/// `f` of each value of input 0: in `taken` (input 0's own buffer) where given, else new.
fn unary<'v>(
    taken: Option<Vec<f32>>,
    arg: impl Fn(usize) -> Result<&'v Value, EngineError>,
    f: impl Fn(f32) -> f32,
) -> Result<Vec<f32>, EngineError> {
    Ok(match taken {
        Some(mut data) => {
            data.iter_mut().for_each(|v| *v = f(*v));
            data
        }
        None => arg(0)?.data.iter().map(|&v| f(v)).collect(),
    })
}

/// numpy broadcasting for rank <= 4, with fast paths for the generator's shapes; in `taken`
/// (input 0's own buffer, which has the output's shape) where given.
fn binary<'v>(
    taken: Option<Vec<f32>>,
    arg: impl Fn(usize) -> Result<&'v Value, EngineError>,
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32,
) -> Result<Vec<f32>, EngineError> {
    let b = arg(1)?;
    let Some(mut a) = taken else {
        return Ok(broadcast(arg(0)?, b, out_shape, f));
    };
    let plane = if out_shape.len() == 4 { out_shape[2] * out_shape[3] } else { 0 };
    let per_channel =
        out_shape.len() == 4 && b.data.len() == out_shape[1] && b.shape.iter().rev().take(2).all(|&d| d == 1);
    if b.data.len() == a.len() && b.shape == out_shape {
        a.iter_mut().zip(b.data.iter()).for_each(|(x, &y)| *x = f(*x, y));
    } else if b.data.len() == 1 {
        let y = b.data[0];
        a.iter_mut().for_each(|x| *x = f(*x, y));
    } else if per_channel && plane > 0 {
        for (xs, &y) in a.chunks_exact_mut(plane).zip(b.data.iter()) {
            xs.iter_mut().for_each(|x| *x = f(*x, y));
        }
    } else {
        let a = Value { shape: out_shape.to_vec(), data: Rc::new(a) };
        return Ok(broadcast(&a, b, out_shape, f));
    }
    Ok(a)
}

fn broadcast(a: &Value, b: &Value, out_shape: &[usize], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
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
            let mut out = Vec::with_capacity(a.data.len());
            for (xs, &y) in a.data.chunks_exact(plane).zip(b.data.iter()) {
                out.extend(xs.iter().map(|&x| f(x, y)));
            }
            return out;
        }
    }
    let rank = out_shape.len();
    let strides = |shape: &[usize]| -> Vec<usize> {
        let padded: Vec<usize> = std::iter::repeat_n(1, rank - shape.len()).chain(shape.iter().copied()).collect();
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
    Ok(x.data.chunks_exact(run).map(mean).collect())
}

fn mean(values: &[f32]) -> f32 {
    mean_of(values, |v| v)
}

fn resize_nearest(x: &Value, out_shape: &[usize]) -> Vec<f32> {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    let (oh, ow) = (out_shape[2], out_shape[3]);
    let (sy, sx) = (oh / h, ow / w);
    let mut out = Vec::with_capacity(n * c * oh * ow);
    for plane in x.data.chunks_exact(h * w) {
        for row in plane.chunks_exact(w) {
            // One output row from the input row, then its copies below it.
            let start = out.len();
            for &v in row {
                out.extend(std::iter::repeat_n(v, sx));
            }
            for _ in 1..sy {
                out.extend_from_within(start..start + ow);
            }
        }
    }
    out
}

/// The kernels' description of a Conv node, or None where the shapes do not make one.
fn conv_shape(node: &NodeProto, x: &[usize], weight: &[usize], bias_len: usize, out_shape: &[usize]) -> Option<ConvShape> {
    let pads = node.attr_ints("pads").unwrap_or(&[0, 0, 0, 0]);
    let strides = node.attr_ints("strides").unwrap_or(&[1, 1]);
    let dilations = node.attr_ints("dilations").unwrap_or(&[1, 1]);
    let positive = |v: &[i64], n: usize| v.len() >= n && v.iter().all(|&d| d >= 0);
    let well_formed = x.len() == 4
        && weight.len() == 4
        && out_shape.len() == 4
        && x[0] == 1
        && weight[1] == x[1]
        && bias_len == weight[0]
        && positive(pads, 4)
        && positive(strides, 2)
        && positive(dilations, 2)
        && strides.iter().chain(dilations).all(|&d| d > 0);
    well_formed.then(|| ConvShape {
        c_in: x[1],
        h: x[2],
        w: x[3],
        c_out: weight[0],
        kh: weight[2],
        kw: weight[3],
        oh: out_shape[2],
        ow: out_shape[3],
        pad_top: pads[0] as usize,
        pad_left: pads[1] as usize,
        stride: (strides[0] as usize, strides[1] as usize),
        dilation: (dilations[0] as usize, dilations[1] as usize),
        input_row0: 0,
        input_plane_rows: x[2],
    })
}

/// `winograd`: the layer's transformed weights where the engine made them (`CompiledGraph`).
fn conv(
    node: &NodeProto,
    x: &Value,
    weight: &Value,
    bias: &Value,
    out_shape: &[usize],
    winograd: Option<&Vec<f32>>,
) -> Result<Vec<f32>, EngineError> {
    let shape = conv_shape(node, &x.shape, &weight.shape, bias.data.len(), out_shape)
        .ok_or_else(|| node_error(node, format!("conv of {:?} with {:?}", x.shape, weight.shape)))?;
    Ok(match winograd {
        Some(packed) if shape.algorithm() == ConvAlgorithm::Winograd => {
            conv2d_with(ConvAlgorithm::WinogradPrepared, &shape, &x.data, packed, &bias.data)
        }
        _ => conv2d(&shape, &x.data, &weight.data, &bias.data),
    })
}
