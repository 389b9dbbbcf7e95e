#!/usr/bin/env python3
"""The refinement stage (issue 35, detail at 100 %): a small network that runs at the output's
full resolution on the upsampled painting and paints the painting's own fine texture into it,
while the picture seen whole stays the coarse painting.

The generator paints at its working side (288 px for the default brush) and the pipeline brings
that up ~7x to a 2048 px output, so at 100 % every stroke is a soft blur. The refiner adds a
residual: `out = x + R(x, style)`, where `x` is the upsampled painting (RGB in 0..1) and R is five
3x3 convolutions (one at stride 2, two at half resolution, one after a nearest x2 upsampling
back at full resolution, one to RGB), each followed by a per-style scale and shift (FiLM: a
table of rows, one per style, mixed like the generator's gamma/beta) and a ReLU. There is no
normalisation: every output pixel depends only on a window of the input, so the pipeline can run
it in bands of rows at any size and get the same pixels as one pass.

Trained on the shipped package's own paintings of training photos (its generator, run by
onnxruntime at the working side), upsampled by a random factor of 4-8 (the factors visitors'
outputs have), 128 px crops at that scale. Losses:
- texture: VGG19 Gram matrices (relu1_1..relu4_1) of the refined crop against the mean Gram of
  the painting's own 128 px crops at the painting file's resolution (its texture at 100 %),
  each layer divided by its target's mean square;
- fidelity: the refined crop, averaged over blocks of the upsampling factor, must stay the coarse
  painting (mean squared difference): at a viewing size the picture is unchanged.

  training/refine.py --package models --out training/runs/refiner --max-minutes 30
  training/refine.py --apply training/runs/refiner/checkpoint.pt --inputs DIR --outputs DIR

The checkpoint holds the weights and the optimiser; the export (`--export CKPT --export-to DIR`)
writes `refiner.f32` (layout in `export_rows`) and its manifest entry for the run-time stage,
`src/detail.rs` (docs/training.md, "The detail stage in Rust").
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from atelier_train.data import photo_paths, to_tensor  # noqa: E402
from atelier_train.metrics import gram_hw  # noqa: E402
from atelier_train.network import VGGFeatures  # noqa: E402

WIDTH = 16
# The layers of R, in order (and of refiner.f32): (name, c_in, c_out, stride, upsample_before).
# "five" is the first prototype (one half-resolution level, an output pixel sees ~10 px each
# side); "quarter" adds a quarter-resolution level so that one stroke can span ~40 px.
ARCHITECTURES = {
    "five": [
        ("d1", 3, WIDTH, 2, False),
        ("h1", WIDTH, WIDTH, 1, False),
        ("h2", WIDTH, WIDTH, 1, False),
        ("u1", WIDTH, WIDTH, 1, True),
        ("out", WIDTH, 3, 1, False),
    ],
    "quarter": [
        ("d1", 3, WIDTH, 2, False),
        ("h1", WIDTH, WIDTH, 1, False),
        ("d2", WIDTH, WIDTH, 2, False),
        ("q1", WIDTH, WIDTH, 1, False),
        ("q2", WIDTH, WIDTH, 1, False),
        ("u1", WIDTH, WIDTH, 1, True),
        ("u2", WIDTH, WIDTH, 1, True),
        ("out", WIDTH, 3, 1, False),
    ],
}


def reach(layers):
    """How far an output pixel sees, in full-resolution px each side, rounded up to the grid a
    band must start on (the product of the strides): bands and tiles overlap by this much and
    start on the grid, so they paint the pixels of one pass. A 3x3 convolution whose input is
    spaced `spacing` px apart adds `spacing`; a nearest x2 upsampling can shift what a pixel
    reads by one coarse pixel, so it adds the coarse spacing."""
    spacing, radius, grid = 1, 0, 1
    for *_, stride, upsample in layers:
        if upsample:
            radius += spacing
            spacing //= 2
        radius += spacing
        spacing *= stride
        grid *= stride
    return -(-radius // grid) * grid, grid


TEXTURE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
CROP = 128


def position_noise(y0, x0, h, w):
    """Noise in -0.5..0.5 for the pixels (y0..y0+h, x0..x0+w) of a picture, a hash of each pixel's
    position (the same integer hash as `src/detail.rs`, so the Rust stage paints the same
    pixels, in any band): without it a network on a smooth upsampled painting can only paint
    texture that is a function of the smooth input, which came out as regular meshes and
    iso-line labyrinths on flat colour."""
    y = (np.arange(y0, y0 + h, dtype=np.uint64)[:, None] & 0xFFFFFFFF).astype(np.uint32)
    x = (np.arange(x0, x0 + w, dtype=np.uint64)[None, :] & 0xFFFFFFFF).astype(np.uint32)
    m = lambda a, k: (a.astype(np.uint64) * np.uint64(k) & np.uint64(0xFFFFFFFF)).astype(np.uint32)  # noqa: E731
    hsh = m(x, 0x8DA6B343) ^ m(y, 0xD8163841)
    hsh ^= hsh >> np.uint32(15)
    hsh = m(hsh, 0x2C1B3C6D)
    hsh ^= hsh >> np.uint32(12)
    hsh = m(hsh, 0x297A2D39)
    hsh ^= hsh >> np.uint32(15)
    return torch.from_numpy((hsh >> np.uint32(8)).astype(np.float32) / 16777216.0 - 0.5)


class Refiner(nn.Module):
    def __init__(self, n_styles, architecture="five", noise=False, upsample="nearest"):
        super().__init__()
        # "bilinear" is a PyTorch-only trial (src/detail.rs upsamples nearest): whether the 4 px
        # lattice of stamps comes from the nearest upsamplings.
        self.architecture, self.noise, self.upsample = architecture, noise, upsample
        self.layers = list(ARCHITECTURES[architecture])
        if noise:  # a fourth input channel: position_noise
            name, c_in, c_out, stride, up = self.layers[0]
            self.layers[0] = (name, c_in + 1, c_out, stride, up)
        self.halo, self.grid = reach(self.layers)
        self.convs = nn.ModuleDict({name: nn.Conv2d(ci, co, 3, stride=s, padding=1) for name, ci, co, s, _ in self.layers})
        self.gamma = nn.ParameterDict({name: nn.Parameter(torch.ones(n_styles, co)) for name, _, co, _, _ in self.layers[:-1]})
        self.beta = nn.ParameterDict({name: nn.Parameter(torch.zeros(n_styles, co)) for name, _, co, _, _ in self.layers[:-1]})
        with torch.no_grad():  # start as the identity: the residual is zero
            self.convs["out"].weight.mul_(0.1)
            self.convs["out"].bias.zero_()

    def forward(self, x, style_weights, offset=(0, 0)):
        """`offset`: where x's first pixel lies in the picture (noise is a hash of position)."""
        h = x
        if self.noise:
            _, _, hh, ww = x.shape
            noise = position_noise(offset[0], offset[1], hh, ww)[None, None].expand(x.shape[0], 1, hh, ww)
            h = torch.cat([x, noise], dim=1)
        for name, _, _, _, upsample in self.layers:
            if upsample:
                h = F.interpolate(h, scale_factor=2, mode="nearest") if self.upsample == "nearest" else \
                    F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
            h = self.convs[name](h)
            if name != "out":
                g = (style_weights @ self.gamma[name])[:, :, None, None]
                b = (style_weights @ self.beta[name])[:, :, None, None]
                h = F.relu(h * g + b)
        return x + h[:, :, : x.shape[2], : x.shape[3]]


