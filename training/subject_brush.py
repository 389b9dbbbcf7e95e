#!/usr/bin/env python3
"""Prototype (issue 35, "keep the subject"): fine strokes where the photo has its subject, the
large strokes elsewhere, as a painter does.

From the release CLI's own pictures of one photo at --side px (cached like evaluate_detail.py's):
  D = the default painting (brush 1, detail stage on),
  P = the same without the detail stage (`--no-detail`),
  F = the photo painted at a finer brush (`--brush B --no-detail`),
writes  out = D + m * (F - P)  per style and photo into --out as STYLE-PHOTO.png, for
`evaluate_detail.py --ways LABEL=@DIR`. m in [0, 1] is where the photo has structure: the Sobel
magnitude of its luminance at the fine painting's working side, blurred (sigma --blur px there),
over its --quantile, through a smoothstep from --low to --high.

  training/subject_brush.py --out target/subject --photos life aitzgorri --styles starry-night
"""
import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from evaluate_highres import luma, sobel_magnitude  # noqa: E402
from lattice_score import gaussian_filter  # noqa: E402


def subject_mask(photo, fine_side, size, blur, quantile, low, high):
    """Where the photo has structure at the fine painting's scale, in [0, 1], at `size`."""
    w, h = photo.size
    s = fine_side / max(w, h)
    e = sobel_magnitude(luma(photo, (max(1, round(w * s)), max(1, round(h * s)))) / 255.0)
    e = gaussian_filter(e, blur)
    e = e / max(float(np.quantile(e, quantile)), 1e-6)
    t = np.clip((e - low) / max(high - low, 1e-6), 0, 1)
    m = t * t * (3 - 2 * t)
    return np.asarray(Image.fromarray(m.astype(np.float32), mode="F").resize(size, Image.BILINEAR), dtype=np.float32)


def cli_picture(args, gen, src, style, name, extra):
    tag = hashlib.sha256(" ".join(extra).encode()).hexdigest()[:8]
    out = os.path.join(args.cache, f"{gen}-{tag}-{style}-{name}-{args.side}.png")
    if not os.path.exists(out):
        subprocess.run([args.cli, "--models", args.models, "stylize", src, out, "--style", style,
                        "--max-side", str(args.side), "--engine", "cpu", *extra], check=True, capture_output=True)
    return np.asarray(Image.open(out).convert("RGB"), dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--photos", nargs="+", default=["aitzgorri", "life", "seeding", "sunset", "wine"])
    ap.add_argument("--styles", nargs="+", default=None)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--cache", default=os.path.join(ROOT, "target/detail-cache"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "target/release/atelier"))
    ap.add_argument("--brush", type=float, default=0.5)
    ap.add_argument("--blur", type=float, default=6.0)
    ap.add_argument("--quantile", type=float, default=0.9)
    ap.add_argument("--low", type=float, default=0.3)
    ap.add_argument("--high", type=float, default=0.8)
    ap.add_argument("--masks", action="store_true", help="also write each photo's mask as MASK-PHOTO.png")
    args = ap.parse_args()

    manifest = json.load(open(os.path.join(args.models, "manifest.json"), encoding="utf-8"))
    styles = args.styles or [s["id"] for s in manifest["styles"]]
    working = manifest["network"].get("working_side", 288)
    package_key = hashlib.sha256(open(os.path.join(args.models, "generator.onnx"), "rb").read())
    package_key.update(manifest["network"].get("refiner", {}).get("sha256", "").encode())
    gen = package_key.hexdigest()[:12]
    os.makedirs(args.cache, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    for name in args.photos:
        src = os.path.join(args.data_dir, "highres", name + ".jpg")
        photo = Image.open(src).convert("RGB")
        mask = None
        for style in styles:
            d = cli_picture(args, gen, src, style, name, [])
            p = cli_picture(args, gen, src, style, name, ["--no-detail"])
            f = cli_picture(args, gen, src, style, name, shlex.split(f"--brush {args.brush} --no-detail"))
            if mask is None:
                mask = subject_mask(photo, round(working / args.brush), (d.shape[1], d.shape[0]),
                                    args.blur, args.quantile, args.low, args.high)
                if args.masks:
                    Image.fromarray((mask * 255).round().astype(np.uint8)).save(os.path.join(args.out, f"MASK-{name}.png"))
            out = d + mask[..., None] * (f - p)
            Image.fromarray(np.clip(out, 0, 255).round().astype(np.uint8)).save(os.path.join(args.out, f"{style}-{name}.png"))
            print(f"{style}-{name}: mask mean {mask.mean():.2f}", flush=True)


if __name__ == "__main__":
    main()
