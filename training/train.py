#!/usr/bin/env python3
"""Train Atelier's conditional-instance-norm generator on every style at once.

One command, resumable: `training/train.py --config training/configs/cpu-campaign.json`.
Writes checkpoints (every `checkpoint_every` steps and at the end) and a CSV of losses to
`out_dir`; run it again with the same config to resume where it stopped. CUDA when present,
else CPU. Seeds are fixed by the config. Every key a config may set, and its default, is in
atelier_train/config.py (`TrainConfig`); an unknown key is refused.
"""
import argparse
import csv
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from atelier_train.config import ConfigError, load as load_config  # noqa: E402
from atelier_train.data import (PaintingCrops, PhotoCrops, ScaledPhotoCrops, load_resized, photo_paths,  # noqa: E402
                                split, style_sources, to_tensor)
from atelier_train.export import NetSpec, expand_int8  # noqa: E402
from atelier_train.metrics import METRIC_LAYERS, Metric, view  # noqa: E402
from atelier_train.network import Generator, PatchDiscriminator, VGGFeatures, gram  # noqa: E402
from atelier_train.regions import nearest_region_loss, quarter_grams, window_grams, windows  # noqa: E402
from atelier_train.spikes import PreNormRecorder, spike_penalty  # noqa: E402

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
# Where a config's `extra_paintings` are, in the data directory.
EXTRA_DIR = "paintings-extra"


def painting_path(data_dir, style):
    """A style's painting: the gallery's in styles/, an extra one in paintings-extra/."""
    return os.path.join(data_dir, style.get("dir", "styles"), style["file"])


def tv_loss(x):
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()


def chroma_tv_loss(rgb):
    """Total variation of the colour-difference channels only (B - Y, R - Y, BT.601 luma).
    The rainbow diagonal hatch (docs/training.md, stretch 14) is colour swinging through magenta,
    green and yellow every few pixels at the working side; the paintings' strokes are mostly
    changes of lightness, so this penalises the hatch and leaves the luminance strokes to the
    style loss."""
    y = 0.299 * rgb[:, 0:1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:3]
    return tv_loss(torch.cat([rgb[:, 2:3] - y, rgb[:, 0:1] - y], dim=1))


LAPLACIAN = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]]).view(1, 1, 3, 3)


def luminance(rgb):
    return 0.299 * rgb[:, 0:1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:3]


def laplacian_map(rgb, pool):
    """The Laplacian of the luminance seen `pool` times smaller (average pooling): where the
    picture's large-scale edges and shapes are, free of the strokes' own fine texture."""
    y = F.avg_pool2d(luminance(rgb), pool) if pool > 1 else luminance(rgb)
    return F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), LAPLACIAN.to(rgb.device, rgb.dtype))


def laplacian_loss(out, content, pool):
    """Per sample: the mean squared difference of the two Laplacian maps (Li et al. 2017)."""
    return (laplacian_map(out, pool) - laplacian_map(content, pool)).pow(2).flatten(1).mean(dim=1)


def edge_correlation(out, photo):
    """Correlation of the Sobel gradient magnitudes of two pictures' luminances (float tensors
    1x3xHxW in 0..1, same size): 1 where the painting's edges are exactly the photo's. The
    evaluation's `edge agreement` (evaluate_highres.py) on the curve's photos."""
    def magnitude(x):
        y = F.pad(luminance(x), (1, 1, 1, 1), mode="replicate")
        kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).view(1, 1, 3, 3)
        gx, gy = F.conv2d(y, kx), F.conv2d(y, kx.transpose(2, 3))
        return (gx.pow(2) + gy.pow(2)).sqrt().flatten()
    a, b = magnitude(out), magnitude(photo)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12))


def widen_from(gen, narrow):
    """Copy a narrower generator's state into `gen` (same layers, more channels) so that it
    computes the same function: old weights in the leading slices, every conv's weights on the new
    input channels zero (so nothing reads the new channels yet), the new output channels keep their
    random init (their gradients are then nonzero), their norms start at scale 1 and shift 0."""
    own = gen.state_dict()
    with torch.no_grad():
        for name, old in narrow.items():
            new = own[name]
            if old.shape == new.shape:
                new.copy_(old)
                continue
            if new.dim() == 4:  # conv weight [out, in, k, k]
                new[:, old.shape[1]:] = 0
            new[tuple(slice(0, n) for n in old.shape)] = old
    gen.load_state_dict(own)


