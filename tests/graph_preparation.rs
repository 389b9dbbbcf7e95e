//! Graph preparation on the real fixture generator: shapes, value_info and the wonnx-rule linter.

use atelier::model::format::{AttributeProto, ModelProto, NodeProto};
use atelier::model::{decode_model, lint, specialise, GraphError};

fn fixture() -> ModelProto {
    decode_model(&std::fs::read("models/fixture/generator.onnx").expect("fixture model")).expect("valid model")
}

fn dims(model: &ModelProto, name: &str) -> Vec<i64> {
    let graph = model.graph.as_ref().unwrap();
    let info = graph.value_info.iter().chain(&graph.input).chain(&graph.output).find(|v| v.name == name).unwrap();
    let shape = info.r#type.as_ref().unwrap().tensor_type.as_ref().unwrap().shape.as_ref().unwrap();
    shape
        .dim
        .iter()
        .map(|d| match d.value {
            Some(atelier::model::format::DimensionValue::DimValue(v)) => v,
            _ => panic!("symbolic dim left in {name}"),
        })
        .collect()
}

#[test]
fn specialise_writes_every_tensor_shape() {
    let model = fixture();
    let prepared = specialise(&model, 48, 64).unwrap();
    let graph = prepared.model.graph.as_ref().unwrap();
    // Every node output except the graph output has value_info with concrete dims.
    let produced: Vec<&String> = graph.node.iter().flat_map(|n| &n.output).filter(|o| *o != "stylized").collect();
    assert_eq!(graph.value_info.len(), produced.len());
    assert_eq!(dims(&prepared.model, "content"), vec![1, 3, 48, 64]);
    assert_eq!(dims(&prepared.model, "stylized"), vec![1, 3, 48, 64]);
    // The stride-2 conv halves the plane, the residual stage keeps it, Resize doubles it back.
    let stride2 = graph.node.iter().find(|n| n.op_type == "Conv" && n.attr_ints("strides") == Some(&[2, 2])).unwrap();
    assert_eq!(dims(&prepared.model, &stride2.output[0]), vec![1, 16, 24, 32]);
    let resize = graph.node.iter().find(|n| n.op_type == "Resize").unwrap();
    assert_eq!(dims(&prepared.model, &resize.output[0]), vec![1, 16, 48, 64]);
    // The instance-norm reshapes resolve their 0 and -1 entries.
    let first_reshape = graph.node.iter().find(|n| n.op_type == "Reshape").unwrap();
    assert_eq!(dims(&prepared.model, &first_reshape.output[0]), vec![1, 8, 48]);
    assert_eq!(prepared.largest_tensor, 16 * 48 * 64);
}

#[test]
fn specialise_refuses_sizes_the_model_cannot_round_trip() {
    let err = specialise(&fixture(), 51, 64).expect_err("odd height");
    assert!(matches!(err, GraphError::Resolution { height: 51, .. }), "{err}");
    assert!(matches!(specialise(&fixture(), 0, 64), Err(GraphError::Resolution { .. })));
}

#[test]
fn specialise_refuses_tensors_over_the_wonnx_budget() {
    // 16 channels at half of 2048x2048 is 16.7M elements: just over the limit.
    let err = specialise(&fixture(), 2048, 2048).unwrap_err();
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
    assert!(rule_of(&no_bias).contains("bias"), "{}", rule_of(&no_bias));
    assert!(rule_of(&no_bias).starts_with("conv_3 (Conv)"));

    let instance_norm = mutate("Relu", |n| n.op_type = "InstanceNormalization".into());
    assert!(rule_of(&instance_norm).contains("InstanceNormalization is unsupported"));

    let transposed = mutate("Conv", |n| n.op_type = "ConvTranspose".into());
    assert!(rule_of(&transposed).contains("ConvTranspose"));

    let bilinear = mutate("Resize", |n| {
        n.attribute.retain(|a| a.name != "mode");
        n.attribute.push(AttributeProto { name: "mode".into(), s: b"linear".to_vec(), r#type: 3, ..Default::default() });
    });
    assert!(rule_of(&bilinear).contains("nearest/floor/asymmetric"));

    let same_pad = mutate("Conv", |n| {
        n.attribute.push(AttributeProto { name: "auto_pad".into(), s: b"SAME_UPPER".to_vec(), r#type: 3, ..Default::default() })
    });
    assert!(rule_of(&same_pad).contains("auto_pad"));
}

#[test]
fn reducing_a_non_trailing_axis_is_refused_with_the_node_name() {
    let model = mutate("ReduceMean", |n| {
        n.attribute.retain(|a| a.name != "axes");
        n.attribute.push(AttributeProto { name: "axes".into(), ints: vec![2], r#type: 7, ..Default::default() });
    });
    let err = specialise(&model, 48, 64).unwrap_err();
    assert!(matches!(&err, GraphError::Rule { node, .. } if node.contains("ReduceMean")), "{err}");
}

#[test]
fn garbage_is_not_a_model() {
    assert!(matches!(decode_model(b"\xff\xff\xff not protobuf"), Err(GraphError::Decode(_))));
    assert!(matches!(decode_model(&[]), Err(GraphError::NoGraph)));
}

#[test]
fn prepared_graph_survives_an_encode_decode_round_trip() {
    let prepared = specialise(&fixture(), 16, 16).unwrap();
    let again = decode_model(&prepared.model.encode_bytes()).unwrap();
    assert_eq!(again, prepared.model);
}
