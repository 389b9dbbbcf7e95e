#!/usr/bin/env python3
"""What visitors get at the sizes they download: the large photos (../shared/data/highres, 3,072 px)
painted by the release CLI (`atelier stylize`, CPU engine) at 1024/2048/4096 px output for a few
brush sizes, against a plain 256 px run of the same photo.

  training/evaluate_highres.py --brushes 0.5,1,2 --sizes 1024,2048,4096 [--styles a,b] [--docs docs]

Per output: the style ratio at a 256 px view and the content distance (atelier_train.metrics, the
training campaign's metric), edge agreement with the photo at a 1024 px view (correlation of the
Sobel gradient magnitudes of the two luminances; 1 is the photo's edges exactly), wall time and
peak memory of the CLI process. 4096 px outputs use the photo upscaled to 4,096 px first (the
photos are 3,072 px), so the cost is that of a real 4096 px picture. Writes
docs/evaluation-highres.md and docs/highres-sheet.png (whole pictures, and 100 % crops of the
2048 px outputs).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.metrics import METRIC_LAYERS, Metric  # noqa: E402
from atelier_train.network import VGGFeatures  # noqa: E402

DEFAULT_STYLES = "starry-night,great-wave,the-scream,composition-vii"


def luma(image, size):
    image = image.convert("RGB").resize(size, Image.LANCZOS)
    a = np.asarray(image, dtype=np.float32)
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]


def sobel_magnitude(y):
    p = np.pad(y, 1, mode="edge")
    gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    return np.hypot(gx, gy)


def edge_agreement(output, photo, side=1024):
    scale = side / max(photo.size)
    size = (round(photo.width * scale), round(photo.height * scale))
    a, b = sobel_magnitude(luma(output, size)).ravel(), sobel_magnitude(luma(photo, size)).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def run_cli(cli, models, src, dst, style, max_side, brush):
    cmd = ["/usr/bin/time", "-f", "%e %M", cli, "--models", models, "stylize", src, dst, "--style", style,
           "--max-side", str(max_side), "--engine", "cpu"]
    if brush is not None:
        cmd += ["--brush", str(brush)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr}")
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(ROOT, "target/release/atelier"))
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--styles", default=DEFAULT_STYLES, help="comma-separated ids, or 'all'")
    ap.add_argument("--brushes", default="1")
    ap.add_argument("--sizes", default="1024,2048")
    ap.add_argument("--photos", type=int, default=5)
    ap.add_argument("--docs", default=None, help="write evaluation-highres.md and highres-sheet.png here")
    ap.add_argument("--sheet-photo", default="seeding.jpg")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    with open(os.path.join(args.models, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(HERE, "styles.json"), encoding="utf-8") as f:
        files = {v["id"]: k for k, v in json.load(f).items() if not k.startswith("_")}
    styles = [s["id"] for s in manifest["styles"]] if args.styles == "all" else args.styles.split(",")
    brushes = [float(b) for b in args.brushes.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    metric = Metric(VGGFeatures(os.path.join(args.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"),
                                outputs=METRIC_LAYERS))
    painting_grams = {s: metric.grams(Image.open(os.path.join(args.data_dir, "styles", files[s]))) for s in styles}
    highres = os.path.join(args.data_dir, "highres")
    photos = sorted(f for f in os.listdir(highres) if f.endswith(".jpg"))[: args.photos]

    tmp = tempfile.mkdtemp(prefix="atelier-highres-")
    rows = {}  # (label, size) -> lists
    per_style = {}  # (style, label, size) -> style ratios over the photos
    sheet = {}
    for name in photos:
        src = os.path.join(highres, name)
        photo = Image.open(src).convert("RGB")
        src_4096 = os.path.join(tmp, "up4096-" + name.replace(".jpg", ".png"))
        if 4096 in sizes:
            scale = 4096 / max(photo.size)
            photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.LANCZOS).save(src_4096)
        photo_feats = metric.features(photo)
        for style in styles:
            runs = [("256 px run", 256, None)] + [(f"brush {b:g}", size, b) for b in brushes for size in sizes]
            for label, size, brush in runs:
                dst = os.path.join(tmp, f"{name}-{style}-{size}-{brush}.png")
                seconds, mib = run_cli(args.cli, args.models, src_4096 if size == 4096 else src, dst, style, size, brush)
                out = Image.open(dst).convert("RGB")
                f_out = metric.features(out)
                key = (label, size)
                entry = rows.setdefault(key, {"ratio": [], "content": [], "edges": [], "seconds": [], "mib": []})
                ratio = metric.style_ratio(f_out, photo_feats, painting_grams[style])
                entry["ratio"].append(ratio)
                per_style.setdefault((style, label, size), []).append(ratio)
                entry["content"].append(metric.content_distance(f_out, photo_feats))
                entry["edges"].append(edge_agreement(out, photo))
                entry["seconds"].append(seconds)
                entry["mib"].append(mib)
                if name == args.sheet_photo:
                    sheet[(style, label, size)] = dst
                else:
                    os.remove(dst)
            print(f"{name} {style}: " + ", ".join(
                f"{k[0]}@{k[1]} {statistics.median(v['ratio']):.3f}" for k, v in rows.items()), flush=True)

    base = statistics.median(rows[("256 px run", 256)]["ratio"])
    base_seconds = statistics.median(rows[("256 px run", 256)]["seconds"])
    lines = ["| run | output px | style ratio (median) | vs the 256 px run | content distance | edge agreement "
             "| CLI time (median) | vs 256 px | peak memory |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (label, size), v in rows.items():
        r = statistics.median(v["ratio"])
        t = statistics.median(v["seconds"])
        lines.append(f"| {label} | {size} | {r:.3f} | {r / base:.2f}x | {statistics.median(v['content']):.2f} | "
                     f"{statistics.median(v['edges']):.2f} | {t:.2f} s | {t / base_seconds:.1f}x | "
                     f"{max(v['mib']):.0f} MiB |")
    # The campaign's target holds per style too ("every style's median <= 0.15"): one column per run.
    runs = list(rows)
    lines += ["", "Style ratio per style (median over the photos):", "",
              "| style | " + " | ".join(f"{label} @ {size}" for label, size in runs) + " |",
              "| --- |" + " ---: |" * len(runs)]
    for style in styles:
        lines.append(f"| {style} | " + " | ".join(f"{statistics.median(per_style[(style, label, size)]):.3f}"
                                                for label, size in runs) + " |")
    table = "\n".join(lines)
    print(table)

    if args.docs and sheet:
        write_docs(args, manifest, styles, photos, brushes, sizes, table, sheet)


def write_docs(args, manifest, styles, photos, brushes, sizes, table, sheet):
    os.makedirs(args.docs, exist_ok=True)
    cell, crop, label_h = 240, 240, 18
    columns = [("256 px run", 256)] + [(f"brush {b:g}", 2048 if 2048 in sizes else sizes[-1]) for b in brushes]
    canvas = Image.new("RGB", (len(columns) * (cell + crop), len(styles) * cell + label_h), (250, 247, 240))
    draw = ImageDraw.Draw(canvas)
    for c, (label, size) in enumerate(columns):
        draw.text((c * (cell + crop) + 4, 3), f"{label} ({size} px): whole, 100% crop", fill=(40, 30, 20))
    for r, style in enumerate(styles):
        for c, key in enumerate(columns):
            image = Image.open(sheet[(style, *key)]).convert("RGB")
            whole = image.copy()
            whole.thumbnail((cell, cell), Image.LANCZOS)
            x0, y0 = c * (cell + crop), label_h + r * cell
            canvas.paste(whole, (x0 + (cell - whole.width) // 2, y0 + (cell - whole.height) // 2))
            # A 100 % crop from the centre; a picture smaller than the cell is shown whole.
            w, h = min(crop, image.width), min(crop, image.height)
            cx, cy = (image.width - w) // 2, (image.height - h) // 2
            canvas.paste(image.crop((cx, cy, cx + w, cy + h)), (x0 + cell + (crop - w) // 2, y0 + (crop - h) // 2))
        draw.text((4, label_h + r * cell + 4), style, fill=(255, 255, 255))
    canvas.save(os.path.join(args.docs, "highres-sheet.png"), optimize=True)
    with open(os.path.join(args.docs, "evaluation-highres.md"), "w", encoding="utf-8") as f:
        f.write(f"# What visitors get at large sizes: {manifest['network']['id']}\n\n")
        f.write(f"Photos: {', '.join(photos)} (../shared/data/highres, 3,072 px). Styles: {', '.join(styles)}. "
                "Painted by the release CLI on the CPU engine (2-core machine), one process per picture. "
                "Style ratio: Gram distance to the painting at a 256 px view over the photo's "
                "(training/atelier_train/metrics.py); edge agreement: correlation of Sobel gradient magnitudes "
                "with the photo at a 1024 px view. 4096 px rows start from the photo upscaled to 4,096 px. "
                "Made by `training/evaluate_highres.py`.\n\n")
        f.write(table + "\n\n![large outputs: whole and 100 % crops](highres-sheet.png)\n")
    print(f"wrote {args.docs}/evaluation-highres.md and highres-sheet.png")


if __name__ == "__main__":
    main()