def padded_run(refiner, x, style_weights):
    """The refiner on a whole picture as the pipeline runs it: the picture reflected by its halo on
    every side (and on to a multiple of its grid at the bottom and right), refined, the margin cut
    off."""
    _, _, h, w = x.shape
    halo, grid = refiner.halo, refiner.grid
    ph, pw = -(h + 2 * halo) % grid, -(w + 2 * halo) % grid
    xp = F.pad(x, (halo, halo + pw, halo, halo + ph), mode="reflect")
    return refiner(xp, style_weights)[:, :, halo:halo + h, halo:halo + w]


def export_rows(refiner):
    """The file's layout (little-endian float32): the shared weights then the style table.
    Shared, per layer in order: weight [c_out, c_in, 3, 3], bias [c_out]. Table: per style,
    per layer but the last, gamma [c_out] then beta [c_out]."""
    shared = []
    for name, *_ in refiner.layers:
        shared.append(refiner.convs[name].weight.detach().float().numpy().ravel())
        shared.append(refiner.convs[name].bias.detach().float().numpy().ravel())
    n_styles = refiner.gamma["d1"].shape[0]
    rows = []
    for s in range(n_styles):
        row = []
        for name, *_ in refiner.layers[:-1]:
            row.append(refiner.gamma[name][s].detach().float().numpy())
            row.append(refiner.beta[name][s].detach().float().numpy())
        rows.append(np.concatenate(row))
    return np.concatenate(shared).astype("<f4"), np.stack(rows).astype("<f4")


