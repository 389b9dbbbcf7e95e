#!/usr/bin/env python3
"""How strongly a package paints a frame: a line or band along the picture's edges that is there
whatever the photo (stretch 10 left one 1-2 % inside The Scream, docs/training.md).

  training/frame_score.py --package models [--package /tmp/other ...] [--checkpoint runs/next/checkpoint.pt ...]
      [--working-side 288] [--margin PX]

--checkpoint paints a training checkpoint's 13 gallery styles in PyTorch (no export needed);
--margin paints with that much reflection instead of the package's or checkpoint's own (the live
view paints with 8 px, the re-painting stage and the learner with 16): a network that keeps a band
in its trained margin shows it here.

Runs each package the way Atelier does (onnxruntime, its reflection margin) on the large photos
and the held-out photos at the working side of the default brush, then, per style, averages over
all photos the luminance profile across each edge: P(d), d px in from the edge, each row or column
averaged along the whole edge. Content varies from photo to photo and averages out; a frame does
not. The score per edge is max over d < 12 of |D(d) - median D(12..40)|, D = the stylized profile
minus the photo's (so the photos' own skies and floors cancel), in 0..255 luminance steps; a style's
score is the mean of its four edges, and the worst edge is named. Lower is better.

--interior: the same score for edges the network cannot see, as the floor that content and each
style's own texture leave after averaging: every photo is painted 1.25x larger and the profiles
are taken at the edges of a window INSET px inside it, in the output and in the photo alike.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.data import photo_paths, split  # noqa: E402
from atelier_train.reference import PackageRunner  # noqa: E402

NEAR, FAR = 12, 40  # px at the working side: where a frame would be, and the interior it is judged against
INTERIOR_GROW, INSET = 1.25, 36  # --interior: 1.25 x 288 = 360 px, less 36 px each side: 288 again
EDGES = ("top", "bottom", "left", "right")


def luma(rgb01):
    return 255.0 * (0.299 * rgb01[..., 0] + 0.587 * rgb01[..., 1] + 0.114 * rgb01[..., 2])


def edge_profiles(y):
    """{edge: P(d) for d in 0..FAR}: mean luminance of the row or column d px in from that edge."""
    return {"top": y[:FAR + 1].mean(axis=1), "bottom": y[::-1][:FAR + 1].mean(axis=1),
            "left": y[:, :FAR + 1].mean(axis=0), "right": y[:, ::-1][:, :FAR + 1].mean(axis=0)}


def inside(image, inset):
    return image[inset:image.shape[0] - inset, inset:image.shape[1] - inset] if inset else image


class CheckpointRunner:
    """A training checkpoint painted in PyTorch, with PackageRunner's two members the score uses."""

    def __init__(self, path, margin=None):
        # Imported here: scoring packages alone needs neither PyTorch nor the training code.
        import json
        import torch
        import spike_score
        import train
        self.torch, self.train = torch, train
        self.gen, self.styles, trained_margin, self.step = spike_score.load(path)
        self.margin = trained_margin if margin is None else margin
        by_file = json.load(open(os.path.join(HERE, "styles.json"), encoding="utf-8"))
        self.manifest = {"styles": [{"id": by_file[f]["id"], "file": f} for f in self.styles[:spike_score.GALLERY]]}
        self.file = {s["id"]: s["file"] for s in self.manifest["styles"]}

    def stylize(self, rgb01, style_id):
        torch = self.torch
        weights = torch.zeros(1, len(self.styles))
        weights[0, self.styles.index(self.file[style_id])] = 1
        x = torch.from_numpy(np.ascontiguousarray(rgb01.transpose(2, 0, 1)))[None]
        with torch.no_grad():
            out = self.train.paint(self.gen, x, weights, self.margin)
        return out[0].numpy().transpose(1, 2, 0)


class MarginPackageRunner(PackageRunner):
    """A package painted with another reflection margin than its manifest's."""

    def __init__(self, package_dir, margin):
        super().__init__(package_dir)
        self.manifest["network"]["reflect_margin"] = margin


def load_photos(data_dir, side, held_out_count):
    paths = sorted(os.path.join(data_dir, "highres", f) for f in os.listdir(os.path.join(data_dir, "highres"))
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))
    _, held_out = split(photo_paths(os.path.join(data_dir, "content")))
    photos = []
    for p in paths + held_out[:held_out_count]:
        image = Image.open(p).convert("RGB")
        scale = side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
        photos.append(np.asarray(image, dtype=np.float32) / 255.0)
    return photos


def name(path, runner):
    """A column's heading: the package's folder, or the checkpoint's run folder and step."""
    folder = os.path.basename(os.path.normpath(path if os.path.isdir(path) else os.path.dirname(path)))
    return f"{folder} {runner.step}" if isinstance(runner, CheckpointRunner) else folder


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", action="append", default=[])
    ap.add_argument("--checkpoint", action="append", default=[])
    ap.add_argument("--margin", type=int, default=None, help="reflection around the photo, px (default: the trained one)")
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--working-side", type=int, default=288)
    ap.add_argument("--held-out", type=int, default=24)
    ap.add_argument("--interior", action="store_true", help="score edges inside the picture instead (the floor)")
    args = ap.parse_args()
    inset = INSET if args.interior else 0
    side = round(args.working_side * INTERIOR_GROW) if args.interior else args.working_side
    photos = load_photos(args.data_dir, side, args.held_out)
    photo_profiles = [edge_profiles(luma(inside(p, inset))) for p in photos]
    results = []
    runners = [(p, PackageRunner(p) if args.margin is None else MarginPackageRunner(p, args.margin)) for p in args.package]
    runners += [(p, CheckpointRunner(p, args.margin)) for p in args.checkpoint]
    if not runners:
        ap.error("give at least one --package or --checkpoint")
    for package, runner in runners:
        scores = {}
        for style in runner.manifest["styles"]:
            sums = {e: np.zeros(FAR + 1) for e in EDGES}
            for photo, before in zip(photos, photo_profiles):
                after = edge_profiles(luma(inside(np.clip(runner.stylize(photo, style["id"]), 0.0, 1.0), inset)))
                for e in EDGES:
                    sums[e] += after[e] - before[e]
            per_edge = {}
            for e in EDGES:
                d = sums[e] / len(photos)
                per_edge[e] = float(np.max(np.abs(d[:NEAR] - np.median(d[NEAR:]))))
            scores[style["id"]] = per_edge
        results.append((name(package, runner), scores))
    ids = list(results[0][1])
    where = f"edges {INSET} px inside {side} px pictures" if args.interior else f"the picture's edges at {side} px"
    if args.margin is not None:
        where += f", painted with a {args.margin} px margin"
    print(f"frame score (luminance steps, mean of 4 edges; worst edge), {len(photos)} photos, {where}")
    print("| style | " + " | ".join(heading for heading, _ in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for sid in ids:
        cells = []
        for _, scores in results:
            per_edge = scores[sid]
            worst = max(per_edge, key=per_edge.get)
            cells.append(f"{np.mean(list(per_edge.values())):.1f} ({worst} {per_edge[worst]:.1f})")
        print(f"| {sid} | " + " | ".join(cells) + " |")
    medians = [np.median([np.mean(list(s[sid].values())) for sid in ids]) for _, s in results]
    print("| median | " + " | ".join(f"{m:.1f}" for m in medians) + " |")


if __name__ == "__main__":
    main()
