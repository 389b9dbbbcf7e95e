#!/usr/bin/env bash
# Issue 33's measurement: learn each painting held out of training (the campaign's configs name
# them) with the Rust learner (examples/learn_trial.rs: first guess, then STEPS steps of Adam on
# gamma/beta), then score the first guess and the learned style with the campaign's metric
# (training/evaluate_learned.py: style ratio at a 256 px view on held-out photos, content
# distance) beside the best shipped style and the mean of the shipped rows.
#
#   bash bench/learn_paintings.sh [STEPS] [OUT_DIR] [extra learn_trial arguments...]
# Needs the training venv (.venv-train) and ../shared/data. EVAL_ARGS=--no-baselines skips the
# shipped styles' columns (the slow part: 14 rows scored per painting).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps="${1:-100}"; out="${2:-target/learn-bench}"; shift $(( $# > 2 ? 2 : $# ))
data=../shared/data
held_out=(van_gogh_self_portrait_1887 juan_gris_portrait_of_picasso_1912 dph_08 dph_24 red_chalk_woman_in_peasant_dress the_reservoir_at_poitiers)
photo="$data/content/bsds500/test_100099.jpg"
cargo build --release --example learn_trial >/dev/null 2>&1
mkdir -p "$out"
for name in "${held_out[@]}"; do
  echo "== $name"
  ./target/release/examples/learn_trial "$data/paintings-extra/$name.jpg" "$photo" "$out" --steps "$steps" "$@" | grep -E "first guess|mean of|steps in"
done
.venv-train/bin/python training/evaluate_learned.py --learned "$out/first" "$out/learned" ${EVAL_ARGS:-}
