// Browser benchmarks in headless Chromium (Debian's, via playwright-core), run by bench/browser.sh:
//   1. network passes: Atelier's WebGPU engine (wonnx) and CPU engine (wasm) against
//      onnxruntime-web's WebGPU and wasm providers, same float32 generator, same input;
//      cold (fresh browser: module + model load, shader compilation, first pass) and warm
//      (median and spread of REPS further passes), each as a ratio to its peer;
//   2. sizes: wasm/JS bytes raw and gzip of the built app, the JS module and the model package;
//   3. cold-cache load of the app on 127.0.0.1: first contentful paint and time to interactive
//      (engine ready, styles shown), median of 3 fresh browsers.
// Usage: node bench/browser/run.mjs --reps 5 --sizes 256,512,1024 [--engines a,b] [--out file.json]
import { createServer } from 'node:http';
import { readFile, stat, readdir, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const REPS = Number(arg('reps', '5'));
const SIZES = arg('sizes', '256,512,1024').split(',').map(Number);
const ENGINES = arg('engines', 'atelier-webgpu,ort-webgpu,atelier-cpu,ort-wasm').split(',').filter(Boolean);
const OUT = arg('out', path.join(ROOT, 'target/bench/browser.json'));
// wonnx keeps every tensor under 2^24 elements: above this side the app tiles (see pipeline.rs).
const WONNX_MAX_SINGLE_PASS = 724;
const PEER = { 'atelier-webgpu': 'ort-webgpu', 'atelier-webgpu-tiled': 'ort-webgpu', 'atelier-cpu': 'ort-wasm',
  'atelier-app': 'ort-wasm', 'atelier-app-threads': 'ort-wasm-threads' };
const MANIFEST = JSON.parse(await readFile(path.join(ROOT, 'models/manifest.json'), 'utf8'));
const STYLES = MANIFEST.styles.map((s) => s.id);

const ROUTES = [
  ['/app/', path.join(ROOT, 'dist')],
  ['/js/', path.join(ROOT, 'target/atelier-js')],
  ['/ort/', path.join(ROOT, 'bench/browser/node_modules/onnxruntime-web/dist')],
  ['/models/', path.join(ROOT, 'models')],
  ['/bench-data/', path.join(ROOT, 'target/bench')],
  ['/', path.join(ROOT, 'bench/browser')],
];
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };

function serve() {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [prefix, dir] = ROUTES.find(([p]) => pathname.startsWith(p));
    let file = path.join(dir, pathname.slice(prefix.length));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      // Cross-origin isolated, as the app's service worker makes its pages from the second visit
      // on: shared memory for the threaded engines (Atelier's worker_mt, onnxruntime-web's threads).
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(body);
    } catch { res.writeHead(404).end(); }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--enable-unsafe-webgpu'];
