#!/usr/bin/env python3
"""Pasted motifs, measured (issue 35): how much of a painting is a bright, compact blob (a
"moon", a glowing disc) where the photo had no bright spot. At a 256 px view of the output and of
the photo: a pixel is a candidate where the output is brighter than its surroundings (luminance
minus its --window px box mean) by more than --lift while the photo at that place is not (by less
than a third of that); candidates are grouped into 4-connected blobs, and a blob counts as a
motif where it is compact (at least --min-area px, filling at least --fill of its bounding box,
the box no more than 2.5x longer than wide): a disc, not a stroke or an edge. Prints, per package
and style, the motif area in per mille of the picture and the number of motifs, over the photos.

Checked by eye on marked pictures (--write-masks) of starry-night, great-wave and composition-vii
on aitzgorri and life (2026-12-05): it finds Starry Night's pasted moons (one in the shipped
package's aitzgorri, two in step 38000's) and nothing on life; it misses composition-vii's
orange disc (saturated, but hardly brighter than its busy surroundings), and flags one white
patch of great-wave's sky. A first measure, to be read beside the contact sheets.

The paintings come from the release CLI (`atelier stylize --max-side 2048`, default brush), kept
under --cache so a second run only measures.

  training/motif_score.py --packages models target/next-pkg [--photos life aitzgorri ...] \
      [--styles starry-night ...] [--write-masks DIR]
"""
import argparse
import hashlib
import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VIEW = 256


def luminance_at_view(path):
    im = Image.open(path).convert("RGB")
    scale = VIEW / max(im.size)
    im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
    a = np.asarray(im, dtype=np.float32) / 255.0
    return a @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def lift(lum, window):
    """Luminance minus its box mean over `window` px (odd; reflected at the edges)."""
    t = torch.from_numpy(lum)[None, None]
    r = window // 2
    mean = F.avg_pool2d(F.pad(t, (r, r, r, r), mode="reflect"), window, stride=1)
    return (t - mean)[0, 0].numpy()


def blobs(mask):
    """4-connected components of a boolean mask: a list of (ys, xs) arrays."""
    h, w = mask.shape
    seen = np.zeros_like(mask)
    out = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        stack, ys, xs = [(y0, x0)], [], []
        seen[y0, x0] = True
        while stack:
            y, x = stack.pop()
            ys.append(y)
            xs.append(x)
            for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                v, u = y + dy, x + dx
                if 0 <= v < h and 0 <= u < w and mask[v, u] and not seen[v, u]:
                    seen[v, u] = True
                    stack.append((v, u))
        out.append((np.array(ys), np.array(xs)))
    return out


def motifs(painted, photo, args):
    out_lift, photo_lift = lift(luminance_at_view(painted), args.window), lift(luminance_at_view(photo), args.window)
    if photo_lift.shape != out_lift.shape:
        photo_lift = np.asarray(Image.fromarray(photo_lift).resize(out_lift.shape[::-1]))
    candidates = (out_lift > args.lift) & (photo_lift < args.lift / 3)
    found = np.zeros_like(candidates)
    count = 0
    for ys, xs in blobs(candidates):
        bh, bw = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        if len(ys) >= args.min_area and len(ys) >= args.fill * bh * bw and max(bh, bw) <= 2.5 * min(bh, bw):
            found[ys, xs] = True
            count += 1
    return found, count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packages", nargs="+", required=True)
    ap.add_argument("--photos", nargs="+", default=["aitzgorri", "life", "seeding", "sunset", "wine"],
                    help="names in the data's highres/ (without .jpg)")
    ap.add_argument("--styles", nargs="+", default=None, help="default: every style of the first package")
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--lift", type=float, default=0.2)
    ap.add_argument("--min-area", type=int, default=60)
    ap.add_argument("--window", type=int, default=81)
    ap.add_argument("--fill", type=float, default=0.55)
    ap.add_argument("--cache", default=os.path.join(ROOT, "target/motif-cache"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "target/release/atelier"),
                    help="the atelier binary (an older build keeps scores comparable across upsampler changes)")
    ap.add_argument("--write-masks", default=None, help="a folder for each painting with its motifs marked")
    args = ap.parse_args()
    import json
    styles = args.styles or [s["id"] for s in json.load(open(os.path.join(args.packages[0], "manifest.json")))["styles"]]
    cli = args.cli
    os.makedirs(args.cache, exist_ok=True)
    print(f"| style | " + " | ".join(os.path.basename(os.path.normpath(p)) for p in args.packages) + " |")
    print("| --- |" + " ---: |" * len(args.packages))
    totals = {p: [] for p in args.packages}
    for style in styles:
        cells = []
        for pkg in args.packages:
            gen = hashlib.sha256(open(os.path.join(pkg, "generator.onnx"), "rb").read()).hexdigest()[:12]
            area, count = 0.0, 0
            for photo in args.photos:
                photo_path = os.path.join(args.data_dir, "highres", photo + ".jpg")
                out = os.path.join(args.cache, f"{gen}-{style}-{photo}-{args.side}.png")
                if not os.path.exists(out):
                    subprocess.run([cli, "stylize", "--models", pkg, "--style", style, "--max-side", str(args.side), photo_path, out],
                                   check=True, capture_output=True)
                found, n = motifs(out, photo_path, args)
                area += found.mean() / len(args.photos)
                count += n
                if args.write_masks:
                    os.makedirs(args.write_masks, exist_ok=True)
                    im = Image.open(out).convert("RGB")
                    im = im.resize(found.shape[::-1], Image.LANCZOS)
                    a = np.asarray(im).copy()
                    a[found] = (a[found] * 0.3 + np.array([255, 0, 255]) * 0.7).astype(np.uint8)
                    Image.fromarray(a).save(os.path.join(args.write_masks, f"{gen}-{style}-{photo}.png"))
            totals[pkg].append(area)
            cells.append(f"{1000 * area:.1f} ‰ ({count})")
        print(f"| {style} | " + " | ".join(cells) + " |")
    print("| mean | " + " | ".join(f"{1000 * np.mean(totals[p]):.1f} ‰" for p in args.packages) + " |")


if __name__ == "__main__":
    main()
