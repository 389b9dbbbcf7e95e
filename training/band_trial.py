#!/usr/bin/env python3
"""Ways of combining a painting with its re-painting at a finer brush (issue 35, detail at 100 %),
as pictures for `evaluate_detail.py --ways LABEL=@DIR`.

Input: per style and photo, `P` = the 2048 px painting without the detail stage
(`atelier stylize --no-detail`) and `R` = `P` painted again at half the brush (`atelier stylize
--brush 0.5 --no-detail P`), both `STYLE-PHOTO.png` in their folders. Output: one folder per way.

Ways (G_s: a Gaussian blur of sigma s px; H_s = 1 - G_s, applied twice where squared):
- `add-luma`: `P + 2 H_2^2 lum(R)` on every channel: what the shipped stage does (the control).
- `swap-sS`: `P + H_s^2 (R - P)` per channel: the band above ~s px taken from R *instead of* P's
  own, so no frequency gets the contrast of both (adding R's band on top of P's doubled the
  strokes' contrast at 10-25 px and tripled the style ratio at a 256 px view at s = 4).
- `swapgain-sS`: `swap-sS` plus `H_2^2 lum(R)` once more (the shipped stage's fine gain on top).
- `repaint`: R alone (the far end).
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def gaussian(img, sigma):
    """Separable Gaussian blur of a (C, H, W) float tensor, reflected edges."""
    r = int(np.ceil(3 * sigma))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-x * x / (2 * sigma * sigma))
    k = k / k.sum()
    c = img.shape[0]
    t = img.unsqueeze(0)
    t = F.pad(t, (r, r, 0, 0), mode="reflect")
    t = F.conv2d(t, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    t = F.pad(t, (0, 0, r, r), mode="reflect")
    t = F.conv2d(t, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return t[0]


def high2(img, sigma):
    h = img - gaussian(img, sigma)
    return h - gaussian(h, sigma)


def luma(t):
    return (0.299 * t[0] + 0.587 * t[1] + 0.114 * t[2]).unsqueeze(0)


def load(path):
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)).permute(2, 0, 1)


def save(t, path):
    a = t.clamp(0, 255).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(a).save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--painted", required=True, help="folder of P (no detail stage)")
    ap.add_argument("--repainted", required=True, help="folder of R (P at half the brush)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ways", nargs="+", default=["add-luma", "swap-s3", "swap-s4", "swapgain-s4", "repaint"])
    args = ap.parse_args()
    torch.set_num_threads(2)
    for name in sorted(os.listdir(args.painted)):
        if not name.endswith(".png"):
            continue
        p = load(os.path.join(args.painted, name))
        r = load(os.path.join(args.repainted, name))
        for way in args.ways:
            if way == "add-luma":
                out = p + 2 * high2(luma(r), 2.0)
            elif way.startswith("swapgain-s"):
                s = float(way[len("swapgain-s"):])
                out = p + high2(r - p, s) + high2(luma(r), 2.0)
            elif way.startswith("swap-s"):
                s = float(way[len("swap-s"):])
                out = p + high2(r - p, s)
            elif way == "repaint":
                out = r
            else:
                raise SystemExit(f"unknown way {way}")
            d = os.path.join(args.out, way)
            os.makedirs(d, exist_ok=True)
            save(out, os.path.join(d, name))
        print(name, flush=True)


if __name__ == "__main__":
    main()
