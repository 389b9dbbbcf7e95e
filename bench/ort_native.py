#!/usr/bin/env python3
"""onnxruntime (CPU) timings on the same package graph Atelier runs (int8 weights expanded),
one JSON line per size, same protocol as examples/bench_native.rs.

Usage: bench/ort_native.py MODELS_DIR REPS SIZE...
"""
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../training"))
from atelier_train.reference import PackageRunner  # noqa: E402


def main():
    models, reps, sizes = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3:]]
    started = time.perf_counter()
    runner = PackageRunner(models)
    load_ms = (time.perf_counter() - started) * 1e3
    feeds = runner.style_feeds(runner.manifest["styles"][0]["id"])
    for side in sizes:
        x = (np.arange(3 * side * side) % 255).astype(np.float32).reshape(1, 3, side, side) / 255.0
        run = lambda: runner.session.run(["stylized"], {**feeds, "content": x})  # noqa: E731
        t = time.perf_counter(); run(); cold = (time.perf_counter() - t) * 1e3
        warm = []
        for _ in range(reps):
            t = time.perf_counter(); run(); warm.append((time.perf_counter() - t) * 1e3)
        print(json.dumps({"engine": "onnxruntime-cpu", "size": side, "cold_ms": round(cold + (load_ms if side == sizes[0] else 0), 1),
                          "warm_median_ms": round(statistics.median(warm), 1), "warm_min_ms": round(min(warm), 1),
                          "warm_max_ms": round(max(warm), 1)}), flush=True)


if __name__ == "__main__":
    main()
