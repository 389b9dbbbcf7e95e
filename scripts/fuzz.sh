#!/usr/bin/env bash
# Mutation fuzzing of photo decoding, manifest parsing and generator loading for a set time
# (examples/fuzz_inputs.rs). Not part of the test command. Findings go to target/fuzz/.
# Usage: bash scripts/fuzz.sh [SECONDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release --example fuzz_inputs -- --seconds "${1:-600}" --seed "${2:-1592880865}" --out target/fuzz
