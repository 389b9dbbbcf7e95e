//! Graph preparation: specialise a generator to one concrete resolution and check it against the
//! rules wonnx 0.5.1 needs, which it does not check itself (it computes wrong numbers instead):
//! static shapes with `value_info` for every tensor; no InstanceNormalization, ConvTranspose or
//! DequantizeLinear; instance norm written as `ReduceMean(axes=[3]) -> Reshape -> ReduceMean(axes=[2])
//! -> Reshape`; a bias on every Conv; zero padding only through Conv `pads`; Resize nearest,
//! asymmetric, integer scales; every tensor under `MAX_TENSOR_ELEMENTS`.
//!
//! wonnx compiles every tensor with a fixed shape taken from `value_info`; it does not infer
//! shapes and it silently computes wrong numbers for some graphs that onnxruntime runs fine. So a
//! generator is stored once with symbolic height and width, and `specialise` writes a complete,
//! checked graph per resolution. The same linter runs in the training export.

use std::collections::HashMap;

use thiserror::Error;

use super::format::{data_type, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto};

/// The generator's input and output names (see models/README.md).
pub const INPUT_NAME: &str = "content";
pub const OUTPUT_NAME: &str = "stylized";

/// wonnx binds each tensor as one storage buffer; beyond about 2^24 elements it misbehaves.
pub const MAX_TENSOR_ELEMENTS: usize = 16_777_216;

#[derive(Debug, Error, PartialEq)]
pub enum GraphError {
    #[error("the model file is not a valid ONNX model: {0}")]
    Decode(String),
    #[error("the model has no graph")]
    NoGraph,
    #[error("the graph has no input named '{0}'")]
    MissingInput(String),
    #[error("the graph has no output named '{0}'")]
    MissingOutput(String),
    #[error("node {node}: input '{input}' is not produced by any earlier node, input or initializer")]
    UnknownTensor { node: String, input: String },
    #[error("node {node}: {reason}")]
    Shape { node: String, reason: String },
    #[error("node {node} breaks a wonnx rule: {rule}")]
    Rule { node: String, rule: String },
    #[error("resolution {height}x{width} is not usable: {reason}")]
    Resolution { height: u32, width: u32, reason: String },
}

/// Ops the generators may use: each was checked against onnxruntime on wonnx 0.5.1.
const SUPPORTED_OPS: &[&str] = &[
    "Add", "Clip", "Conv", "Div", "Mul", "ReduceMean", "Relu", "Reshape", "Resize", "Sigmoid", "Sqrt", "Sub",
];

fn shape_error(node: &NodeProto, reason: impl Into<String>) -> GraphError {
    GraphError::Shape { node: node.label(), reason: reason.into() }
}

fn rule_error(node: &NodeProto, rule: impl Into<String>) -> GraphError {
    GraphError::Rule { node: node.label(), rule: rule.into() }
}

fn graph_of(model: &ModelProto) -> Result<&GraphProto, GraphError> {
    model.graph.as_ref().ok_or(GraphError::NoGraph)
}

/// Decode model bytes into the ONNX message.
pub fn decode_model(bytes: &[u8]) -> Result<ModelProto, GraphError> {
    let model = ModelProto::decode_bytes(bytes).map_err(|e| GraphError::Decode(e.to_string()))?;
    let graph = graph_of(&model)?;
    if graph.node.is_empty() {
        return Err(GraphError::Decode("the graph has no nodes".into()));
    }
    Ok(model)
}

