#!/usr/bin/env python3
"""Independent reference: a package's generator on a photo, run by onnxruntime.

Expands the package's int8 weights to float32 in numpy (or uses --f32-model, the exporter's
float32 graph), feeds the style's instance-norm parameters as inputs, and prints JSON
{"width", "height", "rgb": [...]}: 8-bit RGB, row-major, by Atelier's conventions (input RGB/255
as NCHW float32; output clamped to 0..1, times 255, rounded half up).

  --pad          reflection-pad the photo first and crop after, as Atelier's pipeline does
                 (pad = clamp(round(long side / 16), 8, 40), plus whatever makes each padded
                 side a multiple of the network stride, added at the bottom/right)
  --png OUT      write the output as a PNG instead of JSON

Usage: ort_reference.py PACKAGE_DIR PHOTO.png --style ID [--mix ID:T] [--pad] [--f32-model M] [--png OUT]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../training"))
from atelier_train.export import expand_int8  # noqa: E402


def style_inputs(package, manifest, style_id, mix):
    table = np.fromfile(os.path.join(package, manifest["network"]["style_params"]["file"]), dtype="<f4")
    layout = manifest["network"]["style_inputs"]
    table = table.reshape(len(manifest["styles"]), sum(e["channels"] for e in layout))
    index = {s["id"]: s["index"] for s in manifest["styles"]}
    row = table[index[style_id]]
    if mix:
        other, t = mix.split(":")
        row = (1.0 - float(t)) * row + float(t) * table[index[other]]
    feeds, offset = {}, 0
    for entry in layout:
        c = entry["channels"]
        feeds[entry["name"]] = row[offset:offset + c].reshape(1, c, 1, 1).astype(np.float32)
        offset += c
    return feeds


def reflect_pad_amounts(width, height, stride):
    pad = int(min(max(round(max(width, height) / 16), 8), 40))
    pad = min(pad, width - 1, height - 1)
    extra_w = (-(width + 2 * pad)) % stride
    extra_h = (-(height + 2 * pad)) % stride
    return pad, extra_w, extra_h


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("package")
    ap.add_argument("photo")
    ap.add_argument("--style", required=True)
    ap.add_argument("--mix")
    ap.add_argument("--pad", action="store_true")
    ap.add_argument("--f32-model")
    ap.add_argument("--png")
    args = ap.parse_args()

    with open(os.path.join(args.package, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if args.f32_model:
        model = onnx.load(args.f32_model)
    else:
        model = expand_int8(onnx.load(os.path.join(args.package, manifest["network"]["generator"]["file"])))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])

    rgb = np.asarray(Image.open(args.photo).convert("RGB"), dtype=np.float32) / 255.0
    height, width, _ = rgb.shape
    if args.pad:
        pad, extra_w, extra_h = reflect_pad_amounts(width, height, manifest["network"]["stride"])
        rgb = np.pad(rgb, ((pad, pad + extra_h), (pad, pad + extra_w), (0, 0)), mode="reflect")
    feeds = style_inputs(args.package, manifest, args.style, args.mix)
    feeds["content"] = rgb.transpose(2, 0, 1)[None].copy()
    (stylized,) = session.run(["stylized"], feeds)
    out = stylized[0].transpose(1, 2, 0)
    if args.pad:
        out = out[pad:pad + height, pad:pad + width]
    out = np.floor(np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if args.png:
        Image.fromarray(out, "RGB").save(args.png)
        return
    json.dump({"width": width, "height": height, "rgb": out.reshape(-1).tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
