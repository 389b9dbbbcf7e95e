#!/usr/bin/env python3
"""Write the loss network that learning a visitor's painting runs (issue 33, src/learn): VGG19
conv1_1 .. conv4_1 (the campaign's style layers end at relu4_1; a trial without relu4_1 learned
worse: docs/learning.md), weights int8 per output channel like the package's generator
(`quantize_per_channel`), biases float32, as a safetensors file: `convB_I.weight` (I8),
`convB_I.weight_scale` (F32, one per output channel), `convB_I.bias` (F32).

Usage: training/export_loss_network.py [--vgg PATH] [--out models/loss-network.safetensors]
"""
import argparse
import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from atelier_train.export import quantize_per_channel  # noqa: E402

LAYERS = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3", "conv3_4", "conv4_1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vgg", default=os.path.join(HERE, "..", "..", "shared", "data", "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "models", "loss-network.safetensors"))
    args = ap.parse_args()
    from safetensors.numpy import load_file, save_file
    state = load_file(args.vgg)
    tensors = {}
    worst = 0.0
    for name in LAYERS:
        weight = state[f"{name}.weight"].astype(np.float32)
        q, scale = quantize_per_channel(weight)
        worst = max(worst, float(np.abs(q.astype(np.float32) * scale[:, None, None, None] - weight).max() / np.abs(weight).max()))
        tensors[f"{name}.weight"] = q
        tensors[f"{name}.weight_scale"] = scale
        tensors[f"{name}.bias"] = state[f"{name}.bias"].astype(np.float32)
    save_file(tensors, args.out, metadata={"network": "VGG19 conv1_1..conv4_1, Caffe convention (BGR 0..255 minus the ImageNet mean)",
                                           "source": "vgg19_conv1_1-conv5_1.fp16.safetensors (CC BY 4.0, Visual Geometry Group, Oxford)"})
    data = open(args.out, "rb").read()
    print(f"wrote {args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}, "
          f"int8 error at most {worst:.4f} of a layer's largest weight")


if __name__ == "__main__":
    main()
