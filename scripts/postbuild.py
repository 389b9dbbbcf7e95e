#!/usr/bin/env python3
"""Trunk post-build hook (Trunk.toml): make the staged build a private, offline-capable PWA.

1. Content-Security-Policy: a <meta> that allows nothing from any other origin. Trunk's one
   inline bootstrap <script> is allowed by its sha256, wasm by 'wasm-unsafe-eval', the inference
   worker (started from a blob: URL by gloo-worker) by worker-src blob:.
2. Service worker: writes sw.js from static/sw.template.js with the list of every file in the
   build and a version derived from their contents, so one cache holds exactly one build and an
   update never mixes old and new files.

Runs with TRUNK_STAGING_DIR set (Trunk does that); or give the directory as the argument.
"""
import base64
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    staging = sys.argv[1] if len(sys.argv) > 1 else os.environ["TRUNK_STAGING_DIR"]
    index_path = os.path.join(staging, "index.html")
    with open(index_path, encoding="utf-8") as f:
        html = f.read()

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

    files, digest = [], hashlib.sha256()
    for dirpath, _, names in sorted(os.walk(staging)):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, staging).replace(os.sep, "/")
            if rel in ("sw.js",) or rel.endswith(".md"):
                continue
            files.append(rel)
            digest.update(rel.encode())
            with open(path, "rb") as f:
                digest.update(f.read())
    with open(os.path.join(ROOT, "static", "sw.template.js"), encoding="utf-8") as f:
        template = f.read()
    sw = template.replace("__VERSION__", digest.hexdigest()[:16]).replace("__FILES__", json.dumps(["./"] + files))
    with open(os.path.join(staging, "sw.js"), "w", encoding="utf-8") as f:
        f.write(sw)
    print(f"postbuild: CSP with {len(hashes)} inline script hash(es); sw.js caches {len(files)} files")


if __name__ == "__main__":
    main()
