#!/usr/bin/env python3
"""Is the detail a refiner adds a pattern stamped on a grid? (issue 35, detail at 100 %)

The refiners trained so far paint texture that the Gram measures of evaluate_detail.py score as
the painting's own (crop ratio 0.35) while the eye sees cells, a lattice or chevrons laid over the
picture (docs/training.md, "The detail stage in Rust" and after). This measures what the eye
sees: the residual's luminance (the refined picture minus the same picture without the stage),
its autocorrelation over 512 px crops, and of that the most prominent *secondary* peak within 24
px: how far the autocorrelation climbs back up after falling on the way out from the centre
(peak minus the lowest value on the straight path to it). A texture that decays away from each
point (dabs, strokes, a ridge along the strokes' direction) has none; a shape repeated on a
grid has peaks at its period. The painting's own fine texture (the file minus its Gaussian blur,
sigma 2 px) is the yardstick.

  training/lattice_score.py --pairs COARSE.png:REFINED.png ... [--paintings FILE ...] [--self-check]
"""
import argparse

import numpy as np
from PIL import Image

REACH, FIRST, CROP = 24, 3, 512


def gaussian_filter(a, sigma):
    """Separable Gaussian blur, reflected at the edges."""
    r = int(3 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    p = np.pad(a, r, mode="reflect")
    p = np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), 0, p)
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), 1, p)


def luminance(path):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
    return a @ np.array([0.299, 0.587, 0.114])


def autocorrelation(r):
    r = r - r.mean()
    f = np.fft.rfft2(r, s=(2 * r.shape[0], 2 * r.shape[1]))
    ac = np.fft.irfft2(np.abs(f) ** 2, s=(2 * r.shape[0], 2 * r.shape[1]))
    ac = np.fft.fftshift(ac)
    cy, cx = ac.shape[0] // 2, ac.shape[1] // 2
    win = ac[cy - REACH:cy + REACH + 1, cx - REACH:cx + REACH + 1]
    return win / win[REACH, REACH]


def prominence(ac):
    """The largest climb back up of `ac` (normalised, centre 1) at lags FIRST..REACH px."""
    best = 0.0
    for dy in range(-REACH, REACH + 1):
        for dx in range(-REACH, REACH + 1):
            n = max(abs(dy), abs(dx))
            if n < FIRST:
                continue
            path = [ac[REACH + round(dy * t / n), REACH + round(dx * t / n)] for t in range(n)]
            best = max(best, ac[REACH + dy, REACH + dx] - min(path))
    return best


def crops(residual):
    h, w = residual.shape
    out = []
    for y in range(0, max(1, h - CROP + 1), CROP):
        for x in range(0, max(1, w - CROP + 1), CROP):
            out.append(residual[y:y + CROP, x:x + CROP])
    return out


def score(residual):
    return float(np.median([prominence(autocorrelation(c)) for c in crops(residual)]))


def self_check():
    """Synthetic residuals the measure must order: a shape stamped on a 6 px grid scores high;
    blurred noise (dabs) and noise smeared along one direction (strokes) score low."""
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((CROP, CROP))
    yy, xx = np.mgrid[0:CROP, 0:CROP]
    stamps = (np.sin(2 * np.pi * (xx + yy) / 6) * np.sin(2 * np.pi * (xx - yy) / 6)) * (0.5 + rng.random((CROP, CROP)) * 0.2)
    dabs = gaussian_filter(noise, 1.5)
    strokes = np.apply_along_axis(lambda v: np.convolve(v, np.ones(15) / 15, mode="same"), 1, noise)
    scores = {name: score(r) for name, r in (("stamps", stamps), ("dabs", dabs), ("strokes", strokes))}
    print(" ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    assert scores["stamps"] > 0.5 and scores["dabs"] < 0.1 and scores["strokes"] < 0.1, scores


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", nargs="*", default=[], help="COARSE.png:REFINED.png (the same picture without and with the stage)")
    ap.add_argument("--paintings", nargs="*", default=[], help="painting files: their own fine texture as the yardstick")
    ap.add_argument("--self-check", action="store_true", help="score synthetic stamps, dabs and strokes, and check their order")
    args = ap.parse_args()
    if args.self_check:
        self_check()
    for p in args.paintings:
        lum = luminance(p)
        print(f"painting {p}: {score(lum - gaussian_filter(lum, 2.0)):.3f}")
    for pair in args.pairs:
        coarse, refined = pair.split(":")
        print(f"{refined}: {score(luminance(refined) - luminance(coarse)):.3f}")


if __name__ == "__main__":
    main()
