# shellcheck shell=bash
# Sourced by the other scripts: picks the wasm32 toolchain and exports what Trunk's cargo needs.
#
# Two ways to build wasm32-unknown-unknown:
#   rustup: the target's prebuilt std (`rustup target add wasm32-unknown-unknown`), where rustup
#           can download it;
#   debian: Debian's rustc-web/cargo-web (which can target wasm32) building std from
#           rust-web-src (-Zbuild-std, allowed on a stable compiler by RUSTC_BOOTSTRAP=1) and
#           linking with LLVM's wasm-ld-19; for machines where rustup cannot download.
# scripts/setup.sh decides and records the choice in .tools/wasm-toolchain;
# ATELIER_WASM_TOOLCHAIN=rustup|debian overrides it.

ATELIER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ATELIER_ROOT
export PATH="$HOME/.cargo/bin:$PATH"

atelier_wasm_toolchain() {
  if [ -n "${ATELIER_WASM_TOOLCHAIN:-}" ]; then
    echo "$ATELIER_WASM_TOOLCHAIN"
  elif [ -f "$ATELIER_ROOT/.tools/wasm-toolchain" ]; then
    cat "$ATELIER_ROOT/.tools/wasm-toolchain"
  else
    echo rustup
  fi
}

# Run a command (trunk, cargo) with the environment for building wasm32.
atelier_with_wasm_env() {
  if [ "$(atelier_wasm_toolchain)" = debian ]; then
    PATH="/usr/bin:$PATH" \
      RUSTC_BOOTSTRAP=1 \
      CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
      "$@"
  else
    "$@"
  fi
}
