#!/usr/bin/env python3
"""Build the fixture package: the real generator architecture at toy width with random weights.

It proves the plumbing (package format, int8 expansion, conditional instance norm, engines,
tiling) on any machine in seconds; it does not paint. Two fixture "styles" with different
random instance-norm parameters let tests switch and mix styles.

Usage: training/make_fixture.py OUT_DIR [F32_REFERENCE.onnx]
"""
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from atelier_train.export import NetSpec, StyleInfo, write_package  # noqa: E402

SEED = 20261121
SPEC = NetSpec(widths=(8, 12, 16), res_blocks=1)


def random_weights(rng):
    weights = {}
    for name, c_in, c_out, k, *_ in SPEC.convs():
        fan_in = c_in * k * k
        weights[f"{name}.weight"] = rng.normal(0.0, np.sqrt(2.0 / fan_in), (c_out, c_in, k, k)).astype(np.float32)
        weights[f"{name}.bias"] = rng.normal(0.0, 0.1, (c_out,)).astype(np.float32)
    return weights


def random_style(rng, index, colour, out_dir):
    params = {}
    for name, channels in SPEC.norm_layers():
        params[f"{name}.gamma"] = rng.uniform(0.6, 1.4, channels).astype(np.float32)
        params[f"{name}.beta"] = rng.normal(0.0, 0.3, channels).astype(np.float32)
    thumb = os.path.join(out_dir, f"_thumb{index}.png")
    Image.new("RGB", (8, 8), colour).save(thumb)
    letter = "AB"[index]
    return StyleInfo(
        id=f"fixture-{letter.lower()}", params=params,
        name={"en": f"Fixture {letter}", "zh": f"测试样式 {letter}"},
        description={"en": "Random weights for tests: proves the plumbing, paints nothing.",
                     "zh": "测试用的随机权重：只验证流程，不作画。"},
        artist={"en": "Atelier test suite", "zh": "Atelier 测试"}, title={"en": f"Fixture {letter}", "zh": f"测试 {letter}"},
        year="2026", thumbnail=thumb)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    weights = random_weights(rng)
    styles = [random_style(rng, 0, (200, 60, 40), out_dir), random_style(rng, 1, (40, 90, 200), out_dir)]
    manifest = write_package(out_dir, SPEC, weights, styles, network_id="fixture-8-12-16-r1",
                             f32_reference_path=sys.argv[2] if len(sys.argv) == 3 else None)
    for s in styles:
        os.remove(s.thumbnail)
    params = sum(w.size for w in weights.values())
    print(f"wrote {out_dir}: {params} conv parameters, {len(manifest['styles'])} styles, "
          f"generator {manifest['network']['generator']['bytes']} bytes")


if __name__ == "__main__":
    main()
