#!/usr/bin/env python3
"""Export a training checkpoint to Atelier's model package and check it.

  training/export_package.py --checkpoint target/training/cpu-adv/checkpoint.pt --out models

Writes generator.onnx (int8), styles.f32, thumbs/ and manifest.json into --out, the float32
reference graph to --f32 (default: target/training/generator.f32.onnx), then checks:
- `atelier check` (the Rust linter and loader the app uses), unless --no-rust-check;
- onnxruntime runs the float32 graph and the int8 package graph on a held-out photo, and both
  agree with PyTorch (float32: max |diff| < 1e-3; int8: PSNR reported).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.data import photo_paths, split, to_tensor  # noqa: E402
from atelier_train.export import NetSpec, StyleInfo, expand_int8, write_package  # noqa: E402
from atelier_train.network import Generator  # noqa: E402


def load_generator(checkpoint):
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = state["config"]
    spec = NetSpec(widths=tuple(cfg["widths"]), res_blocks=cfg["res_blocks"])
    gen = Generator(spec, len(state["styles"]))
    gen.load_state_dict(state["gen"])
    gen.eval()
    return gen, spec, state


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def to_bytes(x):
    return np.floor(np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--f32", default=os.path.join(ROOT, "target/training/generator.f32.onnx"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--no-rust-check", action="store_true")
    ap.add_argument("--working-side", type=int, default=None,
                    help="the working side the manifest states (brush 1 paints at it); default: the training "
                         "config's. 288 for the shipped package: measured best at a 256 px view of 1024-4096 px "
                         "outputs (docs/evaluation-highres.md)")
    args = ap.parse_args()

    gen, spec, state = load_generator(args.checkpoint)
    conv, style_params = gen.export_weights()
    with open(os.path.join(HERE, "styles.json"), encoding="utf-8") as f:
        gallery = json.load(f)
    tmp = tempfile.mkdtemp()
    styles = []
    for file, params in zip(state["styles"], style_params):
        # Only the gallery's paintings are shipped: a campaign's extra paintings (train.py
        # `extra_paintings`) taught the shared weights and have no gallery entry.
        if file not in gallery:
            continue
        info = gallery[file]
        painting = Image.open(os.path.join(args.data_dir, "styles", file)).convert("RGB")
        painting.thumbnail((320, 320), Image.LANCZOS)
        thumb = os.path.join(tmp, info["id"] + ".jpg")
        painting.save(thumb, quality=82, optimize=True, progressive=True)
        styles.append(StyleInfo(id=info["id"], params=params, name=info["name"], description=info["description"],
                                artist=info["artist"], title=info["title"], year=info["year"], thumbnail=thumb))
    for stale in ("generator.onnx", "styles.f32", "manifest.json"):
        if os.path.exists(os.path.join(args.out, stale)):
            os.remove(os.path.join(args.out, stale))
    thumbs = os.path.join(args.out, "thumbs")
    if os.path.isdir(thumbs):
        for f in os.listdir(thumbs):
            os.remove(os.path.join(thumbs, f))
    os.makedirs(os.path.dirname(args.f32), exist_ok=True)
    widths = "-".join(str(w) for w in spec.widths)
    manifest = write_package(args.out, spec, conv, styles, network_id=f"cin-{widths}-r{spec.res_blocks}-step{state['step']}",
                             f32_reference_path=args.f32, working_side=args.working_side or state["config"].get("working_side"),
                             reflect_margin=state["config"].get("margin"))
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(args.out) for f in fs if f != "README.md")
    print(f"package: {len(styles)} styles, generator {manifest['network']['generator']['bytes']} bytes, "
          f"{total} bytes in all", flush=True)

    if not args.no_rust_check:
        subprocess.run(["cargo", "run", "--quiet", "--release", "--bin", "atelier", "--", "--models", args.out, "check"],
                       cwd=ROOT, check=True)

    # onnxruntime against PyTorch on one held-out photo, every style.
    _, held_out = split(photo_paths(os.path.join(args.data_dir, "content")))
    photo = Image.open(held_out[0]).convert("RGB")
    photo = photo.resize((photo.width // 4 * 4, photo.height // 4 * 4))
    x = to_tensor(photo)[None]
    f32 = ort.InferenceSession(args.f32, providers=["CPUExecutionProvider"])
    q8 = ort.InferenceSession(expand_int8(onnx.load(os.path.join(args.out, "generator.onnx"))).SerializeToString(),
                              providers=["CPUExecutionProvider"])
    worst, psnrs = 0.0, []
    for index, params in enumerate(style_params):
        feeds = {k: v.reshape(1, -1, 1, 1).astype(np.float32) for k, v in params.items()}
        feeds["content"] = x.numpy()
        with torch.no_grad():
            ref = gen(x, F.one_hot(torch.tensor([index]), len(style_params)).float()).numpy()
        (a,) = f32.run(["stylized"], feeds)
        (b,) = q8.run(["stylized"], feeds)
        worst = max(worst, float(np.abs(a - ref).max()))
        psnrs.append(psnr(to_bytes(a), to_bytes(b)))
    print(f"onnxruntime float32 vs PyTorch: max |diff| {worst:.2e}; int8 vs float32 PSNR: "
          f"min {min(psnrs):.1f} dB, mean {np.mean(psnrs):.1f} dB", flush=True)
    if worst > 1e-3:
        sys.exit("the exported float32 graph disagrees with PyTorch")


if __name__ == "__main__":
    main()
