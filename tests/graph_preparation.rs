//! Graph preparation on the fixture generator: shapes, value_info, variants and the linter.

mod common;

use atelier::model::format::{attribute_type, AttributeProto, DimensionValue, ModelProto, NodeProto};
use atelier::model::prepare::MAX_TENSOR_ELEMENTS;
use atelier::model::{decode_model, lint, specialise, GraphError, GraphVariant};
use common::package;

fn fixture() -> ModelProto {
    package().generator
}

fn dims(model: &ModelProto, name: &str) -> Vec<i64> {
    let graph = model.graph.as_ref().unwrap();
    let info = graph.value_info.iter().chain(&graph.input).chain(&graph.output).find(|v| v.name == name).unwrap();
    let shape = info.r#type.as_ref().unwrap().tensor_type.as_ref().unwrap().shape.as_ref().unwrap();
    shape
        .dim
        .iter()
        .map(|d| match d.value {
            Some(DimensionValue::DimValue(v)) => v,
            _ => panic!("symbolic dim left in {name}"),
        })
        .collect()
}

#[test]
fn specialise_writes_every_tensor_shape() {
    let prepared = specialise(&fixture(), 48, 64, GraphVariant::Plain).unwrap();
    let graph = prepared.model.graph.as_ref().unwrap();
    let produced = graph.node.iter().flat_map(|n| &n.output).filter(|o| *o != "stylized").count();
    assert_eq!(graph.value_info.len(), produced, "value_info for every intermediate tensor");
    assert_eq!(dims(&prepared.model, "content"), vec![1, 3, 48, 64]);
    assert_eq!(dims(&prepared.model, "stylized"), vec![1, 3, 48, 64]);
    assert_eq!(dims(&prepared.model, "c1.gamma"), vec![1, 8, 1, 1], "style inputs keep their shapes");
    assert_eq!(dims(&prepared.model, "c2.conv"), vec![1, 12, 24, 32]);
    assert_eq!(dims(&prepared.model, "c3.conv"), vec![1, 16, 12, 16]);
    assert_eq!(dims(&prepared.model, "u2.conv"), vec![1, 8, 48, 64]);
    assert_eq!(dims(&prepared.model, "c1.mean"), vec![1, 8, 1, 1]);
    let first_reshape = graph.node.iter().find(|n| n.op_type == "Reshape").unwrap();
    assert_eq!(dims(&prepared.model, &first_reshape.output[0]), vec![1, 8, 48], "0 and -1 resolved");
    // The widest activation: the 12-channel stage upsampled back to full resolution.
    assert_eq!(prepared.largest_tensor, 12 * 48 * 64);
}

#[test]
fn emit_and_inject_variants_move_the_statistics() {
    let model = fixture();
    let layers = package().manifest.network.norm_layers.len();
    let emit = specialise(&model, 48, 64, GraphVariant::EmitStats).unwrap();
    let outputs: Vec<&str> = emit.model.graph.as_ref().unwrap().output.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(outputs.len(), 1 + 2 * layers);
    assert!(outputs.contains(&"c1.mean") && outputs.contains(&"u2.var"));

    let inject = specialise(&model, 48, 64, GraphVariant::InjectStats).unwrap();
    let graph = inject.model.graph.as_ref().unwrap();
    let inputs: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
    assert!(inputs.contains(&"c3.mean") && inputs.contains(&"c3.var"));
    assert_eq!(graph.output.len(), 1);
    // No node computes a mean any more, and the dead reductions are gone with them.
    assert!(graph.node.iter().all(|n| n.op_type != "ReduceMean"));
    assert!(graph.node.len() < emit.model.graph.as_ref().unwrap().node.len());
    assert_eq!(dims(&inject.model, "c3.var"), vec![1, 16, 1, 1]);
}

#[test]
fn specialise_refuses_sizes_the_model_cannot_round_trip() {
    let err = specialise(&fixture(), 50, 64, GraphVariant::Plain).expect_err("50 is not a multiple of 4");
    assert!(matches!(err, GraphError::Resolution { height: 50, .. }), "{err}");
    assert!(matches!(specialise(&fixture(), 0, 64, GraphVariant::Plain), Err(GraphError::Resolution { .. })));
}

#[test]
fn specialise_refuses_tensors_over_the_wonnx_budget() {
    // 12 channels at full resolution: 12 x 1184 x 1184 is just over 2^24 elements.
    assert!(specialise(&fixture(), 1180, 1180, GraphVariant::Plain).is_ok());
    let err = specialise(&fixture(), 1184, 1184, GraphVariant::Plain).unwrap_err();
    assert!(err.to_string().contains("elements"), "{err}");
}

fn mutate(op: &str, f: impl Fn(&mut NodeProto)) -> ModelProto {
    let mut model = fixture();
    let node = model.graph.as_mut().unwrap().node.iter_mut().find(|n| n.op_type == op).unwrap();
    f(node);
    model
}

fn rule_of(model: &ModelProto) -> String {
    match lint(model) {
        Err(GraphError::Rule { node, rule }) => format!("{node}: {rule}"),
        other => panic!("expected a rule error, got {other:?}"),
    }
}

