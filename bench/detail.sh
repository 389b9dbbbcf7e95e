#!/usr/bin/env bash
# The detail stage's cost (issue 35: within ~2x today's 2048 px time): `Studio::paint` at 2048 px
# on the CPU engine, each large photo painted with the stage (the package's refiner if it names
# one, else re-painting at half the brush) and without it in turn, best of three each; prints
# both times and their ratio per photo (examples/bench_detail.rs; decoding and encoding left out).
#
#   bash bench/detail.sh [MODELS_DIR] [STYLE]
# Needs ../shared/data/highres. Run it on an idle machine: it measures wall time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
models="${1:-models}"; style="${2:-starry-night}"
cargo run --release --quiet --example bench_detail -- --models "$models" --style "$style" --reps 3 ../shared/data/highres/*.jpg
