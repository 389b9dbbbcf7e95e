// How soon a visitor sees a large painting (issue 35's detail stage costs about twice the
// painting's time): the app (dist/, `trunk build`) on its CPU engine in headless Chromium, each
// photo painted at 2048 px; for each style in turn, the time from the click on its card to the
// preview on show (the painting before its detail stage) and to the finished painting. Prints one
// JSON line per photo and style, and the medians.
// Usage: node bench/browser/preview.mjs [--styles starry-night,the-scream,udnie] PHOTO...
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchChromium, openStudio } from '../../tests/browser/harness.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv.splice(i, 2)[1] : fallback;
};
const styles = option('styles', 'starry-night,the-scream,udnie').split(',');
const photos = argv;

/** Watch the result canvas: the times (ms from now) it became a preview and ready. */
const watch = (page) => page.evaluate(() => {
  const start = performance.now();
  const canvas = document.querySelector('[data-testid=result-image]');
  const job = canvas.dataset.job;
  window.times = {};
  window.watcher?.disconnect();
  window.watcher = new MutationObserver(() => {
    if (canvas.dataset.job === job && !window.times.preview) return;
    window.times[canvas.dataset.state] ??= performance.now() - start;
  });
  window.watcher.observe(canvas, { attributes: true });
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const browser = await launchChromium({ webgpu: false });
const rows = [];
try {
  const page = await openStudio(browser, server.url);
  await page.selectOption('[data-testid=size-select]', '2048');
  for (const photo of photos) {
    // The photo read and painted once first, so each style's time is painting only.
    await page.setInputFiles('[data-testid=image-input]', { name: path.basename(photo), mimeType: 'image/jpeg', buffer: readFileSync(photo) });
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 300_000 });
    for (const style of styles) {
      await watch(page);
      await page.click(`[data-testid=style-card-${style}]`);
      await page.waitForFunction(() => window.times.ready, null, { timeout: 300_000 });
      const times = await page.evaluate(() => window.times);
      if (!times.preview) {
        // The style the photo was first painted in: sent again from the worker's cache.
        console.log(JSON.stringify({ photo: path.basename(photo), style, cached: true, ready_ms: Math.round(times.ready) }));
        continue;
      }
      const row = { photo: path.basename(photo), style, preview_ms: Math.round(times.preview), ready_ms: Math.round(times.ready) };
      row.ready_over_preview = +(row.ready_ms / row.preview_ms).toFixed(2);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  console.log(JSON.stringify({
    median_preview_ms: median(rows.map((r) => r.preview_ms)),
    median_ready_ms: median(rows.map((r) => r.ready_ms)),
    median_ready_over_preview: median(rows.map((r) => r.ready_over_preview)),
  }));
} finally {
  await browser.close();
  await server.close();
}
