#!/usr/bin/env python3
"""The painting's own finest band, copied where the painted picture looks like it (issue 35,
detail at 100 %; a prototype, pictures for `evaluate_detail.py --ways LABEL=@DIR`).

A 2048 px output is painted at 288 px and brought up ~7x; at 100 % it has no brushwork, and a
1,024 px painting file has no texture to teach a network at a 2,048 px output's scale (the
refiners painted cells and lattices, docs/training.md). Here the texture is not synthesised but
taken from the painting itself, as texture-by-numbers does (Hertzmann et al., "Image Analogies",
2001): for each block of the output, the place in the painting whose low-pass looks most like the
output's own low-pass there (luminance structure and mean colour), and the painting's finest
luminance band at that place is laid into the block (Hann-windowed, overlapping, normalised).
`out = P + gain * band`. Measured (docs/training.md, "The painting's own finest band at 100 %"):
`--band-twice` on the release CLI's default pictures, with the defaults below.

Brute-force nearest neighbours in torch (fine for a prototype: ~100 k blocks x ~50 k places).
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

from band_trial import gaussian, high2, load, luma, save  # noqa: E402


def features(img, sigma, ys, xs, grid, spacing, colour_weight):
    """Per place (ys x xs): the low-pass luminance on a grid x grid lattice `spacing` px apart
    around it, its mean removed, and its mean colour (weighted). Places may lie up to the
    lattice's reach outside the picture (reflected). Returns (len(ys) * len(xs), D)."""
    r = (grid // 2) * spacing
    low = gaussian(img, sigma)
    low = F.pad(low[None], (r, r, r, r), mode="reflect")[0]
    lum = luma(low)[0]
    offs = torch.arange(-(grid // 2), grid // 2 + 1) * spacing + r
    yy = ys[:, None, None, None] + offs[None, None, :, None]
    xx = xs[None, :, None, None] + offs[None, None, None, :]
    patch = lum[yy, xx].reshape(len(ys) * len(xs), -1)
    structure = patch - patch.mean(1, keepdim=True)
    colour = low[:, ys + r][:, :, xs + r].permute(1, 2, 0).reshape(-1, 3)
    return torch.cat([structure, colour_weight * colour], 1)


def nearest(query, base, chunk=1024):
    bn = (base * base).sum(1)[None, :]
    bt = base.T.contiguous()
    out = torch.empty(len(query), dtype=torch.long)
    for i in range(0, len(query), chunk):
        out[i:i + chunk] = torch.addmm(bn, query[i:i + chunk], bt, alpha=-2).argmin(1)
    return out


def nearest_clustered(query, base, clusters, iterations=8):
    """An approximate `nearest`, as a run-time stage could afford it: the places grouped by
    k-means into `clusters` groups, each block compared with the groups' centres and then with
    the members of its two nearest groups only."""
    g = torch.Generator().manual_seed(0)
    centres = base[torch.randperm(len(base), generator=g)[:clusters]].clone()
    for _ in range(iterations):
        assign = nearest(base, centres)
        for c in range(clusters):
            members = base[assign == c]
            if len(members):
                centres[c] = members.mean(0)
    assign = nearest(base, centres)
    cn = (centres * centres).sum(1)[None, :]
    two = torch.addmm(cn, query, centres.T, alpha=-2).topk(2, largest=False).indices
    out = torch.empty(len(query), dtype=torch.long)
    best = torch.full((len(query),), float("inf"))
    for rank in range(2):
        for c in range(clusters):
            qi = (two[:, rank] == c).nonzero().flatten()
            mi = (assign == c).nonzero().flatten()
            if len(qi) == 0 or len(mi) == 0:
                continue
            m = base[mi]
            d = torch.addmm((m * m).sum(1)[None, :], query[qi], m.T, alpha=-2) + (query[qi] ** 2).sum(1, keepdim=True)
            dmin, arg = d.min(1)
            better = dmin < best[qi]
            best[qi[better]] = dmin[better]
            out[qi[better]] = mi[arg[better]]
    return out


def painting_places(painting, args):
    """What depends on the painting alone, once per style: its band, and its places' features."""
    lum = luma(painting)
    # Twice: the high-pass applied twice, far less of the 8-20 px contrast a screen-sized view sees.
    band = (high2(lum, args.band_sigma) if args.band_twice else lum - gaussian(lum, args.band_sigma))[0]
    half = args.block // 2
    ph, pw = band.shape
    by = torch.arange(half, ph - half, args.base_stride)
    bx = torch.arange(half, pw - half, args.base_stride)
    return band, by, bx, features(painting, args.match_sigma, by, bx, args.grid, args.spacing, args.colour_weight)


def exemplar_band(picture, places, args):
    """The painting's fine luminance band laid into `picture` by nearest low-pass neighbours."""
    band, by, bx, bf = places
    b, step = args.block, args.block // 2
    half = b // 2
    _, h, w = picture.shape
    # Blocks every `step` px, block k centred on pixel k * step (its top-left at k * step in the
    # picture padded by half a block: fold's layout), the last reaching past the far edge.
    ny, nx = h // step + 1, w // step + 1
    qy = torch.arange(ny) * step
    qx = torch.arange(nx) * step
    qf = features(picture, args.match_sigma, qy.clamp(0, h - 1), qx.clamp(0, w - 1), args.grid, args.spacing, args.colour_weight)
    # The control: the same band from random places, no matching (a texture laid over).
    idx = torch.randint(len(bf), (len(qf),), generator=torch.Generator().manual_seed(0)) if args.random else (
        nearest_clustered(qf, bf, args.clusters) if args.clusters else nearest(qf, bf))
    sy, sx = by[idx // len(bx)], bx[idx % len(bx)]
    off = torch.arange(b) - half
    win = torch.hann_window(b + 2, periodic=False)[1:-1]
    win2 = (win[:, None] * win[None, :]).reshape(1, -1)
    patches = band[(sy[:, None, None] + off[None, :, None]), (sx[:, None, None] + off[None, None, :])].reshape(len(idx), -1)
    cols = (patches * win2).T[None]  # (1, b*b, L)
    size = ((ny - 1) * step + b, (nx - 1) * step + b)
    acc = F.fold(cols, size, kernel_size=b, stride=step)[0, 0]
    wsum = F.fold(win2.T[None].expand(1, -1, len(idx)).contiguous(), size, kernel_size=b, stride=step)[0, 0]
    acc = acc[half:half + h, half:half + w]
    wsum = wsum[half:half + h, half:half + w]
    return acc / wsum.clamp_min(1e-3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pictures", required=True, help="folder of STYLE-PHOTO.png")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--gain", type=float, default=1.0)
    ap.add_argument("--band-sigma", type=float, default=1.5)
    ap.add_argument("--match-sigma", type=float, default=2.0)
    ap.add_argument("--block", type=int, default=16)
    ap.add_argument("--grid", type=int, default=5)
    ap.add_argument("--spacing", type=int, default=3)
    ap.add_argument("--base-stride", type=int, default=4)
    ap.add_argument("--colour-weight", type=float, default=0.5)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--band-twice", action="store_true", help="the band as (1 - G)^2, as the re-painting stage's")
    ap.add_argument("--base-crop", type=int, default=0, help="take the band from the painting's central square of this side only")
    ap.add_argument("--clusters", type=int, default=0, help="approximate search over this many k-means groups (0: exact)")
    ap.add_argument("--random", action="store_true", help="the control: places drawn at random, not matched")
    args = ap.parse_args()
    torch.set_num_threads(2)
    files = {v["id"]: k for k, v in json.load(open(os.path.join(HERE, "styles.json"), encoding="utf-8")).items() if not k.startswith("_")}
    os.makedirs(args.out, exist_ok=True)
    places = {}
    for name in sorted(os.listdir(args.pictures)):
        if not name.endswith(".png") or (args.only and name not in args.only):
            continue
        style = next(s for s in sorted(files, key=len, reverse=True) if name.startswith(s + "-"))
        if style not in places:
            painting = load(os.path.join(args.data_dir, "styles", files[style]))
            if args.base_crop:
                # Fewer places to carry: the painting's central square only.
                _, ph, pw = painting.shape
                y0, x0 = max(0, (ph - args.base_crop) // 2), max(0, (pw - args.base_crop) // 2)
                painting = painting[:, y0:y0 + args.base_crop, x0:x0 + args.base_crop]
            places[style] = painting_places(painting, args)
        picture = load(os.path.join(args.pictures, name))
        band = exemplar_band(picture, places[style], args)
        save(picture + args.gain * band[None], os.path.join(args.out, name))
        print(name, flush=True)


if __name__ == "__main__":
    main()
