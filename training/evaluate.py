#!/usr/bin/env python3
"""Evaluate a model package on the held-out photos (every 10th photo, never trained on).

  training/evaluate.py --package models --f32 target/training/generator.f32.onnx --docs docs

Per style: the Gram-matrix style distance (VGG19 relu1_1..relu4_1, the training loss's layers and
weights) from the stylized photo to the painting, and from the unstyled photo to the painting;
the content distance (relu3_1) from the stylized photo to the photo; int8-vs-float32 PSNR.
Writes docs/evaluation.md (the table) and docs/contact-sheet.png (rows: photos; columns: the
photo, then every style). Runs the package the way Atelier does (onnxruntime, reflection pad).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from atelier_train.data import load_resized, photo_paths, split, to_tensor  # noqa: E402
from atelier_train.metrics import METRIC_LAYERS, Metric, gram_hw  # noqa: E402
from atelier_train.network import VGGFeatures, gram  # noqa: E402
from atelier_train.reference import PackageRunner, to_bytes  # noqa: E402

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=os.path.join(ROOT, "models"))
    ap.add_argument("--f32", default=os.path.join(ROOT, "target/training/generator.f32.onnx"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--config", default=os.path.join(HERE, "configs/cpu-base.json"), help="for the loss layer weights")
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--photos", type=int, default=24, help="held-out photos to score")
    ap.add_argument("--sheet-photos", type=int, default=6)
    ap.add_argument("--side", type=int, default=256, help="long side the photos are scored at")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)

    with open(args.config, encoding="utf-8") as f:
        layer_weights = json.load(f)["style_layer_weights"]
    with open(os.path.join(HERE, "styles.json"), encoding="utf-8") as f:
        gallery = {v["id"]: (k, v) for k, v in json.load(f).items() if not k.startswith("_")}
    q8 = PackageRunner(args.package)
    f32 = PackageRunner(args.package, args.f32)
    styles = q8.manifest["styles"]
    vgg = VGGFeatures(os.path.join(args.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"))
    metric = Metric(vgg)

    def features(rgb01):
        with torch.no_grad():
            return vgg(to_tensor(Image.fromarray(to_bytes(rgb01)))[None])

    def style_distance(feats, target):
        return sum(layer_weights[k] * float(((gram(feats[k])[0] - target[k]) ** 2).mean()) for k in STYLE_LAYERS)

    targets, painting_grams = {}, {}
    for s in styles:
        painting = load_resized(os.path.join(args.data_dir, "styles", gallery[s["id"]][0]), 256)
        painting_grams[s["id"]] = metric.grams(painting)
        with torch.no_grad():
            feats = vgg(to_tensor(painting)[None])
        targets[s["id"]] = {k: gram(feats[k])[0] for k in STYLE_LAYERS}

    _, held_out = split(photo_paths(os.path.join(args.data_dir, "content")))
    photos = []
    for path in held_out[: args.photos]:
        image = load_resized(path, args.side)
        photos.append(np.asarray(image, dtype=np.float32) / 255.0)

    photo_features = [features(photo) for photo in photos]  # the same for every style
    rows = []
    sheet = {}
    campaign = {}  # style id -> (median style ratio, median content distance): the campaign's metric
    output_grams = {}  # style id -> per photo Gram matrices (metric layers), to tell styles apart
    for s in styles:
        sid = s["id"]
        d_styl, d_photo, d_content, d_other, psnrs = [], [], [], [], []
        ratios, contents, grams_out = [], [], []
        for i, photo in enumerate(photos):
            out_q8 = q8.stylize(photo, sid)
            out_f32 = f32.stylize(photo, sid)
            psnrs.append(psnr(to_bytes(out_q8), to_bytes(out_f32)))
            f_out, f_in = features(out_q8), photo_features[i]
            d_styl.append(style_distance(f_out, targets[sid]))
            d_photo.append(style_distance(f_in, targets[sid]))
            d_content.append(float(((f_out["relu3_1"] - f_in["relu3_1"]) ** 2).mean()))
            ratios.append(metric.style_ratio(f_out, f_in, painting_grams[sid]))
            contents.append(metric.content_distance(f_out, f_in))
            grams_out.append({k: gram_hw(f_out[k])[0] for k in METRIC_LAYERS})
            if i < args.sheet_photos:
                sheet[(i, sid)] = to_bytes(out_q8)
        rows.append((sid, s["name"]["en"], np.mean(d_styl), np.mean(d_photo), np.mean(d_content), min(psnrs), np.mean(psnrs)))
        campaign[sid] = (float(np.median(ratios)), float(np.median(contents)))
        output_grams[sid] = grams_out
        print(f"{sid:22s} style {np.mean(d_styl):10.1f} (photo {np.mean(d_photo):10.1f}, ratio {np.mean(d_styl) / np.mean(d_photo):.2f}) "
              f"content {np.mean(d_content):8.1f}  int8 PSNR min {min(psnrs):.1f} dB", flush=True)

    os.makedirs(args.docs, exist_ok=True)
    with open(os.path.join(args.docs, "evaluation.md"), "w", encoding="utf-8") as f:
        f.write(f"# Style evaluation: {q8.manifest['network']['id']}\n\n")
        f.write(f"{len(photos)} held-out photos (every 10th of ../shared/data/content, never trained on), long side "
                f"{args.side} px, run as Atelier runs them (int8 package, reflection padding, onnxruntime). "
                "Style distance: the training loss's weighted Gram-matrix distance to the painting "
                "(VGG19 relu1_1..relu4_1); lower is closer. Content distance: VGG19 relu3_1 MSE to the photo. "
                "Made by `training/evaluate.py`.\n\n")
        f.write("| style | name | style distance, stylized | style distance, photo | ratio | content distance | int8 vs f32 PSNR min / mean |\n")
        f.write("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
        for sid, name, ds, dp, dc, pmin, pmean in rows:
            f.write(f"| {sid} | {name} | {ds:.1f} | {dp:.1f} | {ds / dp:.2f} | {dc:.1f} | {pmin:.1f} / {pmean:.1f} dB |\n")
        f.write("\n## The campaign's metric\n\n"
                "Style ratio as the training campaign defines it (training/atelier_train/metrics.py: unweighted Gram "
                "distance over relu1_1..relu4_1, Gram / HW, stylized vs painting over photo vs painting) and content "
                "distance ||relu4_1(out) - relu4_1(photo)|| / ||relu4_1(photo)||, medians over the photos above.\n\n")
        f.write("| style | style ratio (median) | content distance (median) |\n| --- | ---: | ---: |\n")
        for sid, (ratio, content) in campaign.items():
            f.write(f"| {sid} | {ratio:.3f} | {content:.2f} |\n")
        ratios = [r for r, _ in campaign.values()]
        f.write(f"| **all styles** | median {np.median(ratios):.3f}, worst {max(ratios):.3f} | "
                f"{np.median([c for _, c in campaign.values()]):.2f} |\n\n")
        # How far apart two styles' outputs are (same photos), relative to how far each output is
        # from its photo: the closest pairs are the styles a visitor may not tell apart.
        ids = list(output_grams)
        pairs = []
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                d = np.median([Metric.gram_distance(ga, gb) for ga, gb in zip(output_grams[ids[a]], output_grams[ids[b]])])
                pairs.append((float(d), ids[a], ids[b]))
        pairs.sort()
        scale = np.median([d for d, _, _ in pairs])
        f.write("Closest pairs of styles (Gram distance between their outputs on the same photos, median over photos, "
                "relative to the median pair):\n\n| pair | distance | relative |\n| --- | ---: | ---: |\n")
        for d, a, b in pairs[:5]:
            f.write(f"| {a} / {b} | {d:.0f} | {d / scale:.2f} |\n")
        print("campaign metric: median style ratio %.3f, worst %.3f; closest pair %s / %s (%.2f of the median pair)"
              % (np.median(ratios), max(ratios), pairs[0][1], pairs[0][2], pairs[0][0] / scale), flush=True)
        f.write("\n![contact sheet](contact-sheet.png)\n")

    cell = 112
    n_rows = min(args.sheet_photos, len(photos))
    label_h = 18
    canvas = Image.new("RGB", ((len(styles) + 1) * cell, n_rows * cell + label_h), (250, 247, 240))
    draw = ImageDraw.Draw(canvas)
    for c, title in enumerate(["photo"] + [s["id"] for s in styles]):
        draw.text((c * cell + 4, 3), title[:17], fill=(40, 30, 20))
    for r in range(n_rows):
        tiles = [to_bytes(photos[r])] + [sheet[(r, s["id"])] for s in styles]
        for c, tile in enumerate(tiles):
            image = Image.fromarray(tile)
            image.thumbnail((cell, cell), Image.LANCZOS)
            canvas.paste(image, (c * cell + (cell - image.width) // 2, label_h + r * cell + (cell - image.height) // 2))
    canvas.save(os.path.join(args.docs, "contact-sheet.png"), optimize=True)
    print(f"wrote {args.docs}/evaluation.md and contact-sheet.png", flush=True)


if __name__ == "__main__":
    main()
