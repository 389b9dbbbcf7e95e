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
# This VM's speed drifts by 10-25 % over minutes (same binary, same input), more than the gap
# being measured. So the two sides alternate in ROUNDS rounds (default 3), each round timing
# Atelier then onnxruntime back to back; the ratio is taken per round, and its median and range
# over the rounds are what count.
rounds=${ROUNDS:-3}
out=$(mktemp)
for round in $(seq "$rounds"); do
  ./target/release/examples/bench_native --reps "$reps" --engines cpu $sizes | sed "s/^{/{\"round\":$round,/" >>"$out"
  .venv/bin/python bench/ort_native.py models "$reps" $sizes | sed "s/^{/{\"round\":$round,/" >>"$out"
done
# The GPU engine (where an adapter exists) once, after the rounds.
./target/release/examples/bench_native --reps "$reps" --engines gpu $sizes | sed 's/^{/{"round":1,/' >>"$out" || true
.venv/bin/python - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
peer = {(r["round"], r["size"]): r for r in rows if r["engine"] == "onnxruntime-cpu" and "error" not in r}
print(f"{'round':>5} {'engine':18} {'size':>5} {'cold ms':>9} {'warm ms':>9} {'spread':>15} {'warm vs onnxruntime':>20}")
ratios = {}
for r in rows:
    if "error" in r:
        print(f"{r['round']:>5} {r['engine']:18} {r['size']:>5} error: {r['error']}"); continue
    p = peer.get((r["round"], r["size"]))
    ratio = r["warm_median_ms"] / p["warm_median_ms"] if p else None
    if ratio is not None and r["engine"] != "onnxruntime-cpu":
        ratios.setdefault((r["engine"], r["size"]), []).append(ratio)
    shown = f"{ratio:.2f}x time" if ratio is not None else "-"
    print(f"{r['round']:>5} {r['engine']:18} {r['size']:>5} {r['cold_ms']:>9.1f} {r['warm_median_ms']:>9.1f} "
          f"{r['warm_min_ms']:>6.1f}-{r['warm_max_ms']:<7.1f} {shown:>20}")
print()
print("warm time vs onnxruntime, per round (median, range):")
for (engine, size), rs in ratios.items():
    print(f"  {engine:6} {size:>5}: {statistics.median(rs):.2f}x  ({min(rs):.2f}-{max(rs):.2f} over {len(rs)} round(s))")
PY
