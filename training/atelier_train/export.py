"""Export a conditional-instance-norm generator to Atelier's model package.

numpy + onnx only (no torch), so the fixture network and the trained one go through the very
same code. The package format is documented in models/README.md; in short:

- generator.onnx: the graph, conv weights stored as INT8 initializers `<conv>.weight` with a
  float32 per-output-channel scale `<conv>.weight_scale` (symmetric, zero point 0). The app
  expands them to float32 at load: wonnx has no DequantizeLinear.
- styles.f32: every style's instance-norm scale and shift, float32 little-endian, one row per
  style, in the order of manifest["network"]["style_inputs"]. They are graph inputs, so switching
  or mixing styles is new input tensors, never a new graph.
- manifest.json: files with byte sizes and sha256, the network's inputs, and the styles.

The graph follows the wonnx rules (DEVELOPERS.md): opset 13, Conv bias everywhere, zero padding
only via Conv pads, instance norm written out with ReduceMean over the last axis, Resize
nearest/floor/asymmetric with integer scales. Every instance norm names its statistics
`<layer>.mean` and `<layer>.var` so that Atelier can export them from a low-resolution pass and
feed them to the tiles of a large image (URST).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SCHEMA = "atelier-models/1"
EPS = 1e-5


@dataclass
class NetSpec:
    """Johnson-style generator: 9x9 conv, two stride-2 convs, residual blocks, two nearest
    upsample + 3x3 conv stages, 9x9 conv to RGB, sigmoid."""

    widths: tuple = (16, 32, 64)
    res_blocks: int = 5

    def convs(self):
        """(name, c_in, c_out, kernel, stride, upsample_before, has_norm) in graph order."""
        w1, w2, w3 = self.widths
        layers = [("c1", 3, w1, 9, 1, False, True), ("c2", w1, w2, 3, 2, False, True), ("c3", w2, w3, 3, 2, False, True)]
        for i in range(self.res_blocks):
            layers += [(f"r{i}a", w3, w3, 3, 1, False, True), (f"r{i}b", w3, w3, 3, 1, False, True)]
        layers += [("u1", w3, w2, 3, 1, True, True), ("u2", w2, w1, 3, 1, True, True), ("out", w1, 3, 9, 1, False, False)]
        return layers

    def norm_layers(self):
        """(name, channels) of every conditional instance norm, in graph order."""
        return [(name, c_out) for name, _, c_out, _, _, _, has_norm in self.convs() if has_norm]

    def style_inputs(self):
        """The graph inputs a style provides: (input name, channels)."""
        out = []
        for name, channels in self.norm_layers():
            out += [(f"{name}.gamma", channels), (f"{name}.beta", channels)]
        return out

    def to_json(self):
        return {"widths": list(self.widths), "res_blocks": self.res_blocks}


def quantize_per_channel(weight: np.ndarray):
    """Symmetric int8 per output channel: w ~= q * scale, q in -127..127."""
    flat = weight.reshape(weight.shape[0], -1)
    scale = np.abs(flat).max(axis=1) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8).reshape(weight.shape)
    return q, scale


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (q.astype(np.float32) * scale.reshape((-1,) + (1,) * (q.ndim - 1))).astype(np.float32)


class _Graph:
    def __init__(self):
        self.nodes, self.initializers, self.counter = [], [], 0

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type, inputs, output=None, **attrs):
        output = output or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output

    def mean_hw(self, x, output):
        # Reduce the last axis, reshape, reduce the (new) last axis: wonnx gets reductions over
        # an axis followed by size-1 axes wrong.
        m = self.op("ReduceMean", [x], axes=[3], keepdims=1)
        m = self.op("Reshape", [m, self.shape_nch])
        m = self.op("ReduceMean", [m], axes=[2], keepdims=1)
        return self.op("Reshape", [m, self.shape_nc11], output=output)


def build_graph(spec: NetSpec, conv_weights: dict, quantized: bool) -> onnx.ModelProto:
    """conv_weights: {"<conv>.weight": [O,I,k,k], "<conv>.bias": [O]} float32."""
    g = _Graph()
    g.shape_nch = g.const("shape_nch", np.array([0, 0, -1], np.int64))
    g.shape_nc11 = g.const("shape_nc11", np.array([0, 0, 1, 1], np.int64))
    eps = g.const("eps", np.array([EPS], np.float32))
    roi = g.const("resize_roi", np.zeros((0,), np.float32))
    scales = g.const("resize_scales", np.array([1, 1, 2, 2], np.float32))
    inputs = [helper.make_tensor_value_info("content", TensorProto.FLOAT, [1, 3, "H", "W"])]

    x = "content"
    skip = None
    for name, c_in, c_out, k, stride, upsample, has_norm in spec.convs():
        if upsample:
            x = g.op("Resize", [x, roi, scales], mode="nearest", nearest_mode="floor",
                     coordinate_transformation_mode="asymmetric")
        if name.endswith("a") and name.startswith("r"):
            skip = x
        weight = conv_weights[f"{name}.weight"].astype(np.float32)
        assert weight.shape == (c_out, c_in, k, k), (name, weight.shape)
        if quantized:
            q, scale = quantize_per_channel(weight)
            g.const(f"{name}.weight", q)
            g.const(f"{name}.weight_scale", scale)
        else:
            g.const(f"{name}.weight", weight)
        g.const(f"{name}.bias", conv_weights[f"{name}.bias"].astype(np.float32))
        p = k // 2
        x = g.op("Conv", [x, f"{name}.weight", f"{name}.bias"], output=f"{name}.conv",
                 kernel_shape=[k, k], strides=[stride, stride], pads=[p, p, p, p])
        if has_norm:
            for param in ("gamma", "beta"):
                inputs.append(helper.make_tensor_value_info(f"{name}.{param}", TensorProto.FLOAT, [1, c_out, 1, 1]))
            centred = g.op("Sub", [x, g.mean_hw(x, f"{name}.mean")])
            var = g.mean_hw(g.op("Mul", [centred, centred]), f"{name}.var")
            std = g.op("Sqrt", [g.op("Add", [var, eps])])
            x = g.op("Div", [centred, std])
            x = g.op("Add", [g.op("Mul", [x, f"{name}.gamma"]), f"{name}.beta"])
            if name.startswith("r") and name.endswith("b"):
                x = g.op("Add", [skip, x])
            else:
                x = g.op("Relu", [x])
    g.op("Sigmoid", [x], output="stylized")

    graph = helper.make_graph(g.nodes, "atelier_generator", inputs,
                              [helper.make_tensor_value_info("stylized", TensorProto.FLOAT, [1, 3, "H", "W"])],
                              g.initializers)
    model = helper.make_model(graph, producer_name="atelier-train", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if not quantized:
        onnx.checker.check_model(model)
    return model


def expand_int8(model: onnx.ModelProto) -> onnx.ModelProto:
    """The package graph with its int8 weights expanded to float32 (what the app runs)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    inits = {t.name: t for t in model.graph.initializer}
    keep = []
    for t in model.graph.initializer:
        if t.name.endswith(".weight_scale"):
            continue
        if t.data_type == TensorProto.INT8:
            scale = numpy_helper.to_array(inits[t.name + "_scale"])
            t = numpy_helper.from_array(dequantize(numpy_helper.to_array(t), scale), t.name)
        keep.append(t)
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    return model


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def file_entry(directory, rel):
    path = os.path.join(directory, rel)
    return {"file": rel, "bytes": os.path.getsize(path), "sha256": sha256_of(path)}