/// The rules that do not depend on shapes: op set, Conv bias and padding, Resize mode, Clip
/// bounds, ReduceMean axes as an attribute. Returns the first broken rule, naming its node.
/// (Which axes a ReduceMean may reduce depends on shapes: `specialise` checks that.)
pub fn lint(model: &ModelProto) -> Result<(), GraphError> {
    let graph = graph_of(model)?;
    let initializers: HashMap<&str, &TensorProto> =
        graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
    for node in &graph.node {
        let op = node.op_type.as_str();
        match op {
            "InstanceNormalization" => {
                return Err(rule_error(node, "InstanceNormalization is unsupported: write it out with ReduceMean"))
            }
            "ConvTranspose" => return Err(rule_error(node, "ConvTranspose is unsupported: use Resize nearest + Conv")),
            "DequantizeLinear" => {
                return Err(rule_error(node, "DequantizeLinear is unsupported: expand int8 weights at load"))
            }
            "Pad" => return Err(rule_error(node, "Pad is not allowed: pad with Conv `pads`, reflect outside the model")),
            _ if !SUPPORTED_OPS.contains(&op) => {
                return Err(rule_error(node, format!("op {op} is not in Atelier's checked op set")))
            }
            _ => {}
        }
        if !node.domain.is_empty() {
            return Err(rule_error(node, format!("custom domain '{}'", node.domain)));
        }
        match op {
            "Conv" => {
                if node.input.len() < 3 || node.input[2].is_empty() {
                    return Err(rule_error(node, "every Conv needs a bias input"));
                }
                if let Some(mode) = node.attr_str("auto_pad") {
                    if mode != "NOTSET" {
                        return Err(rule_error(node, format!("auto_pad={mode}: give explicit `pads`")));
                    }
                }
                if node.attr_int("group").unwrap_or(1) != 1 {
                    return Err(rule_error(node, "grouped convolution is not in the checked set"));
                }
            }
            "Resize" => {
                let mode = node.attr_str("mode").unwrap_or_else(|| "nearest".into());
                let nearest = node.attr_str("nearest_mode").unwrap_or_else(|| "round_prefer_floor".into());
                let coords = node.attr_str("coordinate_transformation_mode").unwrap_or_else(|| "half_pixel".into());
                if mode != "nearest" || nearest != "floor" || coords != "asymmetric" {
                    return Err(rule_error(
                        node,
                        format!("Resize must be nearest/floor/asymmetric, not {mode}/{nearest}/{coords}"),
                    ));
                }
                let scales = node
                    .input
                    .get(2)
                    .and_then(|name| initializers.get(name.as_str()))
                    .and_then(|t| t.float_values())
                    .ok_or_else(|| rule_error(node, "Resize needs constant `scales` (an initializer)"))?;
                if scales.iter().any(|s| s.fract() != 0.0 || *s < 1.0) {
                    return Err(rule_error(node, format!("Resize scales must be whole numbers, got {scales:?}")));
                }
                if node.input.get(1).is_some_and(|roi| !roi.is_empty() && !initializers.contains_key(roi.as_str())) {
                    return Err(rule_error(node, "Resize roi must be an initializer"));
                }
            }
            "Clip" => {
                for bound in node.input.iter().skip(1).filter(|n| !n.is_empty()) {
                    let values = initializers
                        .get(bound.as_str())
                        .and_then(|t| t.float_values())
                        .ok_or_else(|| rule_error(node, "Clip bounds must be initializers"))?;
                    for v in values {
                        if ((v * 10.0).round() - v * 10.0).abs() > 1e-4 {
                            return Err(rule_error(node, format!("Clip bound {v} has more than one decimal")));
                        }
                    }
                }
            }
            "ReduceMean" if node.input.len() > 1 => {
                return Err(rule_error(node, "ReduceMean axes must be an attribute (opset 13)"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// numpy-style broadcast of two shapes.
fn broadcast(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

struct ShapeInference<'a> {
    shapes: HashMap<String, Vec<i64>>,
    initializers: HashMap<&'a str, &'a TensorProto>,
}

impl<'a> ShapeInference<'a> {
    fn input_shape(&self, node: &NodeProto, index: usize) -> Result<&[i64], GraphError> {
        let name = node.input.get(index).ok_or_else(|| shape_error(node, format!("missing input #{index}")))?;
        self.shapes
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| GraphError::UnknownTensor { node: node.label(), input: name.clone() })
    }

    fn constant(&self, node: &NodeProto, index: usize) -> Option<&'a TensorProto> {
        node.input.get(index).and_then(|name| self.initializers.get(name.as_str()).copied())
    }

    fn infer(&self, node: &NodeProto) -> Result<Vec<i64>, GraphError> {
        match node.op_type.as_str() {
            "Relu" | "Sigmoid" | "Sqrt" | "Clip" => Ok(self.input_shape(node, 0)?.to_vec()),
            "Add" | "Sub" | "Mul" | "Div" => {
                let (a, b) = (self.input_shape(node, 0)?, self.input_shape(node, 1)?);
                broadcast(a, b).ok_or_else(|| shape_error(node, format!("cannot broadcast {a:?} with {b:?}")))
            }
            "Conv" => self.conv(node),
            "ReduceMean" => {
                let x = self.input_shape(node, 0)?;
                let rank = x.len() as i64;
                let axes: Vec<usize> = match node.attr_ints("axes") {
                    Some(axes) => axes.iter().map(|&a| (if a < 0 { a + rank } else { a }) as usize).collect(),
                    None => (0..x.len()).collect(),
                };
                if axes.iter().any(|&a| a >= x.len()) {
                    return Err(shape_error(node, format!("axes {axes:?} out of range for {x:?}")));
                }
                // wonnx reduces correctly only when nothing but reduced (or no) axes follow.
                let last_kept = (0..x.len()).filter(|a| !axes.contains(a)).max();
                if let Some(first_reduced) = axes.iter().min() {
                    if last_kept.is_some_and(|k| k > *first_reduced) {
                        return Err(rule_error(node, format!("ReduceMean over non-trailing axes {axes:?} of {x:?}")));
                    }
                }
                let keep = node.attr_int("keepdims").unwrap_or(1) != 0;
                Ok(x.iter()
                    .enumerate()
                    .filter_map(|(i, &d)| match (axes.contains(&i), keep) {
                        (true, true) => Some(1),
                        (true, false) => None,
                        (false, _) => Some(d),
                    })
                    .collect())
            }
            "Reshape" => {
                let x = self.input_shape(node, 0)?;
                let target = self
                    .constant(node, 1)
                    .and_then(TensorProto::int_values)
                    .ok_or_else(|| shape_error(node, "Reshape needs a constant int64 shape"))?;
                let total: i64 = x.iter().product();
                let mut out: Vec<i64> =
                    target.iter().enumerate().map(|(i, &d)| if d == 0 { x.get(i).copied().unwrap_or(0) } else { d }).collect();
                let known: i64 = out.iter().filter(|&&d| d != -1).product();
                match out.iter().filter(|&&d| d == -1).count() {
                    0 => {}
                    1 if known > 0 => {
                        if let Some(d) = out.iter_mut().find(|d| **d == -1) {
                            *d = total / known;
                        }
                    }
                    _ => return Err(shape_error(node, format!("Reshape target {target:?} is ambiguous"))),
                }
                if out.iter().product::<i64>() != total {
                    return Err(shape_error(node, format!("cannot reshape {x:?} to {target:?}")));
                }
                Ok(out)
            }
            "Resize" => {
                let x = self.input_shape(node, 0)?;
                let scales = self
                    .constant(node, 2)
                    .and_then(TensorProto::float_values)
                    .ok_or_else(|| shape_error(node, "Resize needs constant scales"))?;
                if scales.len() != x.len() {
                    return Err(shape_error(node, format!("{} scales for a rank-{} tensor", scales.len(), x.len())));
                }
                Ok(x.iter().zip(&scales).map(|(&d, &s)| (d as f32 * s).floor() as i64).collect())
            }
            other => Err(rule_error(node, format!("op {other} is not in Atelier's checked op set"))),
        }
    }

    fn conv(&self, node: &NodeProto) -> Result<Vec<i64>, GraphError> {
        let x = self.input_shape(node, 0)?;
        let w = self.input_shape(node, 1)?;
        if x.len() != 4 || w.len() != 4 {
            return Err(shape_error(node, format!("Conv needs 4-D input and weight, got {x:?} and {w:?}")));
        }
        if x[1] != w[1] {
            return Err(shape_error(node, format!("input has {} channels, weight expects {}", x[1], w[1])));
        }
        let pads = node.attr_ints("pads").map(<[i64]>::to_vec).unwrap_or_else(|| vec![0; 4]);
        let strides = node.attr_ints("strides").map(<[i64]>::to_vec).unwrap_or_else(|| vec![1, 1]);
        let dilations = node.attr_ints("dilations").map(<[i64]>::to_vec).unwrap_or_else(|| vec![1, 1]);
        if pads.len() != 4 || strides.len() != 2 || dilations.len() != 2 {
            return Err(shape_error(node, "Conv pads/strides/dilations have the wrong length"));
        }
        // A hostile graph must get an error, not a division by zero or an overflow.
        let sane = |v: &[i64], lo: i64| v.iter().all(|&x| (lo..=LARGEST_CONV_ATTRIBUTE).contains(&x));
        if !sane(&strides, 1) || !sane(&dilations, 1) || !sane(&pads, 0) || !sane(&w[2..], 1) {
            return Err(shape_error(node, format!("Conv has an unusable kernel {w:?}, strides {strides:?}, dilations {dilations:?} or pads {pads:?}")));
        }
        let out_dim = |size: i64, axis: usize| -> i64 {
            let span = dilations[axis] * (w[2 + axis] - 1) + 1;
            (size + pads[axis] + pads[axis + 2] - span) / strides[axis] + 1
        };
        let (h, wd) = (out_dim(x[2], 0), out_dim(x[3], 1));
        if h < 1 || wd < 1 {
            return Err(shape_error(node, format!("input {x:?} is too small for this convolution")));
        }
        Ok(vec![x[0], w[0], h, wd])
    }
}

/// Bound on a Conv's kernel side, stride, dilation and padding: far above any real generator's,
/// far below anything that overflows the shape arithmetic.
const LARGEST_CONV_ATTRIBUTE: i64 = 1024;

/// Which form of the generator to build for a resolution.
///
/// Instance norm normalises with statistics of the whole feature map, so a tile of a large
/// image computed on its own gets different colours than its neighbour. Atelier runs the whole
/// image once at low resolution with `EmitStats`, then every tile with `InjectStats` and those
/// statistics (the URST approach): no seams, no colour shifts between tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum GraphVariant {
    /// Input `content` (+ style inputs) -> `stylized`.
    Plain,
    /// Also outputs every instance norm's statistics, `<layer>.mean` and `<layer>.var`, `[1,C,1,1]`.
    EmitStats,
    /// Takes those statistics as inputs instead of computing them.
    InjectStats,
}

/// Tensors holding instance-norm statistics are named `<layer>.mean` and `<layer>.var`.
pub fn is_norm_statistic(name: &str) -> bool {
    name.ends_with(".mean") || name.ends_with(".var")
}

/// A generator specialised to one resolution, with every tensor's shape known.
#[derive(Debug, Clone)]
pub struct PreparedGraph {
    pub model: ModelProto,
    /// Every tensor's shape (inputs, initializers, node outputs).
    pub shapes: HashMap<String, Vec<i64>>,
    /// Largest tensor in elements: what bounds the single-pass size on wonnx.
    pub largest_tensor: usize,
}

impl PreparedGraph {
    /// The shape of tensor `name` as sizes (empty where the graph has no such tensor).
    pub fn shape(&self, name: &str) -> Vec<usize> {
        self.shapes.get(name).map(|s| s.iter().map(|&d| d as usize).collect()).unwrap_or_default()
    }
}

fn concrete_dims(info: &ValueInfoProto) -> Option<Vec<i64>> {
    let shape = info.r#type.as_ref()?.tensor_type.as_ref()?.shape.as_ref()?;
    shape
        .dim
        .iter()
        .map(|d| match d.value {
            Some(super::format::DimensionValue::DimValue(v)) if v > 0 => Some(v),
            _ => None,
        })
        .collect()
}

/// Turn the statistics into graph inputs: drop the nodes computing them and everything that
/// only fed those nodes.
fn inject_statistics(graph: &mut GraphProto) {
    graph.node.retain(|n| !n.output.iter().any(|o| is_norm_statistic(o)));
    let mut needed: std::collections::HashSet<String> = graph.output.iter().map(|o| o.name.clone()).collect();
    let mut kept = Vec::new();
    for node in graph.node.iter().rev() {
        if node.output.iter().any(|o| needed.contains(o)) {
            needed.extend(node.input.iter().cloned());
            kept.push(node.clone());
        }
    }
    kept.reverse();
    graph.node = kept;
    graph.initializer.retain(|t| needed.contains(&t.name));
}

/// Specialise `model` to an input of `height` x `width`: set the input and output shapes, write
/// `value_info` for every intermediate tensor, and check the wonnx rules and the tensor budget.
pub fn specialise(model: &ModelProto, height: u32, width: u32, variant: GraphVariant) -> Result<PreparedGraph, GraphError> {
    specialise_within(model, height, width, variant, MAX_TENSOR_ELEMENTS)
}

/// `specialise` with another tensor budget, for engines without wonnx's limit (the CPU engine).
pub fn specialise_within(
    model: &ModelProto,
    height: u32,
    width: u32,
    variant: GraphVariant,
    max_tensor_elements: usize,
) -> Result<PreparedGraph, GraphError> {
    lint(model)?;
    check_initializer_types(model)?;
    if height == 0 || width == 0 {
        return Err(GraphError::Resolution { height, width, reason: "zero size".into() });
    }
    let source = graph_of(model)?;
    if !source.input.iter().any(|i| i.name == INPUT_NAME) {
        return Err(GraphError::MissingInput(INPUT_NAME.into()));
    }
    if !source.output.iter().any(|o| o.name == OUTPUT_NAME) {
        return Err(GraphError::MissingOutput(OUTPUT_NAME.into()));
    }

    // Shapes are inferred on the whole graph, whatever the variant: the statistics' shapes
    // come from the nodes that InjectStats removes.
    let input_dims = vec![1, 3, height as i64, width as i64];
    let mut inference = ShapeInference {
        shapes: source.initializer.iter().map(|t| (t.name.clone(), t.dims.clone())).collect(),
        initializers: source.initializer.iter().map(|t| (t.name.as_str(), t)).collect(),
    };
    let mut inputs = vec![ValueInfoProto::f32_tensor(INPUT_NAME, &input_dims)];
    inference.shapes.insert(INPUT_NAME.into(), input_dims.clone());
    for input in source.input.iter().filter(|i| i.name != INPUT_NAME) {
        let dims = concrete_dims(input).ok_or_else(|| GraphError::Shape {
            node: format!("input {}", input.name),
            reason: "style inputs need fixed dimensions".into(),
        })?;
        inference.shapes.insert(input.name.clone(), dims.clone());
        inputs.push(ValueInfoProto::f32_tensor(&input.name, &dims));
    }
    let mut largest_tensor = 0usize;
    for node in &source.node {
        let shape = inference.infer(node)?;
        let elements: usize = shape.iter().map(|&d| d.max(0) as usize).product();
        largest_tensor = largest_tensor.max(elements);
        if elements > max_tensor_elements {
            return Err(GraphError::Resolution {
                height,
                width,
                reason: format!(
                    "node {} would make a tensor of {elements} elements (limit {max_tensor_elements})",
                    node.label()
                ),
            });
        }
        for output in node.output.iter().filter(|o| !o.is_empty()) {
            inference.shapes.insert(output.clone(), shape.clone());
        }
    }
    let shapes = inference.shapes;
    let output_dims = shapes.get(OUTPUT_NAME).cloned().ok_or(GraphError::MissingOutput(OUTPUT_NAME.into()))?;
    if output_dims != input_dims {
        return Err(GraphError::Resolution {
            height,
            width,
            reason: format!("the output would be {output_dims:?}, not the input's {input_dims:?}: use a multiple of the model's stride"),
        });
    }
    let statistics: Vec<String> =
        source.node.iter().flat_map(|n| n.output.iter()).filter(|o| is_norm_statistic(o)).cloned().collect();

    let mut model = model.clone();
    let graph = model.graph.as_mut().ok_or(GraphError::NoGraph)?;
    let mut outputs = vec![ValueInfoProto::f32_tensor(OUTPUT_NAME, &output_dims)];
    match variant {
        GraphVariant::Plain => {}
        GraphVariant::EmitStats => outputs.extend(statistics.iter().map(|s| ValueInfoProto::f32_tensor(s, &shapes[s]))),
        GraphVariant::InjectStats => {
            inject_statistics(graph);
            inputs.extend(statistics.iter().map(|s| ValueInfoProto::f32_tensor(s, &shapes[s])));
        }
    }
    let graph_outputs: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    graph.value_info = graph
        .node
        .iter()
        .flat_map(|n| n.output.iter())
        .filter(|o| !o.is_empty() && !graph_outputs.contains(&o.as_str()))
        .map(|o| ValueInfoProto::f32_tensor(o, &shapes[o]))
        .collect();
    graph.input = inputs;
    graph.output = outputs;
    Ok(PreparedGraph { model, shapes, largest_tensor })
}

/// The element type of every initializer must be one wonnx reads.
pub fn check_initializer_types(model: &ModelProto) -> Result<(), GraphError> {
    for t in &graph_of(model)?.initializer {
        if ![data_type::FLOAT, data_type::INT64].contains(&t.data_type) {
            return Err(GraphError::Rule {
                node: format!("initializer {}", t.name),
                rule: format!("data type {} is neither float32 nor int64", t.data_type),
            });
        }
        // The values must fill the stated dims exactly: the engines index by the dims.
        let expected = t.dims.iter().try_fold(1u64, |n, &d| u64::try_from(d).ok().and_then(|d| n.checked_mul(d)));
        let actual = t.float_values().map(|v| v.len()).or_else(|| t.int_values().map(|v| v.len()));
        if expected.is_none() || actual.map(|a| a as u64) != expected {
            return Err(GraphError::Rule {
                node: format!("initializer {}", t.name),
                rule: format!("holds {actual:?} values, its dims {:?} need {expected:?}", t.dims),
            });
        }
    }
    Ok(())
}
