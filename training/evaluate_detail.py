#!/usr/bin/env python3
"""Detail at 100 % (issue 35): how close a large output's own pixels are to the painting's own
pixels, beside the whole-picture measures, for every way of painting it given.

Per picture (the output at --side px, default 2048, and the photo resized to the same size):
- crop ratio at 100 %: the Gram distance (training/atelier_train/metrics.py's four layers) of
  256 px crops of the output, taken at full resolution, to the mean Gram of the painting's own
  256 px crops at the painting file's resolution, over the same for the photo's crops at the same
  places. 1 is no closer to the painting's texture than the photo; lower is closer.
- sharpness: mean Sobel magnitude of the output's luminance over the photo's, both at --side.
- style ratio and content distance at a 256 px view (the evaluation's metric), and edge
  correlation with the photo at a 256 px view (Sobel magnitudes, as motif_score's tables).

A "way" is `LABEL=ARGS`: extra arguments for `atelier stylize` (for example `default=` or
`brush0.25=--brush 0.25`), painted by the release CLI and cached under --cache; or `LABEL=@DIR`:
pictures already made, named `STYLE-PHOTO.png` (prototypes). Prints a table per style and the
medians over styles.

  training/evaluate_detail.py --ways default= fine=--brush\\ 0.25 [--styles starry-night ...]
"""
import argparse
import hashlib
import json
import os
import shlex
import statistics
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from atelier_train.data import to_tensor  # noqa: E402
from atelier_train.metrics import METRIC_LAYERS, Metric, gram_hw  # noqa: E402
from atelier_train.network import VGGFeatures  # noqa: E402
from evaluate_highres import sobel_magnitude  # noqa: E402

CROP = 256
# Where the 100 % crops sit, as fractions of the free range (a 3 x 2 grid, away from the borders).
CROP_PLACES = [(fx, fy) for fy in (0.3, 0.7) for fx in (0.2, 0.5, 0.8)]


def luma(image):
    a = np.asarray(image.convert("RGB"), dtype=np.float32)
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]


def edge_correlation(a, b):
    x, y = sobel_magnitude(luma(a)).ravel(), sobel_magnitude(luma(b)).ravel()
    return float(np.corrcoef(x, y)[0, 1])


