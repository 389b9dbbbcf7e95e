#!/usr/bin/env bash
# Build the embeddable JS module (src/web/js_api.rs) into target/atelier-js/:
#   atelier.js (ES module), atelier_bg.wasm, atelier.d.ts.
# Same toolchain and pinned wasm-bindgen as the app (scripts/setup.sh installs them).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ATELIER_ROOT"
atelier_with_wasm_env cargo build --release --locked --target wasm32-unknown-unknown --bin atelier_js --features js-api
wasm-bindgen --target web --out-dir target/atelier-js --out-name atelier \
  target/wasm32-unknown-unknown/release/atelier_js.wasm
