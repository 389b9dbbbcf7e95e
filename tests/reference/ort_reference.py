#!/usr/bin/env python3
"""Independent reference: a package's generator on a photo, run by onnxruntime.

Expands the package's int8 weights to float32 in numpy (or uses --f32-model, the exporter's
float32 graph), feeds the style's instance-norm parameters as inputs, and prints JSON
{"width", "height", "rgb": [...]}: 8-bit RGB, row-major, by Atelier's conventions (input RGB/255
as NCHW float32; output clamped to 0..1, times 255, rounded half up).

  --pad          reflection-pad the photo first and crop after, as Atelier's pipeline does
  --png OUT      write the output as a PNG instead of JSON

Usage: ort_reference.py PACKAGE_DIR PHOTO.png --style ID [--mix ID:T] [--pad] [--f32-model M] [--png OUT]
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../training"))
from atelier_train.reference import PackageRunner, to_bytes  # noqa: E402


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

    runner = PackageRunner(args.package, args.f32_model)
    mix = None
    if args.mix:
        other, t = args.mix.split(":")
        mix = (other, float(t))
    rgb = np.asarray(Image.open(args.photo).convert("RGB"), dtype=np.float32) / 255.0
    out = to_bytes(runner.stylize(rgb, args.style, mix, pad=args.pad))
    if args.png:
        Image.fromarray(out, "RGB").save(args.png)
        return
    height, width, _ = out.shape
    json.dump({"width": width, "height": height, "rgb": out.reshape(-1).tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
