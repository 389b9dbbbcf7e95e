#!/usr/bin/env bash
# The detail stage's cost (issue 35: within ~2x today's 2048 px time): `atelier stylize` at
# 2048 px on the CPU engine, each large photo painted with the package's refiner and without it
# (`--no-detail`) in turn, best of three each; prints both times and their ratio per photo.
#
#   bash bench/detail.sh [MODELS_DIR] [STYLE]
# MODELS_DIR must name a refiner in its manifest (training/refine.py --export). Needs
# ../shared/data/highres. Run it on an idle machine: it measures wall time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
models="${1:-models}"; style="${2:-starry-night}"
grep -q '"refiner"' "$models/manifest.json" || { echo "$models names no refiner" >&2; exit 2; }
cargo build --release --bin atelier >/dev/null 2>&1
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
best() {  # best of three wall times (s) of: atelier stylize PHOTO ... EXTRA
  local photo=$1; shift
  for _ in 1 2 3; do
    local t0; t0=$(date +%s.%N)
    ./target/release/atelier --models "$models" stylize "$photo" "$out/p.png" --style "$style" --engine cpu --max-side 2048 "$@" 2>/dev/null
    echo "$(date +%s.%N) - $t0" | bc
  done | sort -n | head -1
}
printf '%-12s %10s %10s %7s\n' photo "without" "with" ratio
for photo in ../shared/data/highres/*.jpg; do
  without=$(best "$photo" --no-detail); with=$(best "$photo")
  printf '%-12s %9.2fs %9.2fs %6.2fx\n' "$(basename "$photo" .jpg)" "$without" "$with" "$(echo "$with / $without" | bc -l)"
done
