// What a large picture costs in the browser's CPU engine at each brush size: headless Chromium,
// the JS module (target/atelier-js, scripts/build-js.sh) with the shipped models/, a synthetic
// photo of SIDE px, one fresh page per brush (wasm memory only grows, so its final size is the
// page's peak). Prints wall time of `stylize` and the wasm memory, with ratios to brush 1.
// Usage: node bench/browser/brush.mjs [--side 4096] [--brushes 1,0.5,0.25]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIDE = Number(arg('side', '4096'));
const BRUSHES = arg('brushes', '1,0.5,0.25').split(',').map(Number);

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import init, { Atelier } from '/js/atelier.js';
window.brushRun = async ({ side, brush }) => {
  const wasm = await init();
  const atelier = await Atelier.load('/models/', 'cpu');
  const height = Math.round(side * 2 / 3);
  const canvas = new OffscreenCanvas(side, height);
  const ctx = canvas.getContext('2d');
  for (let i = 0; i < 3000; i++) {
    ctx.fillStyle = 'hsl(' + ((i * 47) % 360) + ' 60% ' + (25 + (i * 13) % 55) + '%)';
    ctx.fillRect((i * 977) % side, (i * 613) % height, 8 + (i * 7) % (side / 12), 8 + (i * 11) % (height / 12));
  }
  const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  const start = performance.now();
  const out = await atelier.stylize(png, atelier.styleIds()[0], side, undefined, undefined, brush);
  const ms = performance.now() - start;
  return { ms, width: out.width, height: out.height, wasmMiB: wasm.memory.buffer.byteLength / 1048576 };
};
document.body.dataset.ready = '1';
</script>`;

const ROUTES = [['/js/', path.join(ROOT, 'target/atelier-js')], ['/models/', path.join(ROOT, 'models')]];
const MIME = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const server = createServer(async (req, res) => {
  const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (pathname === '/brush.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  const route = ROUTES.find(([p]) => pathname.startsWith(p));
  if (!route) return res.writeHead(404).end();
  const file = path.join(route[1], pathname.slice(route[0].length));
  if (!file.startsWith(route[1])) return res.writeHead(403).end();
  try {
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
  } catch { res.writeHead(404).end(); }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const rows = [];
for (const brush of BRUSHES) {
  const browser = await chromium.launch({ executablePath: process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/brush.html`);
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    const r = await page.evaluate((cfg) => window.brushRun(cfg), { side: SIDE, brush });
    rows.push({ brush, ...r });
    console.error(`brush ${brush}: ${r.width}x${r.height} in ${(r.ms / 1000).toFixed(1)} s, wasm memory ${r.wasmMiB.toFixed(0)} MiB`);
  } catch (e) {
    rows.push({ brush, error: String(e.message ?? e).split('\n')[0] });
  } finally {
    await browser.close();
  }
}
server.close();
const base1 = rows.find((r) => r.brush === 1 && !r.error);
console.log(`| brush | output | stylize time | vs brush 1 | wasm memory (peak) |\n| ---: | --- | ---: | ---: | ---: |`);
for (const r of rows) {
  if (r.error) { console.log(`| ${r.brush} | failed: ${r.error} | | | |`); continue; }
  const ratio = base1 ? (r.ms / base1.ms).toFixed(1) + 'x' : '';
  console.log(`| ${r.brush} | ${r.width}x${r.height} | ${(r.ms / 1000).toFixed(1)} s | ${ratio} | ${r.wasmMiB.toFixed(0)} MiB |`);
}
