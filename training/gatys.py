#!/usr/bin/env python3
"""Gatys et al.'s optimisation of the picture itself, for comparison with learning a painting's
gamma/beta (issue 33): for each painting and held-out photo, the 256 px picture is optimised from
the photo (Adam on its pixels) to bring its VGG19 Gram matrices to the painting's while keeping
its relu4_1 features near the photo's, and scored with the campaign's metric (style ratio at a
256 px view, content distance) after each reported number of iterations, with the time taken.
Every number is per photo: Gatys optimises each picture anew, a learned style paints any photo
in one pass.

Usage: training/gatys.py [--paintings a.jpg,b.jpg] [--photos 2] [--iterations 30,60,120]
       [--content-weight 0.05]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.data import load_resized, photo_paths, split, to_tensor  # noqa: E402
from atelier_train.metrics import METRIC_LAYERS, Metric, gram_hw  # noqa: E402
from atelier_train.network import VGGFeatures  # noqa: E402

HELD_OUT = ("van_gogh_self_portrait_1887.jpg", "juan_gris_portrait_of_picasso_1912.jpg", "dph_08.jpg", "dph_24.jpg",
            "red_chalk_woman_in_peasant_dress.jpg", "the_reservoir_at_poitiers.jpg")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--paintings", default=",".join(HELD_OUT))
    ap.add_argument("--photos", type=int, default=2)
    ap.add_argument("--iterations", default="30,60,120")
    ap.add_argument("--content-weight", type=float, default=0.05)
    ap.add_argument("--rate", type=float, default=0.02)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    checkpoints = sorted(int(i) for i in args.iterations.split(","))
    vgg = VGGFeatures(os.path.join(args.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"))
    for p in vgg.parameters():
        p.requires_grad_(False)
    metric = Metric(vgg)
    _, held_out = split(photo_paths(os.path.join(args.data_dir, "content")))
    photos = [load_resized(p, 256) for p in held_out[:args.photos]]
    print(f"| painting | " + " | ".join(f"{n} it: ratio / content / s" for n in checkpoints) + " |")
    print("| --- |" + " ---: |" * len(checkpoints))
    medians = {n: [] for n in checkpoints}
    for name in args.paintings.split(","):
        painting = Image.open(os.path.join(args.data_dir, "paintings-extra", name)).convert("RGB")
        target = metric.grams(painting)
        per_checkpoint = {n: [] for n in checkpoints}
        for photo in photos:
            photo_image = Image.fromarray(np.asarray(photo)) if not isinstance(photo, Image.Image) else photo
            content = to_tensor(photo_image)[None]
            with torch.no_grad():
                photo_feats = vgg(content)
                photo_distance = sum(float(((gram_hw(photo_feats[k])[0] - target[k]) ** 2).mean()) for k in METRIC_LAYERS)
            x = content.clone().requires_grad_(True)
            opt = torch.optim.Adam([x], lr=args.rate)
            started = time.time()
            for it in range(1, checkpoints[-1] + 1):
                opt.zero_grad()
                feats = vgg(x)
                style = sum(((gram_hw(feats[k])[0] - target[k]) ** 2).mean() for k in METRIC_LAYERS) / photo_distance
                a, b = feats["relu4_1"], photo_feats["relu4_1"]
                content_distance = (a - b).norm() / b.norm()
                loss = style + args.content_weight * content_distance ** 2
                loss.backward()
                opt.step()
                with torch.no_grad():
                    x.clamp_(0, 1)
                if it in per_checkpoint:
                    seconds = time.time() - started
                    picture = (x.detach()[0].permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
                    out_feats = metric.features(picture)
                    ratio = metric.style_ratio(out_feats, metric.features(photo_image), target)
                    per_checkpoint[it].append((ratio, metric.content_distance(out_feats, metric.features(photo_image)), seconds))
        cells = []
        for n in checkpoints:
            r = np.median([v[0] for v in per_checkpoint[n]])
            medians[n].append(r)
            cells.append(f"{r:.3f} / {np.median([v[1] for v in per_checkpoint[n]]):.2f} / {np.mean([v[2] for v in per_checkpoint[n]]):.0f}")
        print(f"| {os.path.splitext(name)[0]} | " + " | ".join(cells) + " |", flush=True)
    for n in checkpoints:
        print(f"{n} iterations: median ratio {np.median(medians[n]):.3f}, worst {max(medians[n]):.3f}")


if __name__ == "__main__":
    main()