class CoarsePaintings:
    """The package's paintings of training photos at the working side, made on first use."""

    def __init__(self, package, photos, working_side):
        from atelier_train.reference import PackageRunner
        self.runner = PackageRunner(package)
        self.photos, self.side, self.cache = photos, working_side, {}

    def get(self, photo_index, style_id):
        key = (photo_index, style_id)
        if key not in self.cache:
            im = Image.open(self.photos[photo_index]).convert("RGB")
            scale = self.side / max(im.size)
            im = im.resize((max(16, round(im.width * scale)), max(16, round(im.height * scale))), Image.LANCZOS)
            rgb = np.asarray(im, dtype=np.float32) / 255.0
            out = np.clip(self.runner.stylize(rgb, style_id), 0, 1)
            self.cache[key] = torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1)))
        return self.cache[key]


def upsampled_crop(coarse, factor, rng, crop=CROP):
    """A `crop` px crop of `coarse` upsampled by `factor` (bicubic, as the pipeline's Catmull-Rom),
    made from the few coarse pixels it needs."""
    _, h, w = coarse.shape
    need = int(np.ceil(crop / factor)) + 4
    y0, x0 = rng.randint(0, max(0, h - need)), rng.randint(0, max(0, w - need))
    part = coarse[:, y0:y0 + need, x0:x0 + need][None]
    up = F.interpolate(part, scale_factor=factor, mode="bicubic", align_corners=False).clamp(0, 1)
    off = int(2 * factor)
    return up[:, :, off:off + crop, off:off + crop]


@torch.no_grad()
def painting_textures(vgg, path, layers, stride=CROP // 2, long_side=None):
    """The painting's own CROP px crops at its resolution, every `stride` px: per crop its Gram at
    each texture layer (bfloat16: float16 overflows, and float32 would hold 13 paintings' crops
    in 3 GB) and its descriptor (see `descriptor`)."""
    im = Image.open(path).convert("RGB")
    if long_side:  # the painting at the size of the output it is compared with
        scale = long_side / max(im.size)
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.BICUBIC)
    t = to_tensor(im)
    _, h, w = t.shape
    crops = [t[:, y:y + CROP, x:x + CROP] for y in range(0, h - CROP + 1, stride) for x in range(0, w - CROP + 1, stride)]
    grams = {k: [] for k in layers}
    for i in range(0, len(crops), 16):
        feats = vgg(torch.stack(crops[i:i + 16]))
        for k in layers:
            grams[k].append(gram_hw(feats[k]).bfloat16())
    return {"grams": {k: torch.cat(v) for k, v in grams.items()}, "descriptors": descriptor(torch.stack(crops))}


def descriptor(crops):
    """What a crop looks like seen coarsely, to find the painting's crops like a painted one: the
    mean and the spread of each colour over 8 px blocks (the fine texture averaged away, as in an
    upsampled painting)."""
    coarse = F.avg_pool2d(crops, 8)
    return torch.cat([coarse.mean(dim=(2, 3)), coarse.std(dim=(2, 3))], dim=1)


