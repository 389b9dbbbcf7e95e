#!/usr/bin/env bash
# Issue 33's targets as a visitor meets them: `atelier learn` with its defaults (20 s in all, the
# first guess included) on each painting held out of every training run, the style files' rows
# scored by training/evaluate_learned.py (style ratio at a 256 px view over 8 held-out photos,
# content distance). Prints each painting's time and steps; the evaluation prints the table.
#
#   bash bench/learn_cli.sh [OUT_DIR] [MODELS_DIR] [extra `atelier learn` arguments...]
# MODELS_DIR defaults to models/. To measure without the style signatures (the first guess then
# paints every candidate), give a copy of models/ whose manifest names none. PAINTINGS_DIR (default
# ../shared/data/paintings-extra) learns other copies of the same paintings (for example the
# 256 px JPEGs the page keeps to learn them again); the evaluation still scores against the
# originals.
# Needs the training venv (.venv-train) and ../shared/data.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-target/learn-cli}"; models="${2:-models}"; shift $(( $# > 2 ? 2 : $# ))
data=../shared/data
paintings="${PAINTINGS_DIR:-$data/paintings-extra}"
held_out=(van_gogh_self_portrait_1887 juan_gris_portrait_of_picasso_1912 dph_08 dph_24 red_chalk_woman_in_peasant_dress the_reservoir_at_poitiers)
cargo build --release --bin atelier >/dev/null 2>&1
mkdir -p "$out/styles" "$out/rows"
for name in "${held_out[@]}"; do
  start=$(date +%s.%N)
  ./target/release/atelier learn --models "$models" "$paintings/$name.jpg" "$out/styles/$name.style" "$@"
  printf '%s: %.1f s\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
done
# A style file's row (base64 float32) as NAME.f32, what the evaluation reads.
python3 - "$out" <<'PY'
import base64, json, pathlib, sys
out = pathlib.Path(sys.argv[1])
for f in sorted((out / "styles").glob("*.style")):
    (out / "rows" / (f.stem + ".f32")).write_bytes(base64.b64decode(json.loads(f.read_text())["params"]))
PY
.venv-train/bin/python training/evaluate_learned.py --learned "$out/rows" --package "$models" --no-baselines
