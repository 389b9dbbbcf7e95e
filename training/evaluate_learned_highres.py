#!/usr/bin/env python3
"""Learned styles at the size visitors download (issue 33): each style file in --styles
(NAME.style, as `atelier learn` writes it; NAME.jpg is its painting in --paintings) paints the
large photos (../shared/data/highres, 3,072 px) with the release CLI at --size px (default 2048,
the app's default output) and at 256 px, and each picture is scored by the campaign's metric at a
256 px view (atelier_train.metrics: style ratio against the painting, content distance).

  training/evaluate_learned_highres.py --styles target/learn-cli-sig/styles [--size 2048] [--photos 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.metrics import METRIC_LAYERS, Metric  # noqa: E402
from atelier_train.network import VGGFeatures  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--styles", required=True, help="a folder of NAME.style")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--paintings", default=None, help="where NAME.jpg are (default: the data's paintings-extra)")
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--photos", type=int, default=5)
    ap.add_argument("--cli", default=os.path.join(ROOT, "target/release/atelier"))
    ap.add_argument("--no-detail", action="store_true", help="paint without the detail stage (the CLI's --no-detail)")
    args = ap.parse_args()
    paintings = args.paintings or os.path.join(args.data_dir, "paintings-extra")
    metric = Metric(VGGFeatures(os.path.join(args.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"), outputs=METRIC_LAYERS))
    highres = os.path.join(args.data_dir, "highres")
    photos = sorted(f for f in os.listdir(highres) if f.endswith(".jpg"))[: args.photos]
    photo_feats = {p: metric.features(Image.open(os.path.join(highres, p)).convert("RGB")) for p in photos}
    tmp = tempfile.mkdtemp(prefix="atelier-learned-highres-")
    print(f"| painting | style ratio at 256 px | at {args.size} px | content at {args.size} px |")
    print("| --- | ---: | ---: | ---: |")
    medians = {256: [], args.size: []}
    for style_file in sorted(f for f in os.listdir(args.styles) if f.endswith(".style")):
        name = style_file[: -len(".style")]
        grams = metric.grams(Image.open(os.path.join(paintings, name + ".jpg")).convert("RGB"))
        ratios = {256: [], args.size: []}
        contents = []
        for photo in photos:
            for size in (256, args.size):
                out = os.path.join(tmp, f"{name}-{photo}-{size}.png")
                subprocess.run([args.cli, "--models", args.models, "stylize", os.path.join(highres, photo), out,
                                "--style-file", os.path.join(args.styles, style_file), "--max-side", str(size)]
                               + (["--no-detail"] if args.no_detail else []),
                               check=True, capture_output=True)
                f_out = metric.features(Image.open(out).convert("RGB"))
                ratios[size].append(metric.style_ratio(f_out, photo_feats[photo], grams))
                if size == args.size:
                    contents.append(metric.content_distance(f_out, photo_feats[photo]))
        for size in ratios:
            medians[size].append(statistics.median(ratios[size]))
        print(f"| {name} | {statistics.median(ratios[256]):.3f} | {statistics.median(ratios[args.size]):.3f} | {statistics.median(contents):.2f} |")
    print(f"median over paintings: {statistics.median(medians[256]):.3f} at 256 px, {statistics.median(medians[args.size]):.3f} at {args.size} px;"
          f" worst {max(medians[256]):.3f} / {max(medians[args.size]):.3f}")


if __name__ == "__main__":
    main()