def grain_energy(residual):
    """The residual's energy above what a 3x3 box keeps: the finest grain the refiner adds (the
    per-pixel cells and the 4 px lattice that its nearest upsamplings make), to be held down."""
    smooth = F.avg_pool2d(F.pad(residual, (1, 1, 1, 1), mode="reflect"), 3, stride=1)
    return (residual - smooth).pow(2).mean()


def texture_target(texture, layer, crop_descriptors, nearest):
    """Per crop of a batch, the Gram it is held to at `layer`: the mean over all the painting's
    crops (nearest 0), or over the `nearest` crops of the painting that look most like it seen
    coarsely, so a sky is held to the painting's sky, not to the average of sky and trees."""
    grams = texture["grams"][layer]
    if nearest <= 0:
        return grams.float().mean(0, keepdim=True).expand(len(crop_descriptors), -1, -1)
    d = torch.cdist(crop_descriptors, texture["descriptors"])
    idx = d.topk(min(nearest, d.shape[1]), largest=False).indices
    return grams[idx].float().mean(1)


def train(args):
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(args.threads)
    manifest = json.load(open(os.path.join(args.package, "manifest.json"), encoding="utf-8"))
    styles = [s["id"] for s in manifest["styles"]]
    files = {v["id"]: k for k, v in json.load(open(os.path.join(HERE, "styles.json"), encoding="utf-8")).items() if not k.startswith("_")}
    vgg = VGGFeatures(os.path.join(args.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"), outputs=TEXTURE_LAYERS)
    # Per style, per painting side (None: the file's own), its crops' textures.
    sides = args.painting_sides or [None]
    targets = [{side: painting_textures(vgg, os.path.join(args.data_dir, "styles", files[s]), args.texture_layers,
                                        stride=CROP // 2 if side is None else CROP, long_side=side) for side in sides}
               for s in styles]
    working_side = manifest["network"].get("working_side", 288)
    file_sides = [max(Image.open(os.path.join(args.data_dir, "styles", files[st])).size) for st in styles]
    photos = photo_paths(os.path.join(args.data_dir, "content"))
    photos = rng.sample(photos, min(args.photos, len(photos)))
    coarse = CoarsePaintings(args.package, photos, manifest["network"].get("working_side", 288))

    refiner = Refiner(len(styles), args.architecture, args.noise, args.upsample)
    opt = torch.optim.Adam(refiner.parameters(), lr=args.lr)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, weights_only=False)
        if state.get("architecture", "five") != args.architecture:
            sys.exit(f"{ckpt_path} is a {state.get('architecture', 'five')!r} refiner, not {args.architecture!r}")
        if state.get("upsample", "nearest") != args.upsample:
            sys.exit(f"{ckpt_path} upsamples {state.get('upsample', 'nearest')}, not {args.upsample}: resume it with --upsample")
        refiner.load_state_dict(state["refiner"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    elif args.init:
        # Start from another refiner's weights (same architecture and styles), a fresh optimiser.
        state = torch.load(args.init, weights_only=False)
        if state.get("architecture", "five") != args.architecture or state.get("noise", False) != args.noise:
            sys.exit(f"{args.init} is not a {args.architecture!r} refiner with noise={args.noise}")
        refiner.load_state_dict(state["refiner"])
        print(f"started from {args.init} (its step {state['step']})", flush=True)

    def save():
        """The checkpoint, written whole or not at all (a stop mid-write keeps the previous one)."""
        torch.save({"refiner": refiner.state_dict(), "opt": opt.state_dict(), "step": step, "styles": styles,
                    "architecture": args.architecture, "texture_layers": args.texture_layers,
                    "nearest": args.nearest, "noise": args.noise,
                    "painting_sides": args.painting_sides, "file_scale": args.file_scale,
                    "grain_weight": args.grain_weight, "upsample": args.upsample}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    log = open(os.path.join(args.out, "losses.csv"), "a")
    if step == 0:
        log.write("step,texture,fidelity,seconds" + (",grain" if args.grain_weight else "") + "\n")
    started = time.time()
    while step < args.steps and (time.time() - started) < args.max_minutes * 60:
        t0 = time.time()
        s = [rng.randrange(len(styles)) for _ in range(args.batch)]
        factor = rng.uniform(4.0, 8.0)
        block = max(2, round(factor))
        if args.file_scale:
            # Each crop seen at the scale of the painting's file: the output's side over the
            # file's, so the texture the refiner paints is the file's texture at the size the
            # whole painting would have at this output size (strokes grown, not the file's
            # finest grain pasted at 1:1). Crops differ in size, so one refiner pass each.
            fidelity, grain, seen, xs = 0.0, 0.0, [], []
            for i in s:
                scale = min(4.0, max(1.0, working_side * factor / file_sides[i]))
                crop = int(round(CROP * scale))
                xi = upsampled_crop(coarse.get(rng.randrange(len(photos)), styles[i]), factor, rng, crop)
                wi = F.one_hot(torch.tensor([i]), len(styles)).float()
                oi = refiner(xi, wi, offset=(rng.randrange(1 << 16), rng.randrange(1 << 16)))
                fidelity = fidelity + F.mse_loss(F.avg_pool2d(oi, block), F.avg_pool2d(xi, block)) / len(s)
                grain = grain + grain_energy(oi - xi) / len(s)
                seen.append(F.interpolate(oi, size=(CROP, CROP), mode="bilinear", antialias=True, align_corners=False))
                xs.append(F.interpolate(xi, size=(CROP, CROP), mode="bilinear", antialias=True, align_corners=False))
            out, x = torch.cat(seen), torch.cat(xs)
        else:
            x = torch.cat([upsampled_crop(coarse.get(rng.randrange(len(photos)), styles[i]), factor, rng) for i in s])
            weights = F.one_hot(torch.tensor(s), len(styles)).float()
            out = refiner(x, weights, offset=(rng.randrange(1 << 16), rng.randrange(1 << 16)))
            fidelity = F.mse_loss(F.avg_pool2d(out, block), F.avg_pool2d(x, block))
            grain = grain_energy(out - x)
        feats = vgg(out)
        texture = 0.0
        with torch.no_grad():
            descriptors = descriptor(x)
        # The painting at the side of the output this crop's upsampling factor makes.
        side = sides[0] if sides == [None] else min(sides, key=lambda v: abs(v - working_side * factor))
        for k in args.texture_layers:
            g = gram_hw(feats[k])
            tgt = torch.cat([texture_target(targets[i][side], k, descriptors[j:j + 1], args.nearest) for j, i in enumerate(s)])
            texture = texture + ((g - tgt) ** 2).mean(dim=(1, 2)).div(tgt.pow(2).mean(dim=(1, 2))).mean()
        loss = texture + args.fidelity_weight * fidelity + args.grain_weight * grain
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        texture, fidelity = texture.item(), fidelity.item()
        grain = grain.item() if torch.is_tensor(grain) else grain
        log.write(f"{step},{texture:.5f},{fidelity:.7f},{time.time() - t0:.2f}" + (f",{grain:.7f}" if args.grain_weight else "") + "\n")
        if step % 50 == 0:
            log.flush()
            print(f"step {step} texture {texture:.4f} fidelity {fidelity:.6f} grain {grain:.6f} ({time.time() - t0:.2f} s)", flush=True)
        if step % args.checkpoint_every == 0 or step == args.steps:
            save()
    save()
    log.close()


def load(ckpt):
    state = torch.load(ckpt, weights_only=False)
    refiner = Refiner(len(state["styles"]), state.get("architecture", "five"), state.get("noise", False), state.get("upsample", "nearest"))
    refiner.load_state_dict(state["refiner"])
    refiner.eval()
    return refiner, state["styles"]


@torch.no_grad()
def apply(args):
    """Refines every STYLE-PHOTO.png in --inputs into --outputs (for training/evaluate_detail.py)."""
    torch.set_num_threads(args.threads)
    refiner, styles = load(args.apply)
    os.makedirs(args.outputs, exist_ok=True)
    for name in sorted(os.listdir(args.inputs)):
        if not name.endswith(".png"):
            continue
        style = next(s for s in sorted(styles, key=len, reverse=True) if name.startswith(s + "-"))
        x = to_tensor(Image.open(os.path.join(args.inputs, name)).convert("RGB"))[None]
        weights = F.one_hot(torch.tensor([styles.index(style)]), len(styles)).float()
        out = padded_run(refiner, x, weights).clamp(0, 1)[0]
        Image.fromarray((out.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(os.path.join(args.outputs, name))
        print(name, flush=True)


def export(args):
    """Writes refiner.f32 into --export-to and its entry (the layers, halo, grid and which style
    each row is) into that folder's manifest.json where it is a package (the refiner then runs
    with it: `atelier stylize`, the app), else beside it as refiner.json."""
    import hashlib
    refiner, styles = load(args.export)
    if refiner.upsample != "nearest":
        sys.exit(f"{args.export}: the run-time stage upsamples nearest, this refiner {refiner.upsample}")
    shared, table = export_rows(refiner)
    blob = shared.tobytes() + table.tobytes()
    with open(os.path.join(args.export_to, "refiner.f32"), "wb") as f:
        f.write(blob)
    entry = {
        "file": "refiner.f32",
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "layers": [{"name": n, "c_in": ci, "c_out": co, "stride": st, "upsample_before": up}
                   for n, ci, co, st, up in refiner.layers],
        "halo": refiner.halo,
        "grid": refiner.grid,
        "noise_channels": int(refiner.noise),
        "styles": styles,
    }
    manifest_path = os.path.join(args.export_to, "manifest.json")
    if os.path.exists(manifest_path):
        manifest = json.load(open(manifest_path, encoding="utf-8"))
        missing = [s for s in styles if s not in {x["id"] for x in manifest["styles"]}]
        if missing:
            sys.exit(f"{manifest_path} has no style {missing}: not the package this refiner was trained for")
        manifest["network"]["refiner"] = entry
        with open(manifest_path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(manifest_path + ".tmp", manifest_path)
        where = manifest_path
    else:
        where = os.path.join(args.export_to, "refiner.json")
        with open(where, "w", encoding="utf-8") as f:
            json.dump(entry, f, indent=2)
    print(f"wrote refiner.f32 ({shared.size} shared weights, {table.shape[0]} styles x {table.shape[1]}) and its entry in {where}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=os.path.join(ROOT, "models"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "../shared/data"))
    ap.add_argument("--out", default=os.path.join(HERE, "runs/refiner"))
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--fidelity-weight", type=float, default=2000.0)
    ap.add_argument("--texture-layers", nargs="+", default=list(TEXTURE_LAYERS), choices=TEXTURE_LAYERS,
                    help="the VGG layers of the texture term (the first trial used all four)")
    ap.add_argument("--architecture", default="five", choices=sorted(ARCHITECTURES))
    ap.add_argument("--noise", action="store_true", help="a fourth input channel of position noise")
    ap.add_argument("--painting-sides", type=int, nargs="+", default=None,
                    help="texture targets from the painting resized to these long sides, each crop held to the one nearest "
                         "its output's side (working side x upsampling factor); default: the painting file's own size")
    ap.add_argument("--upsample", default="nearest", choices=["nearest", "bilinear"],
                    help="the refiner's x2 upsampling; bilinear is a PyTorch-only trial (the Rust stage is nearest)")
    ap.add_argument("--grain-weight", type=float, default=0.0,
                    help="weight of the residual's finest-grain energy (grain_energy), 0: none")
    ap.add_argument("--init", help="a refiner checkpoint to start from (a new run only)")
    ap.add_argument("--file-scale", action="store_true",
                    help="the texture term on each crop seen at the painting file's scale (the output's side over the file's)")
    ap.add_argument("--nearest", type=int, default=0,
                    help="hold each crop to the mean Gram of the painting's N crops most like it seen coarsely (0: of all its crops)")
    ap.add_argument("--checkpoint-every", type=int, default=100)
    ap.add_argument("--max-minutes", type=float, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--apply", help="a checkpoint: refine --inputs into --outputs")
    ap.add_argument("--inputs")
    ap.add_argument("--outputs")
    ap.add_argument("--export", help="a checkpoint: write refiner.f32 into --export-to")
    ap.add_argument("--export-to")
    args = ap.parse_args()
    if args.apply:
        apply(args)
    elif args.export:
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
