// Lighthouse on the built app (dist/), mobile profile with simulated throttling (Lighthouse's
// default), through Debian's Chromium. Served the way a static host serves it: gzip where the
// browser accepts it, no other headers. Prints each run's scores and the median.
// Usage: node bench/browser/lighthouse.mjs [--runs 3] [--out DIR]   (bash bench/lighthouse.sh)
import { createServer } from 'node:http';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(option('--runs', 3));
const out = option('--out', null);

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.onnx': 'application/octet-stream', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json', '.f32': 'application/octet-stream',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.wasm', '.json', '.svg', '.webmanifest', '.onnx', '.f32']);

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  let file = path.join(DIST, decodeURIComponent(url.pathname));
  if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
  try {
    if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
    let body = await readFile(file);
    const headers = { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' };
    if (COMPRESSIBLE.has(path.extname(file)) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      body = gzipSync(body, { level: 9 });
      headers['content-encoding'] = 'gzip';
    }
    res.writeHead(200, headers).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index', 'interactive'];
const results = [];
for (let run = 1; run <= runs; run++) {
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port, output: 'json', logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices'],
    });
    const lhr = result.lhr;
    const row = {
      performance: lhr.categories.performance.score, accessibility: lhr.categories.accessibility.score,
      'best-practices': lhr.categories['best-practices'].score,
    };
    for (const m of METRICS) row[m] = lhr.audits[m]?.numericValue;
    results.push(row);
    console.log(`run ${run}: performance ${row.performance} accessibility ${row.accessibility} best-practices ${row['best-practices']} | ` +
      `FCP ${row['first-contentful-paint'].toFixed(0)} ms, LCP ${row['largest-contentful-paint'].toFixed(0)} ms, ` +
      `TBT ${row['total-blocking-time'].toFixed(0)} ms, CLS ${row['cumulative-layout-shift'].toFixed(3)}, TTI ${row.interactive.toFixed(0)} ms`);
    if (out) {
      await mkdir(out, { recursive: true });
      await writeFile(path.join(out, `lighthouse-${run}.json`), result.report);
      // What lost points, for the next person: every scored audit under 1.
      const failing = Object.values(lhr.audits).filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative');
      console.log(`  below full marks: ${failing.map((a) => `${a.id} (${a.score})`).join(', ') || 'none'}`);
    }
  } finally {
    await chrome.kill();
  }
}
const median = (k) => { const v = results.map((r) => r[k]).sort((a, b) => a - b); return v[v.length >> 1]; };
console.log(`median of ${runs}: performance ${median('performance')}, accessibility ${median('accessibility')}, ` +
  `best-practices ${median('best-practices')}, LCP ${median('largest-contentful-paint').toFixed(0)} ms, TBT ${median('total-blocking-time').toFixed(0)} ms`);
server.close();