const launch = () => chromium.launch({ executablePath: process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function runConfig(base, engine, side) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[${engine} ${side}] ${e.message}`));
    await page.goto(`${base}page.html`);
    await page.waitForSelector('[data-testid=bench-ready]', { state: 'attached' });
    await page.waitForFunction(() => typeof window.benchRun === 'function');
    const r = await page.evaluate((cfg) => window.benchRun(cfg), { engine, side, reps: REPS });
    return { ...r, warmMedianMs: median(r.warm), warmMinMs: Math.min(...r.warm), warmMaxMs: Math.max(...r.warm) };
  } catch (e) {
    return { engine, side, error: String(e.message ?? e).split('\n')[0] };
  } finally {
    await browser.close();
  }
}

/**
 * Atelier's CPU engine as the app runs it, in its inference worker: 'atelier-app-threads' is the
 * threaded worker (the page is isolated), 'atelier-app' the single-threaded one (?atelier-threads=1).
 * The smallest brush makes the network paint the photo at its own size (up to 1152 px), and the
 * photo is sized so that with the app's reflection padding the pass is `side` x `side`: the same
 * work as the peers' (a `side` photo would be padded past 1024 px and tiled). Cold: from choosing the photo to the picture (decode and the
 * first painting); warm: the worker's own time for painting it again in other styles (the app
 * caches a style it has painted), which includes the pipeline around the pass (padding, crop).
 */
/**
 * The photo side whose padded pass is `side` (src/pipeline.rs reflect_pad_amounts, stride 4): the
 * package's trained margin, or where it states none 1/16 of the side, 8 to 40 px.
 */
function photoSideFor(side) {
  for (let p = side; p > 0; p--) {
    const margin = MANIFEST.network.reflect_margin;
    const pad = Math.min(margin ?? Math.min(Math.max(Math.round(p / 16), 8), 40), p - 1);
    const padded = p + 2 * pad;
    if (padded + ((4 - (padded % 4)) % 4) === side) return p;
  }
  throw new Error(`no photo pads to ${side}`);
}

async function runAppConfig(base, engine, side) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[${engine} ${side}] ${e.message}`));
    await page.goto(`${base}app/${engine === 'atelier-app' ? '?atelier-threads=1' : ''}`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 120_000 });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (engine === 'atelier-app-threads' && cores > 1) {
      await page.waitForFunction(() => / \d+ threads$/.test(document.querySelector('[data-testid=engine-badge]').textContent.trim()), null, { timeout: 60_000 });
    }
    const badge = (await page.locator('[data-testid=engine-badge]').textContent()).trim();
    await page.evaluate(() => {
      const slider = document.querySelector('[data-testid=brush-slider]');
      slider.value = '-2';
      slider.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const png = await page.evaluate(async (side) => {
      // (side is the photo's here)
      const rgba = new Uint8ClampedArray(4 * side * side);
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
        const i = 4 * (y * side + x);
        rgba[i] = Math.round((x / side) * 255); rgba[i + 1] = Math.round((y / side) * 255);
        rgba[i + 2] = Math.round((0.5 + 0.5 * Math.sin((x + 2 * y) / 7)) * 255); rgba[i + 3] = 255;
      }
      const canvas = new OffscreenCanvas(side, side);
      canvas.getContext('2d').putImageData(new ImageData(rgba, side, side), 0, 0);
      return Array.from(new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer()));
    }, photoSideFor(side));
    const painted = async () => {
      await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 300_000 });
      const caption = await page.locator('figcaption').first().textContent();
      return Number(/([\d.]+) ms/.exec(caption)?.[1]);
    };
    const t0 = Date.now();
    await page.setInputFiles('[data-testid=image-input]', { name: 'bench.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await painted();
    const coldMs = Date.now() - t0;
    const warm = [];
    for (let r = 0; r < REPS; r++) {
      const job = await page.getAttribute('[data-testid=result-image]', 'data-job');
      await page.click(`[data-testid=style-card-${STYLES[(r + 1) % STYLES.length]}]`);
      await page.waitForFunction((j) => document.querySelector('[data-testid=result-image]').dataset.job !== j, job, { timeout: 300_000 });
      warm.push(await painted());
    }
    return { engine, side, coldMs, warm, info: { badge }, sample: [],
      warmMedianMs: median(warm), warmMinMs: Math.min(...warm), warmMaxMs: Math.max(...warm) };
  } catch (e) {
    return { engine, side, error: String(e.message ?? e).split('\n')[0] };
  } finally {
    await browser.close();
  }
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function bytesOf(dir, filter) {
  const rows = [];
  for (const entry of (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => e.isFile())) {
    const file = path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name));
    if (!filter(file)) continue;
    const body = await readFile(path.join(dir, file));
    rows.push({ file, raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
  }
  return rows.sort((a, b) => a.file.localeCompare(b.file));
}

/** One row per folder (the gallery's thumbnails), summed. */
function collapseFolders(rows) {
  const out = [];
  for (const row of rows) {
    const folder = row.file.includes('/') ? `${row.file.split('/')[0]}/` : null;
    const last = out[out.length - 1];
    if (folder && last?.file.startsWith(folder)) {
      last.raw += row.raw; last.gzip += row.gzip; last.count += 1;
      last.file = `${folder} (${last.count} files)`;
    } else {
      out.push({ ...row, file: folder ? `${folder} (1 file)` : row.file, count: 1 });
    }
  }
  return out.map(({ count, ...row }) => row);
}

async function coldLoad(base) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const t0 = Date.now();
      await page.goto(`${base}app/`);
      await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 120_000 });
      await page.waitForSelector('[data-testid^=style-card-]');
      const tti = await page.evaluate(() => performance.now());
      const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      runs.push({ fcp, tti, wall: Date.now() - t0 });
    } finally {
      await browser.close();
    }
  }
  return { fcpMs: median(runs.map((r) => r.fcp)), ttiMs: median(runs.map((r) => r.tti)), runs };
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}/`;
if (process.argv.includes('--serve')) {
  // Keep serving the benchmark pages, for a look by hand or a profiler.
  console.log(`${base}page.html`);
  await new Promise(() => {});
}
const results = [];
for (const side of SIZES) {
  for (const requested of ENGINES) {
    const engine = requested === 'atelier-webgpu' && side > WONNX_MAX_SINGLE_PASS ? 'atelier-webgpu-tiled' : requested;
    const r = engine.startsWith('atelier-app') ? await runAppConfig(base, engine, side) : await runConfig(base, engine, side);
    results.push(r);
    const line = r.error ? `error: ${r.error}` : `cold ${r.coldMs.toFixed(0)} ms, warm median ${r.warmMedianMs.toFixed(1)} ms (${r.warmMinMs.toFixed(1)}-${r.warmMaxMs.toFixed(1)})`;
    console.error(`${engine.padEnd(22)} ${String(side).padStart(5)}  ${line}`);
  }
}

const sizes = {
  app: await bytesOf(path.join(ROOT, 'dist'), (f) => /\.(wasm|js)$/.test(f)),
  jsModule: await bytesOf(path.join(ROOT, 'target/atelier-js'), (f) => /\.(wasm|js)$/.test(f)),
  // The peer's runtime, for scale: the wasm provider's and the WebGPU (JSEP) build's binaries
  // and the JS the benchmark page loads.
  onnxruntimeWeb: await bytesOf(path.join(ROOT, 'bench/browser/node_modules/onnxruntime-web/dist'),
    (f) => ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.jsep.wasm', 'ort.all.min.mjs'].includes(f)),
  models: collapseFolders(await bytesOf(path.join(ROOT, 'models'), (f) => !f.endsWith('.md'))),
};
const load = await coldLoad(base);
server.close();

const table = [];
table.push('| engine | size | cold ms | warm ms (median) | spread | cold vs peer | warm vs peer | max diff vs ort-wasm |');
table.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  if (r.error) { table.push(`| ${r.engine} | ${r.side} | error: ${r.error} | | | | | |`); continue; }
  const peer = results.find((p) => p.engine === PEER[r.engine] && p.side === r.side && !p.error);
  const ref = results.find((p) => p.engine === 'ort-wasm' && p.side === r.side && !p.error);
  const ratio = (a, b) => (peer ? `${(a / b).toFixed(2)}x` : '-');
  // The tiled pipeline returns 8-bit RGBA, not a tensor: no element-wise comparison.
  const diff = ref && r.sample.length && !r.engine.endsWith('tiled') ? maxDiff(r.sample, ref.sample).toExponential(1) : '-';
  table.push(`| ${r.engine} | ${r.side} | ${r.coldMs.toFixed(0)} | ${r.warmMedianMs.toFixed(1)} | ${r.warmMinMs.toFixed(1)}-${r.warmMaxMs.toFixed(1)} | `
    + `${peer ? ratio(r.coldMs, peer.coldMs) : '-'} | ${peer ? ratio(r.warmMedianMs, peer.warmMedianMs) : '-'} | ${diff} |`);
}
table.push('');
table.push('| bytes | file | raw | gzip |');
table.push('| --- | --- | ---: | ---: |');
for (const [group, rows] of Object.entries(sizes)) for (const row of rows) table.push(`| ${group} | ${row.file} | ${row.raw} | ${row.gzip} |`);
table.push('');
table.push(`Cold-cache app load on 127.0.0.1 (median of 3 fresh browsers): first contentful paint ${load.fcpMs?.toFixed(0)} ms, `
  + `interactive (engine ready, styles shown) ${load.ttiMs.toFixed(0)} ms.`);
console.log(table.join('\n'));
await writeFile(OUT, JSON.stringify({ reps: REPS, results: results.map(({ sample, ...r }) => r), sizes, load }, null, 2));
