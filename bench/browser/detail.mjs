// The detail stage's cost in the browser (issue 35: within ~2x today's 2048 px time): the JS
// module (target/atelier-js, bash scripts/build-js.sh) on its CPU engine in headless Chromium,
// each large photo stylized at 2048 px with the stage (`detail` true, the default) and without
// it, alternating, best of REPS each; prints one JSON line per photo with the ratio.
// Usage: node bench/browser/detail.mjs [--reps 3] [--style starry-night] [--side 2048] PHOTO...
import { readFileSync } from 'node:fs';
import { ROOT, startServer, launchChromium } from '../../tests/browser/harness.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv.splice(i, 2)[1] : fallback;
};
const reps = Number(option('reps', '3'));
const style = option('style', 'starry-night');
const side = Number(option('side', '2048'));
const photos = argv;

const server = await startServer(ROOT);
const browser = await launchChromium({ webgpu: false });
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}models/manifest.json`);
  await page.evaluate(async () => {
    const module = await import('/target/atelier-js/atelier.js');
    await module.default();
    window.engine = await module.Atelier.load('/models/', 'cpu');
  });
  for (const photo of photos) {
    const result = await page.evaluate(async ({ bytes, style, side, reps }) => {
      const data = new Uint8Array(bytes);
      const best = { without: Infinity, with: Infinity };
      let size = '';
      for (let i = 0; i < reps; i++) {
        for (const [key, detail] of [['without', false], ['with', true]]) {
          const start = performance.now();
          const out = await window.engine.stylize(data, style, side, undefined, undefined, undefined, undefined, undefined, detail);
          best[key] = Math.min(best[key], performance.now() - start);
          size = `${out.width}x${out.height}`;
        }
      }
      return { size, without_ms: Math.round(best.without), with_ms: Math.round(best.with), ratio: +(best.with / best.without).toFixed(2) };
    }, { bytes: Array.from(readFileSync(photo)), style, side, reps });
    console.log(JSON.stringify({ photo, ...result }));
  }
} finally {
  await browser.close();
  await server.close();
}
