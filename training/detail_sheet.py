#!/usr/bin/env python3
"""100 % crops of 2048 px outputs with and without the detail stage (issue 35), to judge by eye
whether it paints strokes or lays a grain over them: `atelier stylize --max-side 2048` (release
CLI, default brush, CPU engine) of each photo in each style with a package that has a refiner,
once with `--no-detail` and once with it; a row per style, for each photo the crop without (left)
and with (right), each --crop px square at 100 %, taken at --at (fractions of width and height).

  training/detail_sheet.py --models target/pkg --photos life seeding \
      --styles starry-night the-kiss --out docs/detail-crops.jpg
"""
import argparse
import os
import subprocess
import tempfile

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True)
    ap.add_argument("--photos", nargs="+", required=True, help="names in the data's highres/ (without .jpg)")
    ap.add_argument("--styles", nargs="+", required=True)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--crop", type=int, default=320)
    ap.add_argument("--at", type=float, nargs=2, default=[0.5, 0.5])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cli = os.path.join(ROOT, "target/release/atelier")
    ways = [("without", ["--no-detail"]), ("with", [])]
    c = args.crop
    sheet = Image.new("RGB", (2 * c * len(args.photos) + 4 * len(args.photos), (c + 16) * len(args.styles) + 16), "white")
    draw = ImageDraw.Draw(sheet)
    with tempfile.TemporaryDirectory() as tmp:
        for p, photo in enumerate(args.photos):
            draw.text((p * (2 * c + 4) + 4, 2), f"{photo}: without | with the detail stage", fill="black")
        for r, style in enumerate(args.styles):
            y = 16 + r * (c + 16)
            draw.text((4, y + 1), style, fill="black")
            for p, photo in enumerate(args.photos):
                for k, (label, extra) in enumerate(ways):
                    out = os.path.join(tmp, f"{style}-{photo}-{label}.png")
                    subprocess.run([cli, "--models", args.models, "stylize", os.path.join(args.data_dir, "highres", photo + ".jpg"), out,
                                    "--style", style, "--max-side", str(args.side), "--engine", "cpu", *extra],
                                   check=True, capture_output=True)
                    im = Image.open(out).convert("RGB")
                    cx, cy = round(im.width * args.at[0]), round(im.height * args.at[1])
                    x0, y0 = min(max(0, cx - c // 2), im.width - c), min(max(0, cy - c // 2), im.height - c)
                    sheet.paste(im.crop((x0, y0, x0 + c, y0 + c)), (p * (2 * c + 4) + k * c, y + 14))
    sheet.save(args.out, quality=85)
    print(f"{args.out}: {len(args.styles)} styles x {len(args.photos)} photos")


if __name__ == "__main__":
    main()
