#!/usr/bin/env bash
# Lighthouse scores of the built app (mobile profile, simulated throttling), median of RUNS,
# through Debian's Chromium; the static build served gzipped as a static host would.
# Usage: bash bench/lighthouse.sh [RUNS] [OUT_DIR]     e.g. bash bench/lighthouse.sh 3 target/lighthouse
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$ATELIER_ROOT"
runs=${1:-3}
bash scripts/setup.sh >/dev/null
atelier_with_wasm_env trunk build >/dev/null 2>&1
(cd bench/browser && npm ci --no-audit --no-fund >/dev/null 2>&1)
node bench/browser/lighthouse.mjs --runs "$runs" ${2:+--out "$2"}
