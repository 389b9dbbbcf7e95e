#!/usr/bin/env python3
"""Write the package's generator with its int8 weights expanded to float32: the model every
engine in the browser benchmark runs (Atelier expands the same weights the same way at load).

Usage: bench/export_f32.py MODELS_DIR OUT.onnx
"""
import json
import os
import sys

import onnx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../training"))
from atelier_train.export import expand_int8  # noqa: E402


def main():
    models, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(models, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    model = expand_int8(onnx.load(os.path.join(models, manifest["network"]["generator"]["file"])))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
