#!/usr/bin/env python3
"""Train Atelier's conditional-instance-norm generator on every style at once.

One command, resumable: `training/train.py --config training/configs/cpu-small.json`.
Writes checkpoints (every `checkpoint_every` steps and at the end) and a CSV of losses to
`out_dir`; run it again with the same config to resume where it stopped. CUDA when present,
else CPU. Seeds are fixed by the config.
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
from atelier_train.data import PaintingCrops, PhotoCrops, load_resized, photo_paths, split, style_sources, to_tensor  # noqa: E402
from atelier_train.export import NetSpec  # noqa: E402
from atelier_train.network import Generator, PatchDiscriminator, VGGFeatures, gram  # noqa: E402

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def load_config(path):
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    here = os.path.dirname(os.path.abspath(path))
    for key in ("data_dir", "out_dir"):
        config[key] = os.path.normpath(os.path.join(here, config[key]))
    return config


def tv_loss(x):
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    args = ap.parse_args()
    cfg = load_config(args.config)
    os.makedirs(cfg["out_dir"], exist_ok=True)

    random.seed(cfg["seed"]); np.random.seed(cfg["seed"]); torch.manual_seed(cfg["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    print(f"device {device}", flush=True)

    data = cfg["data_dir"]
    sources = style_sources(os.path.join(data, "styles"))
    styles = [s for s in sources if s["file"] not in cfg.get("exclude_styles", [])]
    n_styles = len(styles)
    spec = NetSpec(widths=tuple(cfg["widths"]), res_blocks=cfg["res_blocks"])
    gen = Generator(spec, n_styles).to(device)
    disc = PatchDiscriminator(n_styles).to(device)
    vgg = VGGFeatures(os.path.join(data, "vgg", "vgg19_conv1_1-conv5_1.fp16.safetensors"),
                      outputs=set(STYLE_LAYERS) | {cfg["content_layer"]}).to(device)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg["lr"])
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg["lr_d"], betas=(0.5, 0.999))

    paintings = [load_resized(os.path.join(data, "styles", s["file"]), cfg["style_side"]) for s in styles]
    with torch.no_grad():
        targets = []
        for p in paintings:
            feats = vgg(to_tensor(p)[None].to(device))
            targets.append({k: gram(feats[k])[0] for k in STYLE_LAYERS})
    train_photos, _ = split(photo_paths(os.path.join(data, "content")))
    photos = PhotoCrops(train_photos, cfg["crop"], seed=cfg["seed"])
    painting_crops = PaintingCrops(paintings, cfg["crop"], seed=cfg["seed"])

    ckpt_path = os.path.join(cfg["out_dir"], "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        gen.load_state_dict(state["gen"]); disc.load_state_dict(state["disc"])
        opt_g.load_state_dict(state["opt_g"]); opt_d.load_state_dict(state["opt_d"])
        step = state["step"]
        random.setstate(state["py_rng"]); torch.set_rng_state(state["torch_rng"])
        photos.rng.setstate(state["photo_rng"]); painting_crops.rng.setstate(state["painting_rng"])
        print(f"resumed at step {step}", flush=True)
    elif cfg.get("init_from"):
        # A branch of another run (e.g. the adversarial ablation): its generator and step.
        state = torch.load(os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(args.config)), cfg["init_from"])),
                           map_location=device, weights_only=False)
        gen.load_state_dict(state["gen"]); opt_g.load_state_dict(state["opt_g"])
        step = state["step"]
        print(f"branched from {cfg['init_from']} at step {step}", flush=True)

    def save():
        torch.save({"gen": gen.state_dict(), "disc": disc.state_dict(), "opt_g": opt_g.state_dict(),
                    "opt_d": opt_d.state_dict(), "step": step, "py_rng": random.getstate(),
                    "torch_rng": torch.get_rng_state(), "photo_rng": photos.rng.getstate(),
                    "painting_rng": painting_crops.rng.getstate(), "config": cfg,
                    "styles": [s["file"] for s in styles]}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    log_path = os.path.join(cfg["out_dir"], "losses.csv")
    new_log = not os.path.exists(log_path)
    log = open(log_path, "a", newline="")
    writer = csv.writer(log)
    if new_log:
        writer.writerow(["step", "content", "style", "tv", "adv_g", "d", "seconds"])

    started = time.time()
    adv_weight = cfg["adv_weight"]
    while step < cfg["steps"]:
        t0 = time.time()
        content = photos.batch(cfg["batch"]).to(device)
        style_idx = torch.tensor([random.randrange(n_styles) for _ in range(cfg["batch"])], device=device)
        weights = F.one_hot(style_idx, n_styles).float()

        out = gen(content, weights)
        f_out = vgg(out)
        with torch.no_grad():
            f_in = vgg(content)
        content_loss = F.mse_loss(f_out[cfg["content_layer"]], f_in[cfg["content_layer"]])
        style_loss = 0.0
        for layer in STYLE_LAYERS:
            target = torch.stack([targets[i][layer] for i in style_idx.tolist()])
            style_loss = style_loss + cfg["style_layer_weights"][layer] * F.mse_loss(gram(f_out[layer]), target)
        tv = tv_loss(out)
        loss = cfg["content_weight"] * content_loss + cfg["style_weight"] * style_loss + cfg["tv_weight"] * tv

        adv_g = torch.zeros(())
        d_loss = torch.zeros(())
        if adv_weight > 0 and step >= cfg["adv_start"]:
            adv_g = -disc(out, style_idx).mean()
            loss = loss + adv_weight * adv_g
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()

        if adv_weight > 0 and step >= cfg["adv_start"]:
            real = painting_crops.batch(style_idx.tolist()).to(device)
            d_loss = F.relu(1 - disc(real, style_idx)).mean() + F.relu(1 + disc(out.detach(), style_idx)).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

        step += 1
        writer.writerow([step, f"{content_loss.item():.4f}", f"{style_loss.item():.6f}", f"{tv.item():.5f}",
                         f"{adv_g.item():.4f}", f"{d_loss.item():.4f}", f"{time.time() - t0:.2f}"])
        if step % cfg["log_every"] == 0:
            log.flush()
            print(f"step {step}: content {content_loss.item():.3f} style {style_loss.item():.5f} "
                  f"tv {tv.item():.4f} adv {adv_g.item():.3f} d {d_loss.item():.3f} "
                  f"({time.time() - t0:.2f} s/step)", flush=True)
        if step % cfg["checkpoint_every"] == 0:
            save()
        if args.max_minutes and time.time() - started > args.max_minutes * 60:
            print(f"time budget reached at step {step}", flush=True)
            break
    save()
    log.close()
    print(f"checkpoint at step {step}: {ckpt_path}", flush=True)


if __name__ == "__main__":
    main()
