#!/usr/bin/env python3
"""Spikes under the instance norms, measured (issue 35, pasted motifs; atelier_train/spikes.py).

For each checkpoint, style and large photo: the photo at the package's working side, painted with
the trained reflected margin as the app paints it; for every instance norm's input and channel,
the share of the channel's variance (over the whole padded map, as the norm computes it) that its
top 1 % of positions *inside the kept picture* carry. A Gaussian channel scores about 0.09; the
channels that carry Starry Night's pasted disc on aitzgorri score 0.89-0.95. Printed per
checkpoint and style: the largest share over the norms' channels (median over photos), and the
number of channels over 0.5 (mean over photos). With --margin smaller than the trained one, spikes
the network keeps in its margin show up inside the picture (the live view paints with 8 px).

  training/spike_score.py --checkpoints runs/next/checkpoint.pt runs/ab-spikes/checkpoint.pt \
      [--photos aitzgorri life ...] [--styles van_gogh_starry_night_1889.jpg ...]
"""
import argparse
import os

import numpy as np
import torch

from atelier_train.data import load_resized, to_tensor
from atelier_train.export import NetSpec
from atelier_train.network import Generator
from atelier_train.spikes import PreNormRecorder, inside, standardised

import train

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GALLERY = 13


def visible_share(feature, padded_hw, margin, kept_hw, top=0.01):
    """[c]: the share of each channel's variance (whole map) in its `top` fraction of positions
    (of the whole map's count) taken among the kept picture's positions only."""
    z2 = standardised(feature).pow(2)  # mean 1 per channel: a position's share is z^2 / count
    count = z2.shape[2] * z2.shape[3]
    kept = inside(z2, padded_hw, margin, kept_hw)[0].flatten(1)
    k = max(1, int(count * top))
    return kept.topk(min(k, kept.shape[1]), dim=1).values.sum(1) / count


def load(path):
    """(generator, style files, margin, step) from a training checkpoint or a model package."""
    if os.path.isdir(path):
        import json
        manifest = json.load(open(os.path.join(path, "manifest.json"), encoding="utf-8"))
        by_id = {v["id"]: k for k, v in json.load(open(os.path.join(HERE, "styles.json"), encoding="utf-8")).items()
                 if not k.startswith("_")}
        styles = [by_id[s["id"]] for s in sorted(manifest["styles"], key=lambda s: s["index"])]
        network = manifest["network"]
        channels = {e["name"].rsplit(".", 1)[0]: e["channels"] for e in network["style_inputs"]}
        blocks = sum(1 for layer in channels if layer.startswith("r") and layer.endswith("a"))
        spec = NetSpec(widths=(channels["c1"], channels["c2"], channels["c3"]), res_blocks=blocks)
        gen = Generator(spec, len(styles))
        train.init_from_package(gen, path, styles)
        return gen.eval(), styles, network.get("reflect_margin", 0), "package"
    state = torch.load(path, map_location="cpu", weights_only=False)
    cfg, styles = state["config"], state["styles"]
    gen = Generator(NetSpec(widths=tuple(cfg["widths"]), res_blocks=cfg["res_blocks"]), len(styles))
    gen.load_state_dict(state["gen"])
    return gen.eval(), styles, cfg.get("margin", 0), state["step"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", nargs="*", default=[])
    ap.add_argument("--packages", nargs="*", default=[], help="model package folders (their int8 weights expanded)")
    ap.add_argument("--photos", nargs="+", default=["aitzgorri", "life", "seeding", "sunset", "wine"])
    ap.add_argument("--styles", nargs="+", default=None, help="painting files (default: the 13 gallery styles)")
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--working-side", type=int, default=288)
    ap.add_argument("--margin", type=int, default=None,
                    help="reflection around the photo (default: the one the network was trained with); the live view "
                         "paints with 8 px, the re-painting stage and the learner with 16")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    photos = [to_tensor(load_resized(os.path.join(args.data_dir, "highres", p + ".jpg"), args.working_side))[None]
              for p in args.photos]
    rows, names = {}, []
    for path in args.checkpoints + args.packages:
        gen, styles, margin, step = load(path)
        margin = margin if args.margin is None else args.margin
        recorder = PreNormRecorder(gen.norms.values())
        for style in args.styles or styles[:GALLERY]:
            weights = torch.zeros(1, len(styles))
            weights[0, styles.index(style)] = 1
            largest, over = [], []
            with torch.no_grad():
                for x in photos:
                    train.paint(gen, x, weights, margin)
                    padded = train.reflect_margin(x[:, :1], margin).shape[2:]
                    shares = torch.cat([visible_share(m, padded, margin, x.shape[2:]) for m in recorder.take()])
                    largest.append(float(shares.max()))
                    over.append(int((shares > 0.5).sum()))
            rows.setdefault(style, []).append((float(np.median(largest)), float(np.mean(over))))
        recorder.remove()
        names.append(f"{os.path.basename(os.path.normpath(path if os.path.isdir(path) else os.path.dirname(path)))} {step}")
        print(f"{path}: step {step}", flush=True)
    print("Per style: the largest share (median over photos), channels over 0.5 (mean over photos).")
    print("| style | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for style, cells in rows.items():
        print(f"| {style} | " + " | ".join(f"{a:.2f}, {b:.1f}" for a, b in cells) + " |")
    for i, name in enumerate(names):
        print(f"{name}: median largest share {np.median([c[i][0] for c in rows.values()]):.3f}, "
              f"mean channels over 0.5 {np.mean([c[i][1] for c in rows.values()]):.1f}")


if __name__ == "__main__":
    main()
