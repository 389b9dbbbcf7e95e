#!/usr/bin/env python3
"""Build the learning fixtures: what PyTorch's autograd says, for the Rust learner to match.

`tests/learn.rs` checks Atelier's own backward passes (src/learn, the backward kernels beside
the engine's forward ones) against these numbers:

- generator.json: the fixture package's generator (tests/fixtures/package: the real
  architecture at toy width) on a small random picture with style fixture-a; the loss is
  sum(output * R) for a fixed random R, so the gradient arriving at the output is R. Holds the
  output and d loss / d gamma, d beta of every instance norm, by the package's input names.
- loss_network.json: a loss network with VGG19's layer plan (conv1_1 .. conv4_1, the pools
  between) at toy widths with random weights, the Caffe input convention of VGGFeatures, and the
  training code's losses: Gram style loss (gram() / (c h w), mean squared difference, per-layer
  weights) at relu1_1 .. relu4_1 and a feature content loss at relu3_1 against fixed targets.
  Holds the weights, the input, the targets, the loss and d loss / d input.

Usage: training/make_learn_fixture.py [OUT_DIR]   (default tests/fixtures/learn)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from atelier_train.export import NetSpec  # noqa: E402
from atelier_train.network import Generator, VGGFeatures, gram  # noqa: E402

SEED = 20261204
# conv1_1 .. conv4_1 of VGG19 at toy widths: (name, c_in, c_out), "pool" between blocks.
TOY_VGG = [("conv1_1", 3, 4), ("conv1_2", 4, 4), "pool", ("conv2_1", 4, 6), ("conv2_2", 6, 6), "pool",
           ("conv3_1", 6, 8), ("conv3_2", 8, 8), ("conv3_3", 8, 8), ("conv3_4", 8, 8), "pool", ("conv4_1", 8, 10)]
STYLE_WEIGHTS = {"relu1_1": 1000.0, "relu2_1": 25.0, "relu3_1": 120.0, "relu4_1": 4.0}
CONTENT_LAYER, CONTENT_WEIGHT = "relu3_1", 0.5


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def load_fixture_generator(package_dir):
    sys.path.insert(0, HERE)
    import train  # the training code's own package loader
    with open(os.path.join(package_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    arch = manifest["network"]["architecture"]
    gen = Generator(NetSpec(widths=tuple(arch["widths"]), res_blocks=arch["res_blocks"]), 1)
    # Style row 0 from the package's first style (fixture-a): init_from_package matches styles by
    # painting file, which a fixture has none of, so the row is copied here.
    train.init_from_package(gen, package_dir, [])
    table = np.fromfile(os.path.join(package_dir, manifest["network"]["style_params"]["file"]), dtype="<f4")
    row = table.reshape(len(manifest["styles"]), -1)[0]
    offset = 0
    with torch.no_grad():
        for entry in manifest["network"]["style_inputs"]:
            layer, kind = entry["name"].rsplit(".", 1)
            c = entry["channels"]
            getattr(gen.norms[layer], kind)[0].copy_(torch.from_numpy(row[offset:offset + c].copy()))
            offset += c
    return gen, manifest


def generator_fixture(package_dir, rng):
    gen, manifest = load_fixture_generator(package_dir)
    gen.eval()
    h, w = 20, 24
    x = torch.from_numpy(rng.uniform(0, 1, (1, 3, h, w)).astype(np.float32))
    out = gen(x, torch.ones(1, 1))
    r = torch.from_numpy(rng.normal(0, 1, out.shape).astype(np.float32))
    (out * r).sum().backward()
    grads = {}
    for entry in manifest["network"]["style_inputs"]:
        layer, kind = entry["name"].rsplit(".", 1)
        grads[entry["name"]] = flat(getattr(gen.norms[layer], kind).grad[0])
    return {"style": manifest["styles"][0]["id"], "height": h, "width": w, "input": flat(x), "output_grad": flat(r),
            "output": flat(out), "grads": grads}


def loss_network_fixture(rng, path):
    from safetensors.torch import save_file
    weights = {}
    for item in TOY_VGG:
        if item == "pool":
            continue
        name, c_in, c_out = item
        weights[f"{name}.weight"] = torch.from_numpy(rng.normal(0, np.sqrt(2 / (9 * c_in)), (c_out, c_in, 3, 3)).astype(np.float16))
        weights[f"{name}.bias"] = torch.from_numpy(rng.normal(0, 0.5, (c_out,)).astype(np.float16))
    # VGGFeatures reads its layer plan from VGG19's; a toy file with the same names and the toy
    # shapes builds the toy network through the same code.
    save_file(weights, path)
    import atelier_train.network as network
    real_layers = network.VGG_LAYERS
    network.VGG_LAYERS = TOY_VGG
    try:
        vgg = VGGFeatures(path, outputs=set(STYLE_WEIGHTS) | {CONTENT_LAYER})
    finally:
        network.VGG_LAYERS = real_layers
    h, w = 24, 16
    x = torch.from_numpy(rng.uniform(0, 1, (1, 3, h, w)).astype(np.float32)).requires_grad_(True)
    feats = vgg(x)
    targets = {k: torch.from_numpy(rng.normal(0, 1, (feats[k].shape[1],) * 2).astype(np.float32)) for k in STYLE_WEIGHTS}
    for k in targets:
        targets[k] = (targets[k] @ targets[k].T) / targets[k].shape[0]  # symmetric, like a Gram matrix
    content_target = torch.from_numpy(rng.normal(0, 1, feats[CONTENT_LAYER].shape).astype(np.float32)).abs()
    style = sum(wt * (gram(feats[k])[0] - targets[k]).pow(2).mean() for k, wt in STYLE_WEIGHTS.items())
    content = CONTENT_WEIGHT * (feats[CONTENT_LAYER] - content_target).pow(2).mean()
    loss = style + content
    loss.backward()
    os.remove(path)
    layers = []
    for item in TOY_VGG:
        if item == "pool":
            layers.append({"pool": True})
        else:
            name, c_in, c_out = item
            layers.append({"name": name, "c_in": c_in, "c_out": c_out,
                           "weight": flat(weights[f"{name}.weight"].float()), "bias": flat(weights[f"{name}.bias"].float())})
    return {"layers": layers, "height": h, "width": w, "input": flat(x),
            "style_weights": STYLE_WEIGHTS, "style_targets": {k: flat(v) for k, v in targets.items()},
            "content_layer": CONTENT_LAYER, "content_weight": CONTENT_WEIGHT, "content_target": flat(content_target),
            "style_loss": float(style.detach()), "content_loss": float(content.detach()), "input_grad": flat(x.grad)}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures", "learn")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    package = os.path.join(HERE, "..", "tests", "fixtures", "package")
    torch.set_num_threads(1)
    fixtures = {
        "generator.json": generator_fixture(package, rng),
        "loss_network.json": loss_network_fixture(rng, os.path.join(out_dir, "_toy_vgg.safetensors")),
    }
    for name, data in fixtures.items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
        print(f"wrote {name} ({os.path.getsize(os.path.join(out_dir, name))} bytes)")


if __name__ == "__main__":
    main()
