// Learning a painting in the page (issue 33): how long until the first stage is on screen (the
// style card there and the photo painted with it) and until learning is done, on the CPU path
// with threads (the second visit, cross-origin isolated by the service worker) and on one
// thread. Headless Chromium; the app as built in dist/ (trunk build).
// Usage: node bench/browser/learn.mjs PAINTING [PHOTO_SAMPLE] [OUT_DIR]
//   e.g. node bench/browser/learn.mjs ../shared/data/paintings-extra/dph_08.jpg fig target/bench/learn
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchChromium, watchPage, untilServiceWorkerCached } from '../../tests/browser/harness.mjs';

const [paintingPath, sample = 'fig', outDir = 'target/bench/learn'] = process.argv.slice(2);
if (!paintingPath) {
  console.error('usage: node bench/browser/learn.mjs PAINTING [SAMPLE] [OUT_DIR]');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const painting = fs.readFileSync(paintingPath);
const server = await startServer();
const browser = await launchChromium({ webgpu: false });

async function run(label, query) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url + query);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 120_000 });
  if (label === 'threads') {
    await untilServiceWorkerCached(page);
    await page.reload();
    await page.waitForFunction(() => /threads/.test(document.querySelector('[data-testid=engine-badge]')?.textContent ?? ''), null, { timeout: 120_000 });
  }
  const badge = (await page.textContent('[data-testid=engine-badge]')).trim();
  await page.click(`[data-testid=sample-${sample}]`);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 180_000 });
  const shippedJob = await page.getAttribute('[data-testid=result-image]', 'data-job');
  const start = Date.now();
  await page.setInputFiles('[data-testid=own-painting-input]', { name: path.basename(paintingPath), mimeType: 'image/jpeg', buffer: painting });
  await page.waitForSelector('[data-testid^="style-card-own-"]', { timeout: 300_000 });
  const cardMs = Date.now() - start;
  console.log(`${label}: first style card at ${(cardMs / 1000).toFixed(1)} s`);
  await page.waitForFunction((job) => {
    const c = document.querySelector('[data-testid=result-image]');
    return c.dataset.state === 'ready' && c.dataset.job !== job;
  }, shippedJob, { timeout: 300_000 });
  const firstOnScreenMs = Date.now() - start;
  console.log(`${label}: first stage on screen at ${(firstOnScreenMs / 1000).toFixed(1)} s`);
  await page.screenshot({ path: path.join(outDir, `${label}-first.png`) });
  await page.waitForSelector('[data-testid=own-note]', { timeout: 600_000 });
  const learnedMs = Date.now() - start;
  console.log(`${label}: learning done at ${(learnedMs / 1000).toFixed(1)} s`);
  // The finished style's painting: no painting under way, the picture ready.
  // (The cancel button stays in the page, in a row hidden while nothing paints.)
  await page.waitForFunction(() => {
    const cancel = document.querySelector('[data-testid=cancel-button]');
    return (!cancel || cancel.closest('[hidden]')) && document.querySelector('[data-testid=result-image]')?.dataset.state === 'ready';
  }, null, { timeout: 300_000 });
  const paintedMs = Date.now() - start;
  await page.screenshot({ path: path.join(outDir, `${label}-learned.png`) });
  const png = await page.evaluate(() => document.querySelector('[data-testid=result-image]').toDataURL('image/png'));
  fs.writeFileSync(path.join(outDir, `${label}-result.png`), Buffer.from(png.split(',')[1], 'base64'));
  console.log(`${label} (${badge}): first style card ${(cardMs / 1000).toFixed(1)} s, first stage painted on screen ${(firstOnScreenMs / 1000).toFixed(1)} s, learning done ${(learnedMs / 1000).toFixed(1)} s, its painting on screen ${(paintedMs / 1000).toFixed(1)} s`);
  await context.close();
}

try {
  await run('threads', '');
  await run('one-thread', '?atelier-threads=1');
} finally {
  await browser.close();
  await server.close();
}
