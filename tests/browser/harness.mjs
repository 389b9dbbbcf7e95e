// Shared pieces of the browser tests: a static server for dist/ that logs every request, and
// Debian's Chromium launched headless with the flags this environment needs.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json',
  '.onnx': 'application/octet-stream', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json',
};

/** Serve `root` on 127.0.0.1 (a free port); `requests` lists every path asked for. */
export async function startServer(root = DIST) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

// Flags for Chromium on these machines: no sandbox as root, and no background traffic to
// Google's hosts (refused here). --enable-unsafe-webgpu turns WebGPU on (SwiftShader) headless.
const BASE_ARGS = [
  '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic',
];

/** `args`: more flags (the live view's tests give Chromium a fake camera). */
export async function launchChromium({ webgpu, args = [] }) {
  return chromium.launch({
    executablePath: process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...BASE_ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...args],
  });
}

/** Chromium's fake camera, allowed without asking; `clip`: a .y4m file it plays in a loop
 * (without one, Chromium's own moving test pattern); `cameras`: how many it has. */
export function fakeCameraArgs(clip, cameras = 1) {
  const fake = cameras > 1 ? `--use-fake-device-for-media-stream=device-count=${cameras}` : '--use-fake-device-for-media-stream';
  const args = ['--use-fake-ui-for-media-stream', fake];
  return clip ? [...args, `--use-file-for-fake-video-capture=${clip}`] : args;
}

/** Forward the page's console errors and crashes to the test log: they explain failures. */
export function watchPage(page) {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`[page ${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
}

/** Wait until the service worker is active and has cached the build (at most 20 s). */
export async function untilServiceWorkerCached(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    for (let i = 0; i < 200 && !(await caches.keys()).some((k) => k.startsWith('atelier-')); i++) await new Promise((r) => setTimeout(r, 100));
  });
}

/** The result canvas's pixels as {width, height, rgba}. */
export async function resultPixels(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid=result-image]');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    return { width: canvas.width, height: canvas.height, rgba: Array.from(data) };
  });
}

/** The served model package's manifest. */
export function servedManifest() {
  return JSON.parse(readFileSync(path.join(ROOT, 'models/manifest.json'), 'utf8'));
}

/**
 * onnxruntime's 8-bit RGB output for the served package, a style and a PNG, through the same
 * reflection padding as Atelier's pipeline (tests/reference/ort_reference.py --pad).
 */
export function onnxruntimeReference(styleId, imagePath) {
  const python = path.join(ROOT, '.venv/bin/python');
  const args = [path.join(ROOT, 'tests/reference/ort_reference.py'), path.join(ROOT, 'models'), imagePath, '--style', styleId, '--pad'];
  const run = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (run.status !== 0) throw new Error(`onnxruntime reference failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Compare the result canvas with a reference; returns {max, mean} in 8-bit levels. */
export function compareRgb(got, want) {
  if (got.width !== want.width || got.height !== want.height) {
    throw new Error(`size ${got.width}x${got.height}, reference ${want.width}x${want.height}`);
  }
  let max = 0, sum = 0;
  for (let i = 0, j = 0; i < want.rgb.length; i += 3, j += 4) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(got.rgba[j + c] - want.rgb[i + c]);
      max = Math.max(max, d); sum += d;
    }
  }
  return { max, mean: sum / want.rgb.length };
}

/** A new page of `browser` at `url` with the engine ready (the package loaded). */
export async function openStudio(browser, url, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport });
  watchPage(page);
  await page.goto(url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  return page;
}

/** The bytes of a `width` x `height` photo drawn in `page`: a linear gradient from `from` to `to`
 * along the diagonal (or left to right where `across`), encoded as `type` (PNG or JPEG). */
export async function gradientPhoto(page, { width, height, from, to, across = false, type = 'image/png' }) {
  const bytes = await page.evaluate(async ({ width, height, from, to, across, type }) => {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    const gradient = ctx.createLinearGradient(0, 0, width, across ? 0 : height);
    gradient.addColorStop(0, from); gradient.addColorStop(1, to);
    ctx.fillStyle = gradient; ctx.fillRect(0, 0, width, height);
    const blob = await canvas.convertToBlob({ type, quality: 0.9 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  }, { width, height, from, to, across, type });
  return Buffer.from(bytes);
}