@dataclass
class StyleInfo:
    id: str
    params: dict  # "<layer>.gamma"/"<layer>.beta" -> [C]
    name: dict  # {"en": ..., "zh": ...}
    description: dict
    artist: dict
    title: dict
    year: str
    thumbnail: str | None = None  # path of a JPEG/PNG to copy into the package
    extra: dict = field(default_factory=dict)


def write_package(out_dir, spec: NetSpec, conv_weights: dict, styles: list, network_id: str,
                  f32_reference_path: str | None = None, stride: int = 4, working_side: int | None = None,
                  reflect_margin: int | None = None):
    """Write generator.onnx (int8), styles.f32, thumbnails and manifest.json into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    model = build_graph(spec, conv_weights, quantized=True)
    onnx.save(model, os.path.join(out_dir, "generator.onnx"))
    if f32_reference_path:
        onnx.save(build_graph(spec, conv_weights, quantized=False), f32_reference_path)

    layout = spec.style_inputs()
    rows = []
    for style in styles:
        row = []
        for input_name, channels in layout:
            values = np.asarray(style.params[input_name], np.float32).reshape(-1)
            assert values.shape == (channels,), (style.id, input_name, values.shape)
            row.append(values)
        rows.append(np.concatenate(row))
    np.stack(rows).astype("<f4").tofile(os.path.join(out_dir, "styles.f32"))

    entries = []
    os.makedirs(os.path.join(out_dir, "thumbs"), exist_ok=True)
    for index, style in enumerate(styles):
        entry = {"id": style.id, "index": index, "name": style.name, "description": style.description,
                 "artist": style.artist, "title": style.title, "year": style.year, **style.extra}
        if style.thumbnail:
            rel = f"thumbs/{style.id}{os.path.splitext(style.thumbnail)[1]}"
            with open(style.thumbnail, "rb") as src, open(os.path.join(out_dir, rel), "wb") as dst:
                dst.write(src.read())
            entry["thumbnail"] = file_entry(out_dir, rel)
        entries.append(entry)

    manifest = {
        "schema": SCHEMA,
        "network": {
            "id": network_id,
            "architecture": spec.to_json(),
            "stride": stride,
            "generator": file_entry(out_dir, "generator.onnx"),
            "style_params": file_entry(out_dir, "styles.f32"),
            "style_inputs": [{"name": n, "channels": c} for n, c in layout],
            "norm_layers": [n for n, _ in spec.norm_layers()],
            **({"working_side": int(working_side)} if working_side else {}),
            # The reflection the network was trained to see around a picture (train.py `margin`).
            **({"reflect_margin": int(reflect_margin)} if reflect_margin else {}),
            # The loss network for learning a visitor's painting (export_loss_network.py), where
            # the folder has one: it does not depend on the generator, so a new package keeps it.
            **({"loss_network": file_entry(out_dir, "loss-network.safetensors")}
               if os.path.exists(os.path.join(out_dir, "loss-network.safetensors")) else {}),
        },
        "styles": entries,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return manifest
