#!/usr/bin/env python3
"""How much pixel-scale colour flicker a package paints: the rainbow diagonal hatch of stretch 14
(docs/training.md), magenta, green and yellow stripes a few px apart at the working side.

  training/hatch_score.py --package models [--package /tmp/other ...] [--working-side 288]

Runs each package the way Atelier does (onnxruntime, its reflection margin) on the large photos
and held-out photos at the working side of the default brush and measures, per style, the
|high-pass| of the two colour-difference channels (B - Y, R - Y; high-pass = the picture minus its
7x7 box blur) in 0..255 steps: its mean over the picture and the 95th percentile of its means over
24 px tiles (the hatch covers some areas, not all). The same number for the painting itself, resized so that its long
side is the training's style side, is the reference: a style that paints colour flicker its
painting does not have scores well above it (ratio > 1). Lower is better; luminance strokes do not
count.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.reference import PackageRunner  # noqa: E402
from frame_score import load_photos  # noqa: E402

# The high-pass's box: the hatch's stripes are about 5 px apart at the working side, so a 7 px box
# keeps them (a 3 px one sees only single-pixel noise and did not tell step 25800 from 30500).
BOX = 7
BLOCK = 24  # px tiles for the local score: a 100 % crop of a 2048 px picture is about 34 px of the working side


def flicker_blocks(rgb01, box=BOX, block=BLOCK):
    """Mean |high-pass| of the colour-difference channels over each block x block tile."""
    rgb = 255.0 * np.clip(rgb01, 0.0, 1.0)
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    flicker = 0.0
    for c in (rgb[..., 2] - y, rgb[..., 0] - y):
        r = box // 2
        p = np.pad(c, r, mode="edge")
        blur = sum(p[i:i + c.shape[0], j:j + c.shape[1]] for i in range(box) for j in range(box)) / box ** 2
        flicker = flicker + np.abs(c - blur) / 2.0
    h, w = (flicker.shape[0] // block) * block, (flicker.shape[1] // block) * block
    return flicker[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3)).ravel()


def scores(blocks):
    """(mean over the picture, 95th percentile over its tiles): the hatch covers some areas, not all."""
    blocks = np.concatenate(blocks)
    return float(blocks.mean()), float(np.percentile(blocks, 95))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", action="append", required=True)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--working-side", type=int, default=288)
    ap.add_argument("--style-side", type=int, default=320, help="the training's painting size (configs' style_side)")
    ap.add_argument("--held-out", type=int, default=12)
    ap.add_argument("--styles", default=None, help="comma-separated ids (default: all)")
    args = ap.parse_args()
    photos = load_photos(args.data_dir, args.working_side, args.held_out)
    with open(os.path.join(HERE, "styles.json"), encoding="utf-8") as f:
        file_by_id = {v["id"]: k for k, v in json.load(f).items() if not k.startswith("_")}
    runners = [PackageRunner(p) for p in args.package]
    ids = [s["id"] for s in runners[0].manifest["styles"]]
    if args.styles:
        ids = [i for i in ids if i in args.styles.split(",")]
    print(f"colour flicker (|high-pass| of B-Y, R-Y, 0..255: mean / 95th percentile of {BLOCK} px tiles), "
          f"{len(photos)} photos at {args.working_side} px; painting at {args.style_side} px as the reference; "
          f"ratio = package / painting, on the 95th percentile")
    print("| style | painting | " + " | ".join(os.path.basename(os.path.normpath(p)) for p in args.package) + " |")
    print("| --- | ---: |" + " ---: |" * len(runners))
    ratios = [[] for _ in runners]
    for sid in ids:
        painting = Image.open(os.path.join(args.data_dir, "styles", file_by_id[sid])).convert("RGB")
        scale = args.style_side / max(painting.size)
        painting = painting.resize((round(painting.width * scale), round(painting.height * scale)), Image.LANCZOS)
        reference = scores([flicker_blocks(np.asarray(painting, dtype=np.float32) / 255.0)])
        cells = []
        for k, runner in enumerate(runners):
            value = scores([flicker_blocks(runner.stylize(p, sid)) for p in photos])
            ratios[k].append(value[1] / reference[1])
            cells.append(f"{value[0]:.2f} / {value[1]:.2f} ({value[1] / reference[1]:.2f}x)")
        print(f"| {sid} | {reference[0]:.2f} / {reference[1]:.2f} | " + " | ".join(cells) + " |")
    print("| median ratio | | " + " | ".join(f"{np.median(r):.2f}x" for r in ratios) + " |")


if __name__ == "__main__":
    main()
