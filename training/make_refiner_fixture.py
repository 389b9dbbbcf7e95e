#!/usr/bin/env python3
"""Write the detail stage's fixture (tests/detail.rs): a "quarter" refiner with position noise and
random weights for the fixture package's two styles, its manifest entry, and PyTorch's output on
a small picture for one style and for a mix of both (`refine.padded_run`: the picture reflected by the halo, as
the Rust stage runs it in bands).

  training/make_refiner_fixture.py tests/fixtures/refiner
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refine import Refiner, export_rows, padded_run  # noqa: E402

STYLES = ["fixture-a", "fixture-b"]


def main(out_dir):
    torch.manual_seed(35)
    refiner = Refiner(len(STYLES), "quarter", noise=True)
    with torch.no_grad():
        for name in refiner.gamma:
            refiner.gamma[name].uniform_(0.5, 1.5)
            refiner.beta[name].uniform_(-0.1, 0.1)
        refiner.convs["out"].weight.mul_(120)  # undo the training start's near-zero residual
    shared, table = export_rows(refiner)
    blob = shared.tobytes() + table.tobytes()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "refiner.f32"), "wb") as f:
        f.write(blob)
    entry = {
        "file": "refiner.f32", "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
        "layers": [{"name": n, "c_in": ci, "c_out": co, "stride": s, "upsample_before": up} for n, ci, co, s, up in refiner.layers],
        "halo": refiner.halo, "grid": refiner.grid, "noise_channels": 1, "styles": STYLES,
    }
    # A picture with edges and smooth parts, not a multiple of the grid on either side.
    h, w = 29, 42
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    picture = np.stack([
        0.5 + 0.4 * np.sin(xx / 5.0) * np.cos(yy / 7.0),
        (xx + yy) / (h + w),
        (((xx // 9) + (yy // 6)) % 2) * 0.8 + 0.1,
    ]).round(6).astype(np.float32)  # as written to the JSON
    cases = []
    for weights in ([1.0, 0.0], [0.7, 0.3]):
        with torch.no_grad():
            out = padded_run(refiner, torch.from_numpy(picture)[None], torch.tensor([weights]))[0]
        cases.append({"weights": weights, "output": [round(v, 6) for v in out.numpy().ravel().tolist()]})
    fixture = {"entry": entry, "height": h, "width": w, "input": [round(v, 6) for v in picture.ravel().tolist()], "cases": cases}
    with open(os.path.join(out_dir, "case.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f)
    print(f"wrote {out_dir}: {len(blob)} bytes of weights, halo {refiner.halo}, grid {refiner.grid}")


if __name__ == "__main__":
    main(sys.argv[1])
