#!/usr/bin/env bash
# README command 2: set up what is missing, then run every test:
#   1. native `cargo test` (pure core, graph preparation, wonnx on Vulkan/lavapipe), and the
#      training config's tests (python's unittest, no PyTorch);
#   2. build the app with Trunk, and the embeddable JS module;
#   3. browser tests in headless Chromium (node's test runner + playwright-core).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ATELIER_ROOT"
bash scripts/setup.sh

step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "native tests (cargo test)"
cargo test --locked 2>&1

step "training config tests (python, standard library only)"
python3 -m unittest discover -s training/tests 2>&1

step "build the app (trunk build)"
atelier_with_wasm_env trunk build 2>&1

step "build the JS module (scripts/build-js.sh)"
bash scripts/build-js.sh 2>&1

step "browser tests (headless Chromium)"
node --test --test-concurrency=1 tests/browser/*.test.mjs 2>&1
