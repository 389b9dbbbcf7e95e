#!/usr/bin/env bash
# Reading large phone photos: Atelier's reduced decode (src/imaging/large.rs) against reading the
# whole photo with the `image` crate and scaling it after, same files, same machine, same run,
# one process each (so each peak memory is its own). Prints time and peak memory, and the ratios.
# Usage: bash bench/large_photo.sh [MEGAPIXELS...]   (default: 48 108 200)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-48 108 200}
cargo build --release --quiet --example bench_large_photo
bin=./target/release/examples/bench_large_photo
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out="$dir/rows.jsonl"
for mp in $sizes; do
  for ext in jpg png; do
    "$bin" make "$dir/p$mp.$ext" "$mp" >&2
    for way in reduced whole; do
      "$bin" read "$dir/p$mp.$ext" "$way" >>"$out" || echo "{\"file\":\"$dir/p$mp.$ext\",\"way\":\"$way\",\"error\":true}" >>"$out"
    done
  done
done
python3 - "$out" <<'PY'
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(os.path.basename(r["file"]), {})[r["way"]] = r
print(f"{'photo':10} {'read at':>11} {'reduced ms':>10} {'whole ms':>9} {'time ratio':>10} {'reduced MB':>10} {'whole MB':>9} {'memory ratio':>12}")
for name, ways in by.items():
    a, b = ways.get("reduced"), ways.get("whole")
    if not a or not b or "error" in a or "error" in b:
        print(f"{name:10} failed: {ways}")
        continue
    print(f"{name:10} {a['width']:>5}x{a['height']:<5} {a['ms']:>10.0f} {b['ms']:>9.0f} {a['ms'] / b['ms']:>10.2f} {a['peak_mb']:>10.0f} {b['peak_mb']:>9.0f} {a['peak_mb'] / b['peak_mb']:>12.2f}")
PY