#[test]
fn linter_names_the_node_that_breaks_a_rule() {
    assert_eq!(lint(&fixture()), Ok(()));

    let no_bias = mutate("Conv", |n| n.input.truncate(2));
    assert_eq!(rule_of(&no_bias), "c1.conv (Conv): every Conv needs a bias input");

    let instance_norm = mutate("Relu", |n| n.op_type = "InstanceNormalization".into());
    assert!(rule_of(&instance_norm).contains("InstanceNormalization is unsupported"));

    let transposed = mutate("Conv", |n| n.op_type = "ConvTranspose".into());
    assert!(rule_of(&transposed).contains("ConvTranspose"));

    let dequantize = mutate("Conv", |n| n.op_type = "DequantizeLinear".into());
    assert!(rule_of(&dequantize).contains("DequantizeLinear"));

    let bilinear = mutate("Resize", |n| {
        n.attribute.retain(|a| a.name != "mode");
        n.attribute.push(AttributeProto { name: "mode".into(), s: b"linear".to_vec(), r#type: attribute_type::STRING, ..Default::default() });
    });
    assert!(rule_of(&bilinear).contains("nearest/floor/asymmetric"));

    let same_pad = mutate("Conv", |n| {
        n.attribute.push(AttributeProto { name: "auto_pad".into(), s: b"SAME_UPPER".to_vec(), r#type: attribute_type::STRING, ..Default::default() })
    });
    assert!(rule_of(&same_pad).contains("auto_pad"));

    let pad = mutate("Relu", |n| n.op_type = "Pad".into());
    assert!(rule_of(&pad).contains("Pad is not allowed"));
}

#[test]
fn reducing_a_non_trailing_axis_is_refused_with_the_node_name() {
    let model = mutate("ReduceMean", |n| {
        n.attribute.retain(|a| a.name != "axes");
        n.attribute.push(AttributeProto { name: "axes".into(), ints: vec![2], r#type: attribute_type::INTS, ..Default::default() });
    });
    let err = specialise(&model, 48, 64, GraphVariant::Plain).unwrap_err();
    assert!(matches!(&err, GraphError::Rule { node, .. } if node.contains("ReduceMean")), "{err}");
}

#[test]
fn garbage_is_not_a_model() {
    assert!(matches!(decode_model(b"\xff\xff\xff not protobuf"), Err(GraphError::Decode(_))));
    assert!(matches!(decode_model(&[]), Err(GraphError::NoGraph)));
}

#[test]
fn prepared_graph_survives_an_encode_decode_round_trip() {
    let prepared = specialise(&fixture(), 16, 16, GraphVariant::InjectStats).unwrap();
    let again = decode_model(&prepared.model.encode_bytes()).unwrap();
    assert_eq!(again, prepared.model);
}

#[test]
fn render_options_keep_every_pass_under_the_tensor_budget() {
    use atelier::pipeline::RenderOptions;
    let options = RenderOptions::for_generator(&fixture(), 4, MAX_TENSOR_ELEMENTS).unwrap();
    assert_eq!(options.max_pass_pixels, 1024 * 1024, "12 channels allow 1182^2, the cap is 1024^2");
    let side = options.tile_side.max(options.stats_side);
    assert!(specialise(&fixture(), side, side, GraphVariant::InjectStats).is_ok());
    // A smaller budget (a quarter): passes shrink with it, and still fit it.
    let small = RenderOptions::for_generator(&fixture(), 4, MAX_TENSOR_ELEMENTS / 4).unwrap();
    assert!(small.max_pass_pixels < options.max_pass_pixels, "{small:?}");
    let prepared = specialise(&fixture(), small.tile_side, small.tile_side, GraphVariant::InjectStats).unwrap();
    assert!(prepared.largest_tensor <= MAX_TENSOR_ELEMENTS / 4, "{} elements", prepared.largest_tensor);
}

#[test]
fn hostile_conv_attributes_are_errors_not_crashes() {
    for (name, values) in [("strides", vec![0i64, 0]), ("strides", vec![1 << 30, 1 << 30]), ("dilations", vec![0, 1]), ("pads", vec![-5, 0, 0, 0])] {
        let model = mutate("Conv", |n| {
            n.attribute.retain(|a| a.name != name);
            n.attribute.push(AttributeProto { name: name.into(), ints: values.clone(), r#type: attribute_type::INTS, ..Default::default() });
        });
        let err = specialise(&model, 64, 64, GraphVariant::Plain).expect_err(name);
        assert!(err.to_string().contains("unusable"), "{name} {values:?}: {err}");
    }
}

/// Found by scripts/fuzz.sh: a weight holding fewer values than its dims say made the CPU
/// engine index past its end (a panic). Every initializer must fill its dims exactly.
#[test]
fn an_initializer_with_fewer_values_than_its_dims_is_refused() {
    let mut model = fixture();
    let graph = model.graph.as_mut().unwrap();
    let weight = graph.initializer.iter_mut().find(|t| t.dims.len() == 4).expect("a conv weight");
    let name = weight.name.clone();
    if weight.raw_data.is_empty() {
        weight.float_data.truncate(weight.float_data.len() / 4);
    } else {
        weight.raw_data.truncate(weight.raw_data.len() / 4);
    }
    let err = specialise(&model, 32, 32, GraphVariant::Plain).unwrap_err().to_string();
    assert!(err.contains(&name) && err.contains("values"), "{err}");
}
