#!/usr/bin/env bash
# A training checkpoint as a shipping candidate: exported as a whole package under target/NAME
# (the generator at the shipped working side, the loss network, the style signatures: what
# models/ holds), then measured as visitors get it: evaluate_detail.py at 2048 px on the five
# large photos (the measure a shipping decision rests on; the 8-photo training curve at 256 px
# missed a rise of the-scream from 0.126 to 0.156, docs/training.md) and frame_score.py at the
# package's margin and at the live view's 16 px, each beside the shipped package.
#
#   bash training/candidate.sh CHECKPOINT NAME [--quick]
# --quick: only the export and the frame scores (about a minute).
# Needs the training venv (.venv-train), the release CLI (cargo build --release --bin atelier)
# and ../shared/data.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
checkpoint="$1"; name="$2"; quick="${3:-}"
out="$PWD/target/$name"
py=.venv-train/bin/python
mkdir -p "$out"
# Before the export: export_package.py names the loss network in the manifest where the folder has one.
cp models/loss-network.safetensors "$out/"
$py training/export_package.py --checkpoint "$checkpoint" --out "$out" --working-side 288 2>&1 | tail -n 3
cargo run -q --release --locked --example make_signatures -- "$out" 2>&1 | tail -n 1
for margin in 64 16; do
  echo "frame score at $margin px (lower is better; the interior's floor is about 7):"
  $py training/frame_score.py --package models --package "$out" --margin "$margin" --held-out 8 2>&1 | tail -n 1
done
[ "$quick" = --quick ] && exit 0
# The shipped package in the same run, so the two tables are read side by side (its pictures are
# cached under target/detail-cache after the first run; only the scoring is repeated).
for package in models "$out"; do
  echo "2048 px, $package:"
  $py training/evaluate_detail.py --ways off=--no-detail default= --models "$package"
done
