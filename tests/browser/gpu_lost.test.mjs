// A GPU lost in the middle of a job (injected: ?atelier-fault=gpu-lost makes the WebGPU engine
// fail like a lost device on its first pass): the CPU engine finishes the same job, the photo and
// settings are kept, the badge says so, and the pixels are the CPU engine's (onnxruntime's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage, resultPixels, onnxruntimeReference, compareRgb, servedManifest } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('a lost GPU mid-job ends with the CPU engine painting the same job', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    watchPage(page);
    await page.goto(`${server.url}?atelier-fault=gpu-lost&atelier-gpu=software`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    assert.equal((await page.locator('[data-testid=engine-badge]').textContent()).trim(), 'WebGPU');
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    const badge = page.locator('[data-testid=engine-badge]');
    assert.equal((await badge.textContent()).trim(), 'CPU');
    assert.match(await badge.getAttribute('title'), /GPU stopped working .*device was lost/);
    const style = servedManifest().styles[0].id; // the studio's first style, picked for a new photo
    const diff = compareRgb(await resultPixels(page), onnxruntimeReference(style, PHOTO));
    assert.ok(diff.max <= 2, `max difference ${diff.max} levels from onnxruntime`);
  } finally {
    await browser.close();
  }
});

test('a browser that never answers the request for a GPU adapter paints on the CPU after the time limit', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    watchPage(page);
    // The WebGPU adapter is there (software counts as a GPU here), but the worker's request for
    // it never settles (injected): without a limit the badge would say "Starting" for ever.
    const opened = Date.now();
    await page.goto(`${server.url}?atelier-fault=gpu-probe-hangs&atelier-gpu=software`);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    const waited = Date.now() - opened;
    const badge = page.locator('[data-testid=engine-badge]');
    assert.equal((await badge.textContent()).trim(), 'CPU');
    assert.match(await badge.getAttribute('title'), /WebGPU did not answer within 10 s/);
    assert.ok(waited >= 10_000, `ready after ${waited} ms: the limit was not what ended the wait`);
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    const style = servedManifest().styles[0].id;
    const diff = compareRgb(await resultPixels(page), onnxruntimeReference(style, PHOTO));
    assert.ok(diff.max <= 2, `max difference ${diff.max} levels from onnxruntime`);
  } finally {
    await browser.close();
  }
});
