"""Run a package the way Atelier does, with onnxruntime: int8 weights expanded in numpy, style
parameters as inputs, reflection padding outside the network. Shared by the evaluation and by
tests/reference/ort_reference.py."""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort

from .export import expand_int8


MIN_PASS_SIDE = 16  # src/pipeline.rs


def reflect_pad_amounts(width, height, stride, margin=None):
    """Atelier's rule (src/pipeline.rs): the package's trained `margin` (network.reflect_margin)
    or, where it states none, clamp(round(long/16), 8, 40); never more than the picture allows,
    plus what makes each padded side a multiple of the stride and at least MIN_PASS_SIDE
    (bottom/right)."""
    pad = int(margin) if margin is not None else int(min(max(round(max(width, height) / 16), 8), 40))
    pad = min(pad, width - 1, height - 1)

    def extra(side):
        to_minimum = max(MIN_PASS_SIDE - (side + 2 * pad), 0)
        return to_minimum + (-(side + 2 * pad + to_minimum)) % stride

    return pad, extra(width), extra(height)


class PackageRunner:
    def __init__(self, package_dir, f32_model=None):
        with open(os.path.join(package_dir, "manifest.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        network = self.manifest["network"]
        model = onnx.load(f32_model) if f32_model else expand_int8(onnx.load(os.path.join(package_dir, network["generator"]["file"])))
        self.session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        layout = network["style_inputs"]
        table = np.fromfile(os.path.join(package_dir, network["style_params"]["file"]), dtype="<f4")
        self.table = table.reshape(len(self.manifest["styles"]), sum(e["channels"] for e in layout))
        self.layout = layout
        self.index = {s["id"]: s["index"] for s in self.manifest["styles"]}

    def style_feeds(self, style_id, mix=None):
        row = self.table[self.index[style_id]]
        if mix:
            other, t = mix
            row = (1.0 - t) * row + t * self.table[self.index[other]]
        feeds, offset = {}, 0
        for entry in self.layout:
            c = entry["channels"]
            feeds[entry["name"]] = row[offset:offset + c].reshape(1, c, 1, 1).astype(np.float32)
            offset += c
        return feeds

    def stylize(self, rgb01, style_id, mix=None, pad=True):
        """rgb01: HxWx3 float32 in 0..1. Returns HxWx3 float32 in 0..1 (unclamped)."""
        height, width, _ = rgb01.shape
        if pad:
            network = self.manifest["network"]
            p, extra_w, extra_h = reflect_pad_amounts(width, height, network["stride"], network.get("reflect_margin"))
            rgb01 = np.pad(rgb01, ((p, p + extra_h), (p, p + extra_w), (0, 0)), mode="reflect")
        feeds = self.style_feeds(style_id, mix)
        feeds["content"] = rgb01.transpose(2, 0, 1)[None].astype(np.float32).copy()
        (out,) = self.session.run(["stylized"], feeds)
        out = out[0].transpose(1, 2, 0)
        return out[p:p + height, p:p + width] if pad else out


def to_bytes(rgb01):
    return np.floor(np.clip(rgb01, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
