#!/usr/bin/env bash
# README command 1: set up what is missing, build the app and serve it on http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ATELIER_ROOT"
bash scripts/setup.sh --app
exec bash -c 'source scripts/env.sh; atelier_with_wasm_env trunk serve "$@"' serve "$@"