def cpu_has_bf16():
    """Whether the CPU has bfloat16 instructions (Linux: /proc/cpuinfo's flags)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def init_from_package(gen, package_dir, style_files):
    """Start from a shipped package: its int8 conv weights expanded, its per-style norm rows
    (matched to this run's styles by painting file, through training/styles.json)."""
    import onnx
    from onnx import numpy_helper
    with open(os.path.join(package_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    network = manifest["network"]
    model = expand_int8(onnx.load(os.path.join(package_dir, network["generator"]["file"])))
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    with torch.no_grad():
        for name, conv in gen.convs.items():
            conv.weight.copy_(torch.from_numpy(weights[f"{name}.weight"].copy()))
            conv.bias.copy_(torch.from_numpy(weights[f"{name}.bias"].copy()))
        table = np.fromfile(os.path.join(package_dir, network["style_params"]["file"]), dtype="<f4")
        table = table.reshape(len(manifest["styles"]), -1)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "styles.json"), encoding="utf-8") as f:
            ids = {k: v["id"] for k, v in json.load(f).items() if not k.startswith("_")}
        index = {s["id"]: s["index"] for s in manifest["styles"]}
        for s, file in enumerate(style_files):
            if ids.get(file) not in index:
                continue  # a painting new to this run keeps its fresh row
            row, offset = table[index[ids[file]]], 0
            for entry in network["style_inputs"]:
                layer, kind = entry["name"].rsplit(".", 1)
                c = entry["channels"]
                getattr(gen.norms[layer], kind)[s].copy_(torch.from_numpy(row[offset:offset + c].copy()))
                offset += c


def load_with_new_styles(gen, disc, state, n_styles):
    """Load a run's generator (and discriminator) into networks with `n_styles` rows, the old
    ones first: each new style's instance-norm gamma/beta start from the mean of the old rows
    (the mean style, a neutral start), and its discriminator map from the mean of the old maps.
    Returns how many styles were added."""
    gen_state, disc_state = dict(state["gen"]), dict(state.get("disc", {}))
    old = next(v for k, v in gen_state.items() if k.endswith(".gamma")).shape[0]
    if old > n_styles:
        raise SystemExit(f"the start has {old} styles, this run only {n_styles}: use exclude_styles consistently")

    def grow(rows):
        extra = rows.mean(dim=0, keepdim=True).expand(n_styles - old, *rows.shape[1:])
        return torch.cat([rows, extra], dim=0)

    if old < n_styles:
        for k, v in gen_state.items():
            if k.endswith(".gamma") or k.endswith(".beta"):
                gen_state[k] = grow(v)
        # The last convolution's output channels are the styles' maps (its bias too, and the
        # spectral norm's left singular vector `u`, one entry per output channel).
        last = max((k for k in disc_state if k.endswith(".weight_orig")), key=lambda k: int(k.split(".")[1])).rsplit(".", 1)[0]
        for k in list(disc_state):
            if k.startswith(last + ".") and disc_state[k].shape[:1] == (old,):
                disc_state[k] = grow(disc_state[k])
    gen.load_state_dict(gen_state)
    if disc_state:
        disc.load_state_dict(disc_state)
    return n_styles - old


def reflect_margin(x, margin):
    """`x` with `margin` px of reflection on every side (the way the app pads a photo), then to a
    multiple of 4 at the bottom and right (the generator's stride); `x` itself for no margin."""
    if margin == 0:
        return x  # as before margins existed (the campaign's crops and curve photos)
    h, w = x.shape[2:]
    extra_h, extra_w = (-(h + 2 * margin)) % 4, (-(w + 2 * margin)) % 4
    return F.pad(x, (margin, margin + extra_w, margin, margin + extra_h), mode="reflect")


def paint(gen, x, weights, margin):
    """The generator run on `x` padded by `margin` px of reflection, cropped back to `x`'s size.
    With a margin the convolutions' zero padding (which tells the network where the input's
    edges are) lies outside what is kept, so painting a motif at an edge earns nothing."""
    h, w = x.shape[2:]
    return gen(reflect_margin(x, margin), weights)[:, :, margin:margin + h, margin:margin + w]


class HeldOut:
    """The campaign's metric (atelier_train.metrics) on a few held-out photos, run at the
    working resolution the way the app runs the default brush (`margin`: its reflection padding)."""

    def __init__(self, vgg, paths, working_side, paintings, count, margin=0):
        self.metric, self.margin = Metric(vgg), margin
        images = [load_resized(p, working_side) for p in paths[:count]]
        self.photos = [to_tensor(image)[None] for image in images]
        self.photo_feats = [self.metric.features(image) for image in images]
        self.photo_views = [to_tensor(view(image))[None] for image in images]
        self.painting_grams = [self.metric.grams(p) for p in paintings]

    @torch.no_grad()
    def evaluate(self, gen, n_styles):
        gen.eval()
        per_style, content_per_style, edges_per_style = [], [], []
        for s in range(n_styles):
            weights = torch.nn.functional.one_hot(torch.tensor([s]), n_styles).float()
            ratios, content, edges = [], [], []
            for photo, feats, photo_view in zip(self.photos, self.photo_feats, self.photo_views):
                out = paint(gen, photo, weights, self.margin)[0].clamp(0, 1).permute(1, 2, 0).mul(255).round().byte().numpy()
                f_out = self.metric.features(out)
                ratios.append(self.metric.style_ratio(f_out, feats, self.painting_grams[s]))
                content.append(self.metric.content_distance(f_out, feats))
                edges.append(edge_correlation(to_tensor(view(out))[None], photo_view))
            per_style.append(float(np.median(ratios)))
            content_per_style.append(content)
            edges_per_style.append(float(np.median(edges)))
        gen.train()
        # (per-style style ratio medians, median content distance over every picture, per-style content
        # medians, per-style edge correlation medians at the 256 px view)
        return (per_style, float(np.median(sum(content_per_style, []))), [float(np.median(c)) for c in content_per_style],
                edges_per_style)


class Run:
    """One training run, from its config: the networks and optimisers, the data, where it starts
    (a checkpoint to resume, a package, a narrower run or another run to branch from), the logs
    and the learning curve, then the steps. `main()` reads the arguments and calls these in order."""

    def __init__(self, cfg, config_path, threads=None):
        self.cfg, self.config_dir = cfg, os.path.dirname(os.path.abspath(config_path))
        os.makedirs(cfg.out_dir, exist_ok=True)
        random.seed(cfg.seed); np.random.seed(cfg.seed); torch.manual_seed(cfg.seed)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if self.device.type == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
        print(f"device {self.device}", flush=True)
        sources = style_sources(os.path.join(cfg.data_dir, "styles"))
        self.styles = [s for s in sources if s["file"] not in cfg.exclude_styles]
        # The extra paintings' rows come after the gallery's, so the gallery's indices (and a
        # package exported from the first rows) stay as they were.
        extra_dir = os.path.join(cfg.data_dir, EXTRA_DIR)
        for name in cfg.extra_paintings:
            if not os.path.exists(os.path.join(extra_dir, name)):
                raise SystemExit(f"extra_paintings: {name} is not in {extra_dir}")
            self.styles.append({"file": name, "dir": EXTRA_DIR})
        self.n_styles = len(self.styles)
        self.step = 0
        # A focused (style rows only) stretch: the campaign's step it branched from.
        self.base_step = 0
        # The region term's running size against the whole-painting term's (`region_style_weight`).
        self.region_scale = None
        self.build_networks()
        self.choose_trained_styles()
        self.load_data()

    def build_networks(self):
        cfg, device = self.cfg, self.device
        spec = NetSpec(widths=tuple(cfg.widths), res_blocks=cfg.res_blocks)
        self.gen = Generator(spec, self.n_styles).to(device)
        self.disc = PatchDiscriminator(self.n_styles).to(device)
        vgg = VGGFeatures(os.path.join(cfg.data_dir, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"),
                          outputs=set(STYLE_LAYERS) | set(METRIC_LAYERS) | {cfg.content_layer}
                          | ({cfg.content_extra_layer} if cfg.content_extra_layer else set())).to(device)
        # The loss network in bfloat16 (oneDNN uses AMX/AVX512-BF16 where the CPU has them), channels-last;
        # Gram matrices and losses stay float32. The generator trains in float32 throughout.
        self.vgg_bf16 = cfg.vgg_bf16 and device.type == "cpu"
        if self.vgg_bf16 and not cpu_has_bf16():
            # Without bf16 instructions oneDNN emulates bfloat16 and gains nothing: on an AVX2-only EPYC,
            # beside a build, no 50 steps in 8 minutes in bf16 against 10 s/step in float32 (not a clean
            # comparison; float32 alone: 6.8-7.9 s). The losses differ only by rounding.
            print("no AVX512-BF16/AMX on this CPU: the loss network runs in float32", flush=True)
            self.vgg_bf16 = False
        # Channels-last on the CPU in float32 too: oneDNN's convolutions skip a reorder per layer
        # (the loss network's forward and backward 4.6 -> 4.3 s per step on the AVX2 EPYC; gram()
        # then reads the features without a copy).
        self.loss_channels_last = device.type == "cpu"
        if self.loss_channels_last:
            vgg = vgg.to(memory_format=torch.channels_last)
        self.vgg = vgg

    def loss_features(self, x, upto=None):
        if self.loss_channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if not self.vgg_bf16:
            return self.vgg(x, upto=upto)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            feats = self.vgg(x, upto=upto)
        return {k: v.float() for k, v in feats.items()}

    def choose_trained_styles(self):
        cfg = self.cfg
        # A focused stretch ("train_styles" + "trainable": "style_norms") trains one style's rows of the
        # conditional instance-norm tables and nothing else: every other style's pictures stay exactly as
        # they were, and the one style gets every sample of the stretch instead of 1/13 of them.
        focus_files = cfg.train_styles
        self.train_idx = ([i for i, s in enumerate(self.styles) if s["file"] in focus_files] if focus_files
                          else list(range(self.n_styles)))
        if focus_files and len(self.train_idx) != len(focus_files):
            raise SystemExit(f"train_styles names a painting that is not trained: {focus_files}")
        self.norms_only = cfg.trainable == "style_norms"
        if self.norms_only:
            for name, p in self.gen.named_parameters():
                p.requires_grad_(name.startswith("norms."))
        self.opt_g = torch.optim.Adam([p for p in self.gen.parameters() if p.requires_grad], lr=cfg.lr)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))

    def load_data(self):
        cfg, data = self.cfg, self.cfg.data_dir
        self.paintings = [load_resized(painting_path(data, s), cfg.style_side) for s in self.styles]
        # What the losses learn from: each painting less `painting_trim` of its width and height on every
        # side, where the photographs of the paintings show the board's edge, a paper margin or a frame
        # shadow (The Scream's red strip on the right, The Great Wave's paper): with them in the Gram
        # targets and the discriminator's real patches the generator learned to paint a frame wherever
        # it can find the picture's edge. The held-out metric keeps the whole paintings (the issue's).
        # Tried in stretch 10 (docs/training.md) and left off: the frame grew fainter, the metric worse.
        trim = cfg.painting_trim
        trained_paintings = ([load_resized(painting_path(data, s), cfg.style_side, trim) for s in self.styles]
                             if trim else self.paintings)
        with torch.no_grad():
            self.targets, self.region_targets = [], []
            for p in trained_paintings:
                feats = self.vgg(to_tensor(p)[None].to(self.device))
                self.targets.append({k: gram(feats[k])[0] for k in STYLE_LAYERS})
                if cfg.region_style_weight > 0:
                    side = cfg.crop // 2
                    corners = windows(feats[STYLE_LAYERS[0]].shape[-2], feats[STYLE_LAYERS[0]].shape[-1], side, cfg.region_stride)
                    self.region_targets.append(window_grams(feats, STYLE_LAYERS, corners, side))
        train_photos, self.held_out_photos = split(photo_paths(os.path.join(data, "content")))
        if cfg.working_side:
            self.photos = ScaledPhotoCrops(train_photos, cfg.working_side, cfg.crop, seed=cfg.seed,
                                           min_short_side=cfg.photo_short_side)
        else:
            self.photos = PhotoCrops(train_photos, cfg.crop, seed=cfg.seed)
        self.painting_crops = PaintingCrops(trained_paintings, cfg.crop, seed=cfg.seed)
        # `context` [low, high]: every batch's crops come with a margin of their own photo drawn from
        # that range (even, so the input stays a multiple of the generator's stride of 4), and the
        # losses see only the crop (ScaledPhotoCrops.batch_with_context). Without it, `margin` px of
        # reflection (or nothing) around each crop, as the app pads a picture.
        if cfg.context and not isinstance(self.photos, ScaledPhotoCrops):
            raise SystemExit("context needs working_side (ScaledPhotoCrops)")

    @property
    def ckpt_path(self):
        return os.path.join(self.cfg.out_dir, "checkpoint.pt")

    def relative(self, path):
        """A path in the config, relative to the config file."""
        return os.path.normpath(os.path.join(self.config_dir, path))

    def start(self):
        """Resume from this run's checkpoint, or start where the config says (or from scratch)."""
        cfg, device, gen, disc = self.cfg, self.device, self.gen, self.disc
        if os.path.exists(self.ckpt_path):
            state = torch.load(self.ckpt_path, map_location=device, weights_only=False)
            gen.load_state_dict(state["gen"]); disc.load_state_dict(state["disc"])
            self.opt_g.load_state_dict(state["opt_g"]); self.opt_d.load_state_dict(state["opt_d"])
            self.step, self.base_step = state["step"], state.get("base_step", 0)
            self.region_scale = state.get("region_scale")
            random.setstate(state["py_rng"]); torch.set_rng_state(state["torch_rng"])
            self.photos.rng.setstate(state["photo_rng"]); self.painting_crops.rng.setstate(state["painting_rng"])
            print(f"resumed at step {self.step}", flush=True)
        elif cfg.init_from_package:
            init_from_package(gen, self.relative(cfg.init_from_package), [s["file"] for s in self.styles])
            print(f"started from the package in {cfg.init_from_package}", flush=True)
        elif cfg.init_widen_from:
            # The capacity test: a narrower run's generator copied into this wider one so that it
            # computes the same pictures at first (see widen_from), then trained on.
            state = torch.load(self.relative(cfg.init_widen_from), map_location=device, weights_only=False)
            widen_from(gen, state["gen"])
            disc.load_state_dict(state["disc"])
            self.step = state["step"]
            print(f"widened from {cfg.init_widen_from} at step {self.step}", flush=True)
        elif cfg.init_from:
            # A branch of another run (e.g. the adversarial ablation): its generator and step.
            state = torch.load(self.relative(cfg.init_from), map_location=device, weights_only=False)
            added = load_with_new_styles(gen, disc, state, self.n_styles)
            # A start that trained only the style rows has an optimiser over those alone.
            start_trained_all = state.get("config", {}).get("trainable", "all") == "all"
            if added:
                # New rows have no Adam moments: both optimisers start afresh (at the config's rates).
                print(f"{added} new styles, their rows started from the mean of the others'", flush=True)
            elif not self.norms_only and start_trained_all:
                self.opt_g.load_state_dict(state["opt_g"])
            # A focused stretch counts its own steps (its curve's samples are the focused styles' own)
            # and remembers the campaign's step it branched at, where a whole-network stretch after
            # it goes on counting.
            campaign_step = state["step"] if start_trained_all else state.get("base_step", 0)
            self.base_step = campaign_step if self.norms_only else 0
            self.step = 0 if self.norms_only else campaign_step
            print(f"branched from {cfg.init_from} at step {self.step}", flush=True)
        # The config's learning rates win over a loaded optimiser's (Adam's state keeps the rate it
        # was saved with): a stretch may anneal, or a branch change its rate, by its config alone.
        for group in self.opt_g.param_groups:
            group["lr"] = cfg.lr
        for group in self.opt_d.param_groups:
            group["lr"] = cfg.lr_d

    def save(self):
        torch.save({"gen": self.gen.state_dict(), "disc": self.disc.state_dict(), "opt_g": self.opt_g.state_dict(),
                    "opt_d": self.opt_d.state_dict(), "step": self.step, "py_rng": random.getstate(),
                    "torch_rng": torch.get_rng_state(), "photo_rng": self.photos.rng.getstate(),
                    "painting_rng": self.painting_crops.rng.getstate(), "config": self.cfg.as_dict(),
                    "base_step": self.base_step, "region_scale": self.region_scale,
                    "styles": [s["file"] for s in self.styles]}, self.ckpt_path + ".tmp")
        os.replace(self.ckpt_path + ".tmp", self.ckpt_path)

    def open_logs(self):
        """The per-step losses and, with `eval_every`, the learning curve and the best generator."""
        cfg, styles = self.cfg, self.styles
        self.log_path = os.path.join(cfg.out_dir, "losses.csv")
        # Steps logged after the checkpoint are dropped: they are about to be trained again. The
        # curve's minutes are the sum of the logged step times (training only, no evaluation).
        if os.path.exists(self.log_path):
            with open(self.log_path, encoding="utf-8") as f:
                rows = list(csv.reader(f))
            header, kept = rows[0], [r for r in rows[1:] if int(r[0]) <= self.step]
            with open(self.log_path, "w", newline="") as f:
                csv.writer(f).writerows([header] + kept)
        new_log = not os.path.exists(self.log_path)
        self.log = open(self.log_path, "a", newline="")
        self.writer = csv.writer(self.log)
        if new_log:
            self.writer.writerow(["step", "content", "style", "tv", "adv_g", "d", "seconds", "laplacian"])
            self.log.flush()
        # Logs begun before the structure term have no column for it.
        with open(self.log_path, encoding="utf-8") as f:
            self.log_laplacian = "laplacian" in f.readline()

        # The learning curve: the metric on held-out photos every `eval_every` steps.
        self.held_out = (HeldOut(self.vgg, self.held_out_photos, cfg.working_side or 256, self.paintings, cfg.eval_photos,
                                 cfg.margin) if cfg.eval_every else None)
        self.curve_path = os.path.join(cfg.out_dir, "curve.csv")
        if self.held_out and not os.path.exists(self.curve_path):
            with open(self.curve_path, "w", newline="") as f:
                csv.writer(f).writerow(["step", "samples_per_style", "minutes", "style_ratio_median", "style_ratio_worst",
                                        "content_distance_median"] + [s["file"] for s in styles])
        # Beside it, each style's own median content distance (how much of the photo's subject it keeps:
        # the four styles that lose it score 1.1-1.3 where the others score 0.8-1.0).
        self.content_curve_path = os.path.join(cfg.out_dir, "curve_content.csv")
        if self.held_out and not os.path.exists(self.content_curve_path):
            with open(self.content_curve_path, "w", newline="") as f:
                csv.writer(f).writerow(["step"] + [s["file"] for s in styles])
        # And each style's edge correlation with the photo at the 256 px view (`edge_correlation`).
        self.edges_curve_path = os.path.join(cfg.out_dir, "curve_edges.csv")
        if self.held_out and not os.path.exists(self.edges_curve_path):
            with open(self.edges_curve_path, "w", newline="") as f:
                csv.writer(f).writerow(["step"] + [s["file"] for s in styles])
        # The generator at the best held-out median of the run so far, beside the (latest) checkpoint:
        # the 8-photo metric moves +-0.01 between evaluations, so the stretch's end is not always its best.
        self.best_path = os.path.join(cfg.out_dir, "best.pt")
        self.best_median = (torch.load(self.best_path, map_location="cpu", weights_only=False)["median"]
                            if os.path.exists(self.best_path) else None)

    def evaluate_curve(self, minutes):
        per_style, content_median, content_per_style, edges_per_style = self.held_out.evaluate(self.gen, self.n_styles)
        # "Best" is judged on the styles being trained (all of them, except in a focused stretch).
        trained_median = float(np.median([per_style[i] for i in self.train_idx]))
        if self.best_median is None or trained_median < self.best_median:
            self.best_median = trained_median
            torch.save({"gen": self.gen.state_dict(), "step": self.step, "median": self.best_median,
                        "config": self.cfg.as_dict(), "styles": [s["file"] for s in self.styles]}, self.best_path + ".tmp")
            os.replace(self.best_path + ".tmp", self.best_path)
        with open(self.curve_path, "a", newline="") as f:
            csv.writer(f).writerow([self.step, self.step * self.cfg.batch // len(self.train_idx), f"{minutes:.1f}",
                                    f"{np.median(per_style):.4f}", f"{max(per_style):.4f}", f"{content_median:.3f}"]
                                   + [f"{r:.4f}" for r in per_style])
        with open(self.content_curve_path, "a", newline="") as f:
            csv.writer(f).writerow([self.step] + [f"{c:.3f}" for c in content_per_style])
        with open(self.edges_curve_path, "a", newline="") as f:
            csv.writer(f).writerow([self.step] + [f"{e:.3f}" for e in edges_per_style])
        print(f"held-out at step {self.step}: style ratio median {np.median(per_style):.3f} worst {max(per_style):.3f} "
              f"content {content_median:.3f} edges {np.median(edges_per_style):.3f}", flush=True)

    def train(self, max_minutes=None):
        """Steps until the config's `steps` (or `max_minutes`), then a checkpoint."""
        cfg, device, gen, disc = self.cfg, self.device, self.gen, self.disc
        frozen = {name: p.detach().clone() for name, p in gen.named_parameters()} if self.norms_only else {}
        started = time.time()
        if self.held_out and sum(1 for _ in open(self.curve_path, encoding="utf-8")) <= 1:
            # A run's first row is where it starts (a branch's too, measured its own way: its margin, say).
            self.evaluate_curve(0.0)
        adv_weight = cfg.adv_weight
        # A style whose metric stays behind the others at the common weight gets a larger one
        # (per painting file; 1 elsewhere, which is the plain mean squared Gram difference).
        style_boost = torch.tensor([cfg.style_weight_by_file.get(s["file"], 1.0) for s in self.styles], device=device)
        # Likewise a style that loses the photo's subject gets a larger content weight.
        content_boost = torch.tensor([cfg.content_weight_by_file.get(s["file"], 1.0) for s in self.styles], device=device)
        extra_layer = cfg.content_extra_layer
        extra_boost = torch.tensor([cfg.content_extra_weight_by_file.get(s["file"], 0.0) for s in self.styles], device=device)
        # "reluN_1" names sort in the network's order.
        deepest_content = max(cfg.content_layer, extra_layer or cfg.content_layer)
        context, margin = cfg.context, cfg.margin
        # Styles come in shuffled rounds, so every style gets the same number of samples.
        style_queue = []
        recorder = PreNormRecorder(gen.norms.values()) if cfg.spike_weight > 0 else None
        while self.step < cfg.steps:
            t0 = time.time()
            if context:
                around = self.photos.rng.randrange(context[0] // 2, context[1] // 2 + 1) * 2
                framed = self.photos.batch_with_context(cfg.batch, around).to(device)
                inside = (slice(None), slice(None), slice(around, around + cfg.crop), slice(around, around + cfg.crop))
                content = framed[inside]
            else:
                content = self.photos.batch(cfg.batch).to(device)
            while len(style_queue) < cfg.batch:
                round_ = list(self.train_idx)
                random.shuffle(round_)
                style_queue += round_
            style_idx = torch.tensor(style_queue[:cfg.batch], device=device)
            del style_queue[:cfg.batch]
            weights = F.one_hot(style_idx, self.n_styles).float()
            if recorder is not None:
                recorder.take()  # what the held-out evaluation's passes left
            # A margin drawn per batch (`margin_range`): what the network keeps in a fixed margin (a
            # band of spikes along the picture's top, docs/training.md) shows in the crop at a
            # narrower one, where the losses see it.
            step_margin = (random.randrange(cfg.margin_range[0] // 4, cfg.margin_range[1] // 4 + 1) * 4
                           if cfg.margin_range else margin)
            out = gen(framed, weights)[inside] if context else paint(gen, content, weights, step_margin)
            spikes = torch.zeros(())
            if recorder is not None:
                # The padded input's size, as paint() pads it: what each norm's map is a scaled copy of.
                padded = reflect_margin(content[:1, :1], step_margin).shape[2:]
                spikes = spike_penalty(recorder.take(), padded, step_margin, content.shape[2:], cfg.spike_threshold,
                                       cfg.spike_everywhere)
            consistency = torch.zeros(())
            if cfg.margin_consistency_weight > 0 and step_margin != margin:
                # What the batch is at the package's margin is the target; only the drawn one learns.
                with torch.no_grad():
                    reference = paint(gen, content, weights, margin)
                if recorder is not None:
                    recorder.take()  # the reference pass's maps are not this step's
                consistency = (out - reference).abs().mean()
            f_out = self.loss_features(out)
            with torch.no_grad():
                f_in = self.loss_features(content, upto=deepest_content)
            # Per sample, so that a style's content weight applies to its own samples; with no boosts
            # this is the plain mean squared difference over the batch.
            content_per_sample = (f_out[cfg.content_layer] - f_in[cfg.content_layer]).pow(2).flatten(1).mean(dim=1)
            content_loss = (content_per_sample * content_boost[style_idx]).mean()
            content_extra = torch.zeros(())
            if extra_layer and bool((extra_boost[style_idx] > 0).any()):
                extra_per_sample = (f_out[extra_layer] - f_in[extra_layer]).pow(2).flatten(1).mean(dim=1)
                content_extra = (extra_per_sample * extra_boost[style_idx]).mean()
                content_loss = content_loss + content_extra
            style_loss = 0.0
            sample_boost = style_boost[style_idx]
            for layer in STYLE_LAYERS:
                target = torch.stack([self.targets[i][layer] for i in style_idx.tolist()])
                per_sample = (gram(f_out[layer]) - target).pow(2).flatten(1).mean(dim=1)
                style_loss = style_loss + cfg.style_layer_weights[layer] * (per_sample * sample_boost).mean()
            if cfg.region_style_weight > 0:
                quarters = quarter_grams(f_out, STYLE_LAYERS)
                by_region = (nearest_region_loss(quarters, [self.region_targets[i] for i in style_idx.tolist()],
                                                 cfg.style_layer_weights) * sample_boost).mean()
                # A quarter's Gram is noisier than the crop's, so its distance to the nearest region
                # is several times the crop's to the whole painting: scaled by their running ratio,
                # the style term keeps its size beside the content term and only its target changes.
                ratio = (by_region / style_loss.clamp_min(1e-12)).item()
                self.region_scale = ratio if self.region_scale is None else 0.99 * self.region_scale + 0.01 * ratio
                style_loss = ((1 - cfg.region_style_weight) * style_loss
                              + cfg.region_style_weight * by_region / self.region_scale)
            tv = tv_loss(out)
            chroma_tv = chroma_tv_loss(out)
            loss = (cfg.content_weight * content_loss + cfg.style_weight * style_loss + cfg.tv_weight * tv
                    + cfg.chroma_tv_weight * chroma_tv)
            structure = torch.zeros(())
            if cfg.laplacian_weight > 0:
                structure = (laplacian_loss(out, content, cfg.laplacian_pool) * content_boost[style_idx]).mean()
                loss = loss + cfg.laplacian_weight * structure

            if recorder is not None:
                loss = loss + cfg.spike_weight * spikes
            loss = loss + cfg.margin_consistency_weight * consistency

            adv_g = torch.zeros(())
            d_loss = torch.zeros(())
            if adv_weight > 0 and self.step >= cfg.adv_start:
                adv_g = -disc(out, style_idx).mean()
                loss = loss + adv_weight * adv_g
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
            if self.norms_only:
                # Adam moves only rows with a gradient from a zero state, but keep the other styles' rows
                # exact whatever the optimiser does (weight decay, a resumed state).
                with torch.no_grad():
                    for name, p in gen.named_parameters():
                        if name.startswith("norms."):
                            keep = torch.ones(p.shape[0], dtype=torch.bool, device=p.device)
                            keep[self.train_idx] = False
                            p[keep] = frozen[name][keep]

            if adv_weight > 0 and self.step >= cfg.adv_start:
                real = self.painting_crops.batch(style_idx.tolist()).to(device)
                d_loss = F.relu(1 - disc(real, style_idx)).mean() + F.relu(1 + disc(out.detach(), style_idx)).mean()
                self.opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                self.opt_d.step()

            self.step += 1
            self.writer.writerow([self.step, f"{content_loss.item():.4f}", f"{style_loss.item():.6f}", f"{tv.item():.5f}",
                                  f"{adv_g.item():.4f}", f"{d_loss.item():.4f}", f"{time.time() - t0:.2f}"]
                                 + ([f"{structure.item():.6f}"] if self.log_laplacian else []))
            if self.step % cfg.log_every == 0:
                self.log.flush()
                print(f"step {self.step}: content {content_loss.item():.3f} style {style_loss.item():.5f} "
                      f"(deep {content_extra.item():.3f}) spikes {spikes.item():.4f} margin consistency {consistency.item():.4f} tv {tv.item():.4f} chroma tv {chroma_tv.item():.4f} laplacian {structure.item():.5f} adv {adv_g.item():.3f} d {d_loss.item():.3f} "
                      f"({time.time() - t0:.2f} s/step)", flush=True)
            if self.step % cfg.checkpoint_every == 0:
                self.save()
            if self.held_out and self.step % cfg.eval_every == 0:
                with open(self.log_path, encoding="utf-8") as f:
                    minutes = sum(float(r["seconds"]) for r in csv.DictReader(f)) / 60
                self.evaluate_curve(minutes)
            if max_minutes and time.time() - started > max_minutes * 60:
                print(f"time budget reached at step {self.step}", flush=True)
                break
        self.save()
        self.log.close()
        print(f"checkpoint at step {self.step}: {self.ckpt_path}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: every core; 1 leaves a core free for builds beside the training)")
    args = ap.parse_args()
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        raise SystemExit(f"error: {e}")
    run = Run(cfg, args.config, threads=args.threads)
    run.start()
    run.open_logs()
    run.train(max_minutes=args.max_minutes)


if __name__ == "__main__":
    main()
