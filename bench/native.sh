#!/usr/bin/env bash
# Native benchmark: Atelier's CPU engine (and the wonnx GPU engine where an adapter exists)
# against onnxruntime on the CPU, same package graph, same input, same machine, same run.
# Prints each engine's cold and warm (median over REPS) time per pass and the ratio to
# onnxruntime. Usage: bash bench/native.sh [REPS] [SIZES...]   (default: 5 256 512)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}; shift || true
sizes=${*:-256 512}
bash scripts/setup.sh >/dev/null
cargo build --release --quiet --example bench_native
out=$(mktemp)
./target/release/examples/bench_native --reps "$reps" --engines cpu,gpu $sizes >>"$out"
.venv/bin/python bench/ort_native.py models "$reps" $sizes >>"$out"
.venv/bin/python - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
peer = {r["size"]: r for r in rows if r["engine"] == "onnxruntime-cpu"}
print(f"{'engine':18} {'size':>5} {'cold ms':>9} {'warm ms':>9} {'spread':>15} {'warm vs onnxruntime':>20}")
for r in rows:
    if "error" in r:
        print(f"{r['engine']:18} {r['size']:>5} error: {r['error']}"); continue
    p = peer.get(r["size"])
    ratio = f"{r['warm_median_ms'] / p['warm_median_ms']:.2f}x time" if p else "-"
    print(f"{r['engine']:18} {r['size']:>5} {r['cold_ms']:>9.1f} {r['warm_median_ms']:>9.1f} "
          f"{r['warm_min_ms']:>6.1f}-{r['warm_max_ms']:<7.1f} {ratio:>20}")
PY
