#!/usr/bin/env python3
"""Trunk post-build hook (Trunk.toml): make the staged build a private, offline-capable PWA.

1. Content-Security-Policy: a <meta> that allows nothing from any other origin. Trunk's one
   inline bootstrap <script> is allowed by its sha256, wasm by 'wasm-unsafe-eval', the inference
   worker (started from a blob: URL by gloo-worker) by worker-src blob:.
2. Service worker: writes sw.js from static/sw.template.js with the list of every file in the
   build and a version derived from their contents, so one cache holds exactly one build and an
   update never mixes old and new files.

0. The threaded inference worker (scripts/build-threads.sh) beside Trunk's; then wasm-opt -O2
   (binaryen from npm, installed by scripts/setup.sh into .tools/binaryen) on each wasm, and the
   integrity hashes in index.html brought up to date: 6-12 % less to download gzipped
   (docs/benchmarks.md). Skipped with a line where the tool is missing or
   ATELIER_WASM_OPT=0 (quicker rebuilds while working on the page).

Runs with TRUNK_STAGING_DIR set (Trunk does that); or give the directory as the argument.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


WASM_OPT = os.path.join(ROOT, ".tools", "binaryen", "node_modules", ".bin", "wasm-opt")
# The features rustc's wasm32 target emits (wasm-opt must accept them, and adds no others).
WASM_FEATURES = ["--enable-simd", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
                 "--enable-mutable-globals", "--enable-multivalue", "--enable-reference-types", "--enable-threads"]


def sri(data):
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def optimise_wasm(staging, html):
    if os.environ.get("ATELIER_WASM_OPT") == "0":
        print("postbuild: ATELIER_WASM_OPT=0, wasm left as built")
        return html
    if not os.path.exists(WASM_OPT):
        print("postbuild: no wasm-opt (bash scripts/setup.sh installs it), wasm left as built")
        return html
    for name in sorted(os.listdir(staging)):
        if not name.endswith(".wasm"):
            continue
        path = os.path.join(staging, name)
        with open(path, "rb") as f:
            before = f.read()
        try:
            done = subprocess.run(["node", WASM_OPT, "-O2", *WASM_FEATURES, path, "-o", path + ".opt"],
                                  capture_output=True, text=True)
            problem = done.stderr.strip()[:300] if done.returncode != 0 else None
        except OSError as e:  # no node to run it with
            problem = str(e)
        if problem is not None:
            print(f"postbuild: wasm-opt failed on {name}, left as built: {problem}")
            if os.path.exists(path + ".opt"):
                os.remove(path + ".opt")
            continue
        os.replace(path + ".opt", path)
        with open(path, "rb") as f:
            after = f.read()
        html = html.replace(sri(before), sri(after))
        print(f"postbuild: wasm-opt -O2 {name}: {len(before)} -> {len(after)} bytes")
    return html


def main():
    staging = sys.argv[1] if len(sys.argv) > 1 else os.environ["TRUNK_STAGING_DIR"]
    index_path = os.path.join(staging, "index.html")
    with open(index_path, encoding="utf-8") as f:
        html = f.read()
    # The threaded worker (worker_mt.*) beside Trunk's: built before wasm-opt runs on every wasm
    # and before the service worker's file list is made. A build without it still works (one thread).
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "build-threads.sh"), staging], check=False)
    html = optimise_wasm(staging, html)

    hashes = []
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    policy = "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'wasm-unsafe-eval' {' '.join(hashes)}".strip(),
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        # yew sets one style attribute (the compare divider); no stylesheet comes from elsewhere.
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'none'",
    ])
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\s*', "", html)
    html = html.replace("<head>", "<head>\n    " + meta, 1)
    with open(index_path, "w", encoding="utf-8") as f:
        f.write(html)

    # The loss network (3.5 MB) and the style signatures (150 KB) are for learning a visitor's
    # painting only: not installed with the app, cached by the service worker when a painting is
    # first learned (ON_DEMAND).
    with open(os.path.join(staging, "models", "manifest.json"), encoding="utf-8") as f:
        network = json.load(f)["network"]
    on_demand = [f"models/{network[key]['file']}" for key in ("loss_network", "style_signatures") if network.get(key)]
    files, digest = [], hashlib.sha256()
    for dirpath, _, names in sorted(os.walk(staging)):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, staging).replace(os.sep, "/")
            if rel in ("sw.js",) or rel.endswith(".md") or rel in on_demand:
                continue
            files.append(rel)
            digest.update(rel.encode())
            with open(path, "rb") as f:
                digest.update(f.read())
    with open(os.path.join(ROOT, "static", "sw.template.js"), encoding="utf-8") as f:
        template = f.read()
    sw = template.replace("__VERSION__", digest.hexdigest()[:16]).replace("__FILES__", json.dumps(["./"] + files)).replace("__ON_DEMAND__", json.dumps(on_demand))
    with open(os.path.join(staging, "sw.js"), "w", encoding="utf-8") as f:
        f.write(sw)
    print(f"postbuild: CSP with {len(hashes)} inline script hash(es); sw.js caches {len(files)} files")


if __name__ == "__main__":
    main()
