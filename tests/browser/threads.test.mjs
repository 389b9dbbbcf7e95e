// Threads in the browser: once the service worker controls the page it serves every file with
// COOP/COEP, the page is cross-origin isolated, static/worker-loader.js starts the threaded worker
// and the CPU engine paints on a pool of Web Workers. Its picture must be the single-threaded
// one's to the bit (bands of rows compute every value as one pass does), and the badge says how
// many threads run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchChromium, watchPage, resultPixels, untilServiceWorkerCached } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

/** A 320x240 PNG with edges and gradients (large enough that the network's convolutions split into bands). */
async function makePhoto(page) {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(320, 240);
    const ctx = canvas.getContext('2d');
    const sky = ctx.createLinearGradient(0, 0, 320, 240);
    sky.addColorStop(0, '#2a6fdb'); sky.addColorStop(1, '#f3c623');
    ctx.fillStyle = sky; ctx.fillRect(0, 0, 320, 240);
    ctx.fillStyle = '#1d3b2a'; ctx.beginPath(); ctx.arc(110, 170, 70, 0, Math.PI * 2); ctx.fill();
    ctx.fillStyle = '#c0392b'; ctx.fillRect(200, 60, 80, 120);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return { name: 'shapes.png', mimeType: 'image/png', buffer: Buffer.from(bytes) };
}

async function paint(page, photo) {
  await page.setInputFiles('[data-testid=image-input]', photo);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 180_000 });
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  return resultPixels(page);
}

test('an isolated page paints on several threads, bit for bit as on one', { timeout: 420_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  // A first visit is not isolated: the service worker does not control it yet.
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
  assert.equal((await page.locator('[data-testid=engine-badge]').textContent()).trim(), 'CPU');
  await untilServiceWorkerCached(page);
  const photo = await makePhoto(page);

  await page.reload();
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'the service worker made the page cross-origin isolated');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const expected = Math.min(cores, 8);
  const badge = page.locator('[data-testid=engine-badge]');
  if (expected > 1) {
    // Right after the reload the app may not have drawn the badge yet: wait for it, not fail.
    await page.waitForFunction((n) => document.querySelector('[data-testid=engine-badge]')?.textContent.trim() === `CPU, ${n} threads`, expected, { timeout: 90_000 });
  }
  const threaded = await paint(page, photo);
  assert.equal(threaded.width, 320);

  // The same context (isolated too), asked for one thread: the same picture.
  const single = await context.newPage();
  watchPage(single);
  await single.goto(`${server.url}?atelier-threads=1`);
  await single.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  assert.equal(await single.evaluate(() => self.crossOriginIsolated), true);
  assert.equal((await single.locator('[data-testid=engine-badge]').textContent()).trim(), 'CPU');
  const oneThread = await paint(single, photo);
  assert.equal(oneThread.width, threaded.width);
  let differing = 0;
  for (let i = 0; i < threaded.rgba.length; i++) if (threaded.rgba[i] !== oneThread.rgba[i]) differing++;
  assert.equal(differing, 0, `${differing} channel values differ between ${expected} threads and one`);
  assert.equal((await badge.textContent()).trim(), expected > 1 ? `CPU, ${expected} threads` : 'CPU');
  await context.close();
});
