#!/usr/bin/env python3
"""How close learned styles come to their paintings (issue 33): the campaign's metric
(atelier_train/metrics.py: style ratio at a 256 px view, content distance) for each painting
with a learned row in --learned (NAME.f32: one style's gamma/beta in the package's style-input
order, as `examples/learn_trial.rs` and `atelier learn` write them), beside what a visitor gets
without learning: the best-fitting shipped style (the lowest median ratio of the 13) and the
mean of the shipped rows (where learning starts).

Usage: training/evaluate_learned.py --learned DIR [--package models] [--paintings DIR] [--photos 8]
"""
import argparse
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.data import load_resized, photo_paths, split  # noqa: E402
from atelier_train.metrics import Metric  # noqa: E402
from atelier_train.network import VGGFeatures  # noqa: E402
from atelier_train.reference import PackageRunner, to_bytes  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--learned", required=True, nargs="+", help="one or more folders of NAME.f32 (a column each)")
    ap.add_argument("--package", default=os.path.join(ROOT, "models"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--paintings", default=None, help="where NAME.jpg are (default: the data's paintings-extra)")
    ap.add_argument("--photos", type=int, default=8, help="held-out photos to score")
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--no-baselines", action="store_true", help="skip the shipped styles' and the mean row's columns")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    paintings_dir = args.paintings or os.path.join(args.data_dir, "paintings-extra")
    runner = PackageRunner(args.package)
    metric = Metric(VGGFeatures(os.path.join(args.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors")))
    _, held_out = split(photo_paths(os.path.join(args.data_dir, "content")))
    photos = [np.asarray(load_resized(p, args.side), dtype=np.float32) / 255.0 for p in held_out[:args.photos]]
    photo_feats = [metric.features(to_bytes(p)) for p in photos]

    def run_row(row):
        feeds, offset = {}, 0
        for entry in runner.layout:
            c = entry["channels"]
            feeds[entry["name"]] = row[offset:offset + c].reshape(1, c, 1, 1).astype(np.float32)
            offset += c
        return feeds

    def score(row, grams):
        ratios, contents = [], []
        original = runner.style_feeds
        runner.style_feeds = lambda *_: run_row(row)
        try:
            for photo, feats in zip(photos, photo_feats):
                out = metric.features(to_bytes(runner.stylize(photo, None)))
                ratios.append(metric.style_ratio(out, feats, grams))
                contents.append(metric.content_distance(out, feats))
        finally:
            runner.style_feeds = original
        return float(np.median(ratios)), float(np.median(contents))

    mean_row = runner.table.mean(axis=0)
    labels = [os.path.basename(os.path.normpath(d)) for d in args.learned]
    print("| painting | best shipped style: ratio (which) | mean of shipped rows | "
          + " | ".join(f"{l}: ratio | {l}: content" for l in labels) + " |")
    print("| --- | ---: | ---: |" + " ---: | ---: |" * len(labels))
    results = {l: [] for l in labels}
    stems = sorted({n[:-4] for d in args.learned for n in os.listdir(d) if n.endswith(".f32")})
    for stem in stems:
        painting = next((f for f in os.listdir(paintings_dir) if os.path.splitext(f)[0] == stem), None)
        if painting is None:
            print(f"(no painting for {stem} in {paintings_dir})", file=sys.stderr)
            continue
        grams = metric.grams(Image.open(os.path.join(paintings_dir, painting)).convert("RGB"))
        if args.no_baselines:
            cells = ["", ""]
        else:
            shipped = sorted((score(runner.table[i], grams)[0], sid) for sid, i in runner.index.items())
            cells = [f"{shipped[0][0]:.3f} ({shipped[0][1]})", f"{score(mean_row, grams)[0]:.3f}"]
        for label, folder in zip(labels, args.learned):
            path = os.path.join(folder, stem + ".f32")
            if not os.path.exists(path):
                cells += ["", ""]
                continue
            row = np.fromfile(path, dtype="<f4")
            if row.size != runner.table.shape[1]:
                raise SystemExit(f"{path}: {row.size} values, the package's style has {runner.table.shape[1]}")
            ratio, content = score(row, grams)
            results[label].append(ratio)
            cells += [f"{ratio:.3f}", f"{content:.2f}"]
        print(f"| {stem} | " + " | ".join(cells) + " |", flush=True)
    for label, ratios in results.items():
        if ratios:
            print(f"{label}: median {np.median(ratios):.3f}, worst {max(ratios):.3f} over {len(ratios)} paintings")

if __name__ == "__main__":
    main()