class Detail:
    def __init__(self, data_dir):
        self.vgg = VGGFeatures(os.path.join(data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"), outputs=METRIC_LAYERS)
        self.metric = Metric(self.vgg)

    @torch.no_grad()
    def crop_grams(self, image, places):
        """Grams of 256 px crops of `image` at full resolution, one dict per place."""
        t = to_tensor(image)
        _, h, w = t.shape
        crops = torch.stack([t[:, round(fy * (h - CROP)):][:, :CROP, round(fx * (w - CROP)):][:, :, :CROP] for fx, fy in places])
        feats = self.vgg(crops)
        return [{k: gram_hw(feats[k][i:i + 1])[0] for k in METRIC_LAYERS} for i in range(len(places))]

    def painting_texture(self, painting):
        """The mean Gram of the painting's own 256 px crops (a grid at half-crop steps)."""
        w, h = painting.size
        xs = np.linspace(0, 1, max(2, (w - CROP) // (CROP // 2) + 1))
        ys = np.linspace(0, 1, max(2, (h - CROP) // (CROP // 2) + 1))
        grams = self.crop_grams(painting, [(x, y) for y in ys for x in xs])
        return {k: torch.stack([g[k] for g in grams]).mean(0) for k in METRIC_LAYERS}

    def scores(self, output, photo, painting_view_grams, painting_texture):
        if photo.size != output.size:
            photo = photo.resize(output.size, Image.LANCZOS)
        f_out, f_photo = self.metric.features(output), self.metric.features(photo)
        out_crops, photo_crops = self.crop_grams(output, CROP_PLACES), self.crop_grams(photo, CROP_PLACES)
        near = np.mean([Metric.gram_distance(g, painting_texture) for g in out_crops])
        photo_near = np.mean([Metric.gram_distance(g, painting_texture) for g in photo_crops])
        small = lambda im: im.resize((max(1, round(im.width * 256 / max(im.size))), max(1, round(im.height * 256 / max(im.size)))), Image.LANCZOS)  # noqa: E731
        return {
            "style": self.metric.style_ratio(f_out, f_photo, painting_view_grams),
            "content": Metric.content_distance(f_out, f_photo),
            "edges": edge_correlation(small(output), small(photo)),
            "crop": float(near / max(photo_near, 1e-12)),
            "sharp": float(sobel_magnitude(luma(output)).mean() / max(sobel_magnitude(luma(photo)).mean(), 1e-9)),
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ways", nargs="+", default=["default="], help="LABEL=CLI ARGS or LABEL=@DIR")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--photos", nargs="+", default=["aitzgorri", "life", "seeding", "sunset", "wine"])
    ap.add_argument("--styles", nargs="+", default=None, help="default: every style of the package")
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--cache", default=os.path.join(ROOT, "target/detail-cache"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "target/release/atelier"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    manifest = json.load(open(os.path.join(args.models, "manifest.json"), encoding="utf-8"))
    styles = args.styles or [s["id"] for s in manifest["styles"]]
    files = {v["id"]: k for k, v in json.load(open(os.path.join(HERE, "styles.json"), encoding="utf-8")).items() if not k.startswith("_")}
    # Cached pictures are keyed by the package's generator and its refiner (the detail stage):
    # `--no-detail` and the default way of one package are two ways.
    package_key = hashlib.sha256(open(os.path.join(args.models, "generator.onnx"), "rb").read())
    package_key.update(manifest["network"].get("refiner", {}).get("sha256", "").encode())
    gen = package_key.hexdigest()[:12]
    os.makedirs(args.cache, exist_ok=True)
    detail = Detail(args.data_dir)
    ways = [w.split("=", 1) for w in args.ways]
    keys = ("style", "content", "edges", "crop", "sharp")
    table = {}  # (label, style) -> key -> list over photos
    for style in styles:
        painting = Image.open(os.path.join(args.data_dir, "styles", files[style])).convert("RGB")
        view_grams, texture = detail.metric.grams(painting), detail.painting_texture(painting)
        for name in args.photos:
            src = os.path.join(args.data_dir, "highres", name + ".jpg")
            photo = Image.open(src).convert("RGB")
            for label, how in ways:
                if how.startswith("@"):
                    out = os.path.join(how[1:], f"{style}-{name}.png")
                else:
                    extra = shlex.split(how)
                    tag = hashlib.sha256(" ".join(extra).encode()).hexdigest()[:8]
                    out = os.path.join(args.cache, f"{gen}-{tag}-{style}-{name}-{args.side}.png")
                    if not os.path.exists(out):
                        subprocess.run([args.cli, "--models", args.models, "stylize", src, out, "--style", style,
                                        "--max-side", str(args.side), "--engine", "cpu", *extra], check=True, capture_output=True)
                s = detail.scores(Image.open(out).convert("RGB"), photo, view_grams, texture)
                for k in keys:
                    table.setdefault((label, style), {}).setdefault(k, []).append(s[k])
        print(f"{style}: " + "; ".join(
            f"{label} " + " ".join(f"{k} {statistics.median(table[(label, style)][k]):.3f}" for k in keys)
            for label, _ in ways), flush=True)
    print()
    print("| way | style ratio median (worst) | content median (worst) | edge corr. median | crop ratio at 100 % median (worst) | sharpness median |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, _ in ways:
        per_style = {k: [statistics.median(table[(label, s)][k]) for s in styles] for k in keys}
        print(f"| {label} | {statistics.median(per_style['style']):.3f} ({max(per_style['style']):.3f}) | "
              f"{statistics.median(per_style['content']):.2f} ({max(per_style['content']):.2f}) | "
              f"{statistics.median(per_style['edges']):.3f} | {statistics.median(per_style['crop']):.2f} ({max(per_style['crop']):.2f}) | "
              f"{statistics.median(per_style['sharp']):.2f} |")


if __name__ == "__main__":
    main()
