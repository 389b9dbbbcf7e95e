// A worker that dies mid-job (injected with ?atelier-fault=...): a panic, as wonnx panics on some
// driver failures, or a trap without a panic, as an allocation failure aborts. Either way the wasm
// instance is gone; the page replaces the worker, gives it the photo again, replays the job once,
// and the visitor gets the picture with nothing lost. A worker that stops answering (an endless
// loop) says nothing at all: the page's watch ends it and does the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage, resultPixels, onnxruntimeReference, compareRgb, servedManifest } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

/** Open the page with `query`, paint the photo through a worker that dies, check what came back;
 * `more(page)` goes on with the page before the browser closes. */
async function survivesADeadWorker({ webgpu, query, engineBefore = 'CPU', more = async () => {} }) {
  const browser = await launchChromium({ webgpu });
  try {
    const page = await browser.newPage();
    watchPage(page);
    const workers = [];
    const closed = [];
    page.on('worker', (w) => {
      workers.push(w.url());
      w.on('close', () => closed.push(w.url()));
    });
    await page.goto(`${server.url}?${query}`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    const badge = page.locator('[data-testid=engine-badge]');
    assert.equal((await badge.textContent()).trim(), engineBefore);
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    assert.equal(workers.length, 2, 'the dead worker was replaced by a second one');
    assert.equal((await badge.textContent()).trim(), 'CPU');
    const diff = compareRgb(await resultPixels(page), onnxruntimeReference(servedManifest().styles[0].id, PHOTO));
    assert.ok(diff.max <= 2, `max difference ${diff.max} levels from onnxruntime`);
    await more(page, { closed });
  } finally {
    await browser.close();
  }
}

test('a worker that panics is replaced and the job replayed, with the same pixels', { timeout: 240_000 }, () =>
  survivesADeadWorker({
    webgpu: false,
    query: 'atelier-fault=worker-panic',
    more: async (page) => {
      // The replacement keeps working with the same photo: another style paints it.
      const first = await page.getAttribute('[data-testid=result-image]', 'data-job');
      await page.click(`[data-testid=style-card-${servedManifest().styles[1].id}]`);
      await page.waitForFunction((j) => document.querySelector('[data-testid=result-image]').dataset.job !== j, first, { timeout: 120_000 });
      assert.equal((await resultPixels(page)).width, 64);
      assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    },
  }));

test('a worker that panics on the GPU is replaced by one on the CPU engine, which finishes the job', { timeout: 240_000 }, () =>
  survivesADeadWorker({
    webgpu: true,
    query: 'atelier-fault=worker-panic&atelier-gpu=software',
    engineBefore: 'WebGPU',
    more: async (page) => {
      assert.match(await page.getAttribute('[data-testid=engine-badge]', 'title'), /GPU stopped working .*injected fault/s);
    },
  }));

test('a worker that traps without a panic (as an allocation failure aborts) is replaced too', { timeout: 240_000 }, () =>
  survivesADeadWorker({ webgpu: false, query: 'atelier-fault=worker-trap' }));

test('a worker that stops answering mid-painting is ended and replaced, and the job replayed', { timeout: 240_000 }, () =>
  survivesADeadWorker({
    webgpu: false,
    // Silent 4 s (instead of 30 s) counts as stopped, so the test does not wait long.
    query: 'atelier-fault=worker-hang&atelier-stall-ms=4000',
    more: async (page, { closed }) => {
      // The looping worker was terminated, not left burning a core.
      const deadline = Date.now() + 10_000;
      while (closed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(closed.length, 1, 'the silent worker was ended');
      // A normal painting on the replacement is never taken for a silent one.
      const first = await page.getAttribute('[data-testid=result-image]', 'data-job');
      await page.click(`[data-testid=style-card-${servedManifest().styles[2].id}]`);
      await page.waitForFunction((j) => document.querySelector('[data-testid=result-image]').dataset.job !== j, first, { timeout: 120_000 });
      assert.equal(closed.length, 1);
      assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    },
  }));
