#!/usr/bin/env bash
# Browser benchmark (see bench/browser/run.mjs): Atelier vs onnxruntime-web in headless Chromium,
# same generator, same input, same run; plus bytes and cold-cache load times of the app.
# Usage: bash bench/browser.sh [REPS] [SIZES]      e.g. bash bench/browser.sh 5 256,512,1024
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$ATELIER_ROOT"
reps=${1:-5}
sizes=${2:-256,512,1024}
bash scripts/setup.sh >/dev/null
atelier_with_wasm_env trunk build >/dev/null 2>&1
bash scripts/build-js.sh >/dev/null 2>&1
.venv/bin/python bench/export_f32.py models target/bench/generator-f32.onnx
(cd bench/browser && npm ci --no-audit --no-fund >/dev/null 2>&1)
node bench/browser/run.mjs --reps "$reps" --sizes "$sizes" ${ATELIER_BENCH_ENGINES:+--engines "$ATELIER_BENCH_ENGINES"}
