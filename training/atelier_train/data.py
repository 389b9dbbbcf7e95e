"""Content photos and style paintings from ../shared/data (see its README)."""
import csv
import os
import random

import numpy as np
import torch
from PIL import Image

PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")


def photo_paths(content_dir):
    with open(os.path.join(content_dir, "MANIFEST.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return sorted(os.path.join(content_dir, r["file"]) for r in rows)


def split(paths, every=10):
    """Deterministic held-out split: every `every`-th photo is for evaluation only."""
    train = [p for i, p in enumerate(paths) if i % every != 0]
    held_out = [p for i, p in enumerate(paths) if i % every == 0]
    return train, held_out


def style_sources(styles_dir):
    with open(os.path.join(styles_dir, "SOURCES.tsv"), encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def to_tensor(image):
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)


def load_resized(path, long_side, trim=0.0):
    """The picture at `path` scaled to `long_side` px on its long side, after cutting `trim` of its
    width and height off every side."""
    image = Image.open(path).convert("RGB")
    if trim:
        dx, dy = round(image.width * trim), round(image.height * trim)
        image = image.crop((dx, dy, image.width - dx, image.height - dy))
    scale = long_side / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


class PhotoCrops:
    """Random crops: scale the short side to crop * U(1, 1.5), crop, flip. Photos whose short
    side is under `min_short` are skipped."""

    def __init__(self, paths, crop, min_short=128, seed=0):
        self.crop = crop
        self.rng = random.Random(seed)
        self.images = []
        for p in paths:
            image = Image.open(p).convert("RGB")
            if min(image.size) >= min_short:
                scale = 2 * crop / min(image.size)
                if scale < 1:
                    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
                self.images.append(image)
        if not self.images:
            raise SystemExit("no usable content photos")

    def batch(self, n):
        out = []
        for _ in range(n):
            image = self.rng.choice(self.images)
            short = self.crop * self.rng.uniform(1.0, 1.5)
            scale = short / min(image.size)
            w, h = max(self.crop, round(image.width * scale)), max(self.crop, round(image.height * scale))
            image = image.resize((w, h), Image.BILINEAR)
            x, y = self.rng.randint(0, w - self.crop), self.rng.randint(0, h - self.crop)
            image = image.crop((x, y, x + self.crop, y + self.crop))
            if self.rng.random() < 0.5:
                image = image.transpose(Image.FLIP_LEFT_RIGHT)
            out.append(to_tensor(image))
        return torch.stack(out)


class ScaledPhotoCrops:
    """Random crops of photos seen whole at the working resolution: every photo is decoded once,
    scaled so its long side is `working_side` (the scale the app paints at, so strokes come out at
    the painting's relative size) and kept as uint8. A crop covers `crop / s` px of it, s drawn
    from `scale_range` (a little scale variety), resized to `crop`, flipped half the time."""

    def __init__(self, paths, working_side, crop, scale_range=(0.85, 1.15), seed=0, min_short_side=None):
        self.crop, self.scale_range = crop, scale_range
        self.rng = random.Random(seed)
        self.images = []
        # `min_short_side` lets smaller crops keep the scale the photos had for larger ones.
        need = min_short_side or int(np.ceil(crop / scale_range[0]))
        for p in paths:
            image = Image.open(p).convert("RGB")
            scale = working_side / max(image.size)
            w, h = round(image.width * scale), round(image.height * scale)
            if min(w, h) < need:  # short side too small for a crop: scale up just enough
                grow = need / min(w, h)
                w, h = max(need, round(w * grow)), max(need, round(h * grow))
            self.images.append(np.asarray(image.resize((w, h), Image.LANCZOS), dtype=np.uint8))
        if not self.images:
            raise SystemExit("no usable content photos")

    def batch(self, n):
        return self.batch_with_context(n, 0)

    def batch_with_context(self, n, margin):
        """Crops as `batch` draws them (the same draws: margin 0 is `batch`), each with `margin` px
        (at the crop's scale) of its photo around it: `crop + 2 * margin` px square, the crop in
        the middle. The crop's window is placed so that its surroundings lie inside the photo
        wherever the photo is large enough; only where it is not does reflection fill them. So the
        edge of what the losses see is not marked by anything in the picture: neither zero padding
        at a fixed distance nor the mirror line a reflected margin draws (the generator learned to
        paint a frame at both)."""
        size = self.crop + 2 * margin
        out = np.empty((n, size, size, 3), dtype=np.uint8)
        for i in range(n):
            image = self.rng.choice(self.images)
            h, w, _ = image.shape
            side = min(round(self.crop / self.rng.uniform(*self.scale_range)), h, w)
            extra = round(margin * side / self.crop)
            full = side + 2 * extra

            def place(length):
                # where the window starts (the crop starts `extra` px further in), in the photo
                if full <= length:
                    return self.rng.randint(0, length - full)
                return self.rng.randint(0, length - side) - extra

            x, y = place(w), place(h)
            if full > w or full > h:  # the window passes the photo's edge: reflect it
                image = np.pad(image, ((extra, extra), (extra, extra), (0, 0)), mode="reflect")
                x, y = x + extra, y + extra
            window = image[y:y + full, x:x + full]
            if full != size:
                window = np.asarray(Image.fromarray(window).resize((size, size), Image.BILINEAR))
            out[i] = window[:, ::-1] if self.rng.random() < 0.5 else window
        return torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(255.0)


class PaintingCrops:
    """Random crops of each painting at the style scale, for the discriminator."""

    def __init__(self, paintings, crop, seed=0):
        self.paintings, self.crop, self.rng = paintings, crop, random.Random(seed + 1)

    def batch(self, style_indices):
        out = []
        for s in style_indices:
            image = self.paintings[s]
            w, h = image.size
            c = min(self.crop, w, h)
            x, y = self.rng.randint(0, w - c), self.rng.randint(0, h - c)
            piece = image.crop((x, y, x + c, y + c)).resize((self.crop, self.crop), Image.BILINEAR)
            out.append(to_tensor(piece))
        return torch.stack(out)
