// A worker that dies mid-job (injected: ?atelier-fault=worker-panic makes the worker panic while
// painting, as wonnx does on some driver failures; a wasm panic aborts the instance): the page
// replaces the worker, gives it the photo again, replays the job once, and the visitor gets the
// picture with nothing lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage, resultPixels, onnxruntimeReference, compareRgb, servedManifest } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('a worker that panics is replaced and the job replayed, with the same pixels', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    watchPage(page);
    const workers = [];
    page.on('worker', (w) => workers.push(w.url()));
    const panics = [];
    page.on('console', (m) => { if (/injected fault: the worker panics/.test(m.text())) panics.push(m.text()); });
    await page.goto(`${server.url}?atelier-fault=worker-panic`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    assert.equal(workers.length, 2, 'the dead worker was replaced by a second one');
    assert.ok(panics.length >= 1, 'the first worker did panic');
    assert.equal((await page.locator('[data-testid=engine-badge]').textContent()).trim(), 'CPU');
    const style = servedManifest().styles[0].id;
    const diff = compareRgb(await resultPixels(page), onnxruntimeReference(style, PHOTO));
    assert.ok(diff.max <= 2, `max difference ${diff.max} levels from onnxruntime`);
    // The replacement keeps working with the same photo: another style paints it.
    const first = await page.getAttribute('[data-testid=result-image]', 'data-job');
    await page.click(`[data-testid=style-card-${servedManifest().styles[1].id}]`);
    await page.waitForFunction((j) => document.querySelector('[data-testid=result-image]').dataset.job !== j, first, { timeout: 120_000 });
    assert.equal((await resultPixels(page)).width, 64);
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  } finally {
    await browser.close();
  }
});

test('a worker that panics on the GPU is replaced by one on the CPU engine, which finishes the job', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    watchPage(page);
    const workers = [];
    page.on('worker', (w) => workers.push(w.url()));
    await page.goto(`${server.url}?atelier-fault=worker-panic&atelier-gpu=software`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    const badge = page.locator('[data-testid=engine-badge]');
    assert.equal((await badge.textContent()).trim(), 'WebGPU');
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    assert.equal(workers.length, 2, 'the dead worker was replaced by a second one');
    assert.equal((await badge.textContent()).trim(), 'CPU');
    assert.match(await badge.getAttribute('title'), /GPU stopped working .*injected fault/s);
    const style = servedManifest().styles[0].id;
    const diff = compareRgb(await resultPixels(page), onnxruntimeReference(style, PHOTO));
    assert.ok(diff.max <= 2, `max difference ${diff.max} levels from onnxruntime`);
  } finally {
    await browser.close();
  }
});

test('a worker that traps without a panic (as an allocation failure aborts) is replaced too', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    watchPage(page);
    const workers = [];
    page.on('worker', (w) => workers.push(w.url()));
    await page.goto(`${server.url}?atelier-fault=worker-trap`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    assert.equal(workers.length, 2, 'the dead worker was replaced by a second one');
    const style = servedManifest().styles[0].id;
    const diff = compareRgb(await resultPixels(page), onnxruntimeReference(style, PHOTO));
    assert.ok(diff.max <= 2, `max difference ${diff.max} levels from onnxruntime`);
  } finally {
    await browser.close();
  }
});
