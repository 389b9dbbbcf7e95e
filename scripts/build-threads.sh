#!/usr/bin/env bash
# Builds the threaded inference worker into DIR: worker_mt.js and worker_mt_bg.wasm, beside
# Trunk's single-threaded worker.js. static/worker-loader.js runs it where the page is
# cross-origin isolated (shared memory); the CPU engine then paints on a pool of Web Workers
# (src/engine/threads.rs).
#
# Threads need std built with atomics: -Zbuild-std (allowed on a stable compiler by
# RUSTC_BOOTSTRAP=1) from rustup's rust-src component, or from Debian's rust-web-src on the other
# toolchain path (scripts/env.sh). Called by scripts/postbuild.py; ATELIER_THREADS_BUILD=0 skips
# it (quicker rebuilds; the app then paints on one thread everywhere). Exits 0 with a line, not
# an error, where the toolchain cannot build it: the app works without it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ATELIER_ROOT"
out="${1:?usage: scripts/build-threads.sh DIR}"

if [ "${ATELIER_THREADS_BUILD:-1}" = 0 ]; then
  echo "build-threads: ATELIER_THREADS_BUILD=0, no threaded worker"
  exit 0
fi
if [ "$(atelier_wasm_toolchain)" = rustup ] && [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
  echo "build-threads: no rust-src (rustup component add rust-src; scripts/setup.sh does), no threaded worker"
  exit 0
fi

# Shared, imported memory with thread-local storage exported for wasm-bindgen's thread start; at
# most 2 GiB (a 4096 px painting needs under 300 MB; browsers reserve a shared memory's maximum
# up front, and a smaller one starts on more phones).
flags=(
  --cfg=web_sys_unstable_apis -C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals
  -C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=2147483648
  -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size
  -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base
)
target_dir="$ATELIER_ROOT/target/wasm-threads"
log="$target_dir/build.log"
mkdir -p "$target_dir"
# Its log is shown only when it fails: rustc warns on every build that atomics is unstable.
if ! RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${flags[*]}" atelier_with_wasm_env \
  cargo build --quiet --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
  --bin worker --target-dir "$target_dir" >"$log" 2>&1; then
  tail -n 30 "$log"
  echo "build-threads: the threaded worker did not build (above), no threaded worker"
  exit 0
fi
# The global is named apart from the single-threaded build's `wasm_bindgen`: the loader may try
# one and then load the other in the same worker (src/engine/threads.rs names it too).
wasm-bindgen --target no-modules --no-modules-global wasm_bindgen_mt --no-typescript \
  --out-dir "$out" --out-name worker_mt "$target_dir/wasm32-unknown-unknown/release/worker.wasm"
echo "build-threads: worker_mt.js, worker_mt_bg.wasm"
