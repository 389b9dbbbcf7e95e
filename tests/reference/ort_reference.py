#!/usr/bin/env python3
"""Independent reference: run an ONNX generator on a PNG with onnxruntime.

Prints JSON {"width", "height", "rgb": [...]} where rgb is the output as 8-bit RGB, row-major,
after the same convention Atelier uses: input RGB / 255 as NCHW float32, output clamped to 0..1,
times 255, rounded half away from zero.

Usage: ort_reference.py MODEL.onnx INPUT.png [OUTPUT.png]
With OUTPUT.png, writes the 8-bit output as a PNG instead of printing JSON (this is how
tests/fixtures/*.ort.png, the native engine tests' reference, are made).
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    model_path, image_path = sys.argv[1:3]
    rgb = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float32) / 255.0
    content = rgb.transpose(2, 0, 1)[None]
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    (stylized,) = session.run(["stylized"], {"content": content})
    out = np.clip(stylized[0].transpose(1, 2, 0), 0.0, 1.0) * 255.0
    out = np.floor(out + 0.5).astype(np.uint8)
    if len(sys.argv) == 4:
        Image.fromarray(out, "RGB").save(sys.argv[3])
        return
    h, w, _ = out.shape
    json.dump({"width": w, "height": h, "rgb": out.reshape(-1).tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
