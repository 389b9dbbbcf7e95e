#!/usr/bin/env bash
# Installs everything Atelier's two commands need, skipping what is already there.
# Idempotent: a second run only checks versions (a few seconds).
#   --app    only what serving the app needs (wasm toolchain, Trunk, wasm-bindgen-cli)
#   (none)   also the test tools: Chromium, lavapipe, playwright-core, onnxruntime
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ATELIER_ROOT"
mkdir -p .tools

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130 # keep equal to the wasm-bindgen pin in Cargo.toml
want_tests=1
[ "${1:-}" = "--app" ] && want_tests=0

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  if [ $apt_updated -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. A wasm32 toolchain: rustup's target where it can be downloaded, else Debian's rustc-web.
if [ -n "${ATELIER_WASM_TOOLCHAIN:-}" ]; then
  toolchain="$ATELIER_WASM_TOOLCHAIN"
elif rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  toolchain=rustup
elif timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  toolchain=rustup
else
  toolchain=debian
fi
if [ "$toolchain" = debian ]; then
  apt_install rustc-web cargo-web rust-web-src lld-19
fi
echo "$toolchain" > .tools/wasm-toolchain
say "wasm32 toolchain: $toolchain"
# The threaded worker (scripts/build-threads.sh) builds std with atomics: rustup's rust-src (on
# the Debian path rust-web-src, above). Without it the app is built single-threaded, still whole.
if [ "$toolchain" = rustup ] && [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
  timeout 180 rustup component add rust-src >/dev/null 2>&1 || say "no rust-src: the app builds without its threaded worker"
fi

# 2. Trunk and the wasm-bindgen CLI, at the pinned versions (built from crates.io).
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "cargo install trunk $TRUNK_VERSION (about 6 minutes on 2 cores)"
  cargo install --locked --quiet trunk --version "$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes on 2 cores)"
  # Not --locked: its lock file pins crates that no longer build with current rustc.
  cargo install --quiet --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 3. wasm-opt (binaryen, npm's build: Debian's is older than the wasm rustc emits), which
#    scripts/postbuild.py runs on the app's wasm.
BINARYEN_VERSION=132.0.0
command -v node >/dev/null 2>&1 || apt_install nodejs npm
if [ "$(node .tools/binaryen/node_modules/.bin/wasm-opt --version 2>/dev/null)" != "wasm-opt version ${BINARYEN_VERSION%%.*} (version_${BINARYEN_VERSION%%.*})" ]; then
  say "npm install binaryen $BINARYEN_VERSION (wasm-opt)"
  mkdir -p .tools/binaryen
  npm install --silent --no-audit --no-fund --prefix .tools/binaryen "binaryen@$BINARYEN_VERSION"
fi

[ $want_tests -eq 1 ] || exit 0

# 4. Test tools: Chromium for browser tests, lavapipe (Vulkan on the CPU) for native GPU tests,
#    Python with onnxruntime as the independent reference.
# fonts-noto-cjk: the Chinese page renders in screenshots (without it every CJK glyph is a box).
apt_install chromium mesa-vulkan-drivers libvulkan1 fonts-noto-cjk
python3 -c "import venv, ensurepip" 2>/dev/null || apt_install python3-venv
if ! .venv/bin/python -c "import onnx, onnxruntime, numpy, PIL" 2>/dev/null; then
  say "python venv with onnxruntime (tests/reference/requirements.txt)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/reference/requirements.txt
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules ]; then
  say "npm ci (playwright-core; Chromium itself comes from Debian)"
  (cd tests/browser && npm ci --silent --no-audit --no-fund && touch node_modules)
fi
say "ready"
