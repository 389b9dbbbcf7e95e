#!/usr/bin/env python3
"""A contact sheet to look at two packages side by side, as a visitor sees them (issue 35):
`atelier stylize --max-side 2048` (the release CLI, default brush) of each photo in each style
with each package; a row per style, for each photo one column per package (the first package
left), each picture shown whole at --cell px wide, and below each a 100 % crop of its middle
(--crop px), so both the composition and the strokes can be judged.

  training/compare_sheet.py --packages models target/next-pkg --photos life aitzgorri \
      --styles starry-night the-scream --out docs/sheet.jpg
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
    ap.add_argument("--packages", nargs="+", required=True)
    ap.add_argument("--photos", nargs="+", required=True, help="names in the data's highres/ (without .jpg)")
    ap.add_argument("--styles", nargs="+", required=True)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--cell", type=int, default=360)
    ap.add_argument("--crop", type=int, default=180)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cli = os.path.join(ROOT, "target/release/atelier")
    cols = [(photo, pkg) for photo in args.photos for pkg in args.packages]
    cells = {}
    with tempfile.TemporaryDirectory() as tmp:
        for style in args.styles:
            for photo, pkg in cols:
                out = os.path.join(tmp, f"{style}-{photo}-{abs(hash(pkg))}.png")
                subprocess.run([cli, "stylize", "--models", pkg, "--style", style, "--max-side", str(args.side),
                                os.path.join(args.data_dir, "highres", photo + ".jpg"), out], check=True, capture_output=True)
                cells[(style, photo, pkg)] = Image.open(out).convert("RGB")
        first = next(iter(cells.values()))
        cell_h = round(first.height * args.cell / first.width)
        row_h = cell_h + args.crop + 20
        sheet = Image.new("RGB", (args.cell * len(cols), row_h * len(args.styles) + 20), "white")
        draw = ImageDraw.Draw(sheet)
        for c, (photo, pkg) in enumerate(cols):
            draw.text((c * args.cell + 4, 4), f"{photo} · {os.path.basename(os.path.normpath(pkg))}", fill="black")
        for r, style in enumerate(args.styles):
            y = 20 + r * row_h
            draw.text((4, y + 2), style, fill="black")
            for c, (photo, pkg) in enumerate(cols):
                im = cells[(style, photo, pkg)]
                sheet.paste(im.resize((args.cell, round(im.height * args.cell / im.width)), Image.LANCZOS), (c * args.cell, y + 16))
                cx, cy = im.width // 2, im.height // 2
                crop = im.crop((cx - args.cell // 2, cy - args.crop // 2, cx + args.cell // 2, cy + args.crop // 2))
                sheet.paste(crop, (c * args.cell, y + 16 + cell_h))
        sheet.save(args.out, quality=80)
    print(f"{args.out}: {len(args.styles)} styles x {len(cols)} columns")


if __name__ == "__main__":
    main()
