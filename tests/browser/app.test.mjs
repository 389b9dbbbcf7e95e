// The walking skeleton end to end: the built app in headless Chromium, a photo through the file
// input, wonnx on WebGPU in the worker, pixels on the result canvas equal to onnxruntime's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { ROOT, startServer, launchChromium, watchPage, resultPixels, onnxruntimeReference } from './harness.mjs';

const MODEL = path.join(ROOT, 'models/fixture/generator.onnx');
const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
// Tolerance in 8-bit levels: GPU float math differs from onnxruntime's in the last bits, which
// moves a rounded byte by at most one level (two allowed); a wrong kernel moves it by tens.
const MAX_LEVEL_DIFF = 2;
const MAX_MEAN_DIFF = 0.25;

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('stylizes a photo on WebGPU with the pixels onnxruntime computes', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    watchPage(page);
    await page.goto(server.url);
    assert.equal(await page.title(), 'Atelier');

    const badge = page.locator('[data-testid=engine-badge]');
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    assert.equal((await badge.textContent()).trim(), 'WebGPU');

    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 180_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    assert.equal(await page.locator('[data-testid=progress]').isVisible(), false, 'progress hides when done');

    const got = await resultPixels(page);
    const want = onnxruntimeReference(MODEL, PHOTO);
    assert.deepEqual([got.width, got.height], [want.width, want.height]);
    let max = 0, sum = 0;
    for (let i = 0, j = 0; i < want.rgb.length; i += 3, j += 4) {
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(got.rgba[j + c] - want.rgb[i + c]);
        max = Math.max(max, d); sum += d;
      }
      assert.equal(got.rgba[j + 3], 255, 'an opaque photo stays opaque');
    }
    const mean = sum / want.rgb.length;
    console.log(`browser WebGPU vs onnxruntime: max |diff| ${max}, mean ${mean.toFixed(4)} levels over ${want.rgb.length} values`);
    assert.ok(max <= MAX_LEVEL_DIFF, `max diff ${max} levels`);
    assert.ok(mean <= MAX_MEAN_DIFF, `mean diff ${mean}`);

    // A broken file afterwards: a clear message, and the previous result stays.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-'));
    const fake = path.join(dir, 'holiday.jpg');
    writeFileSync(fake, 'this is a text file wearing a .jpg name');
    await page.setInputFiles('[data-testid=image-input]', fake);
    const error = page.locator('[data-testid=error-message]');
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.textContent(), /not an image Atelier can read/);
    assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-state'), 'ready');
    assert.deepEqual((await resultPixels(page)).rgba, got.rgba, 'the previous result is kept');
  } finally {
    await browser.close();
  }
});

test('says clearly when WebGPU is unavailable', { timeout: 120_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    watchPage(page);
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=engine-badge][data-state=none]', { timeout: 60_000 });
    const badge = page.locator('[data-testid=engine-badge]');
    assert.equal((await badge.textContent()).trim(), 'No engine');
    assert.match(await badge.getAttribute('title'), /WebGPU/);
    assert.match(await page.locator('.notice').textContent(), /cannot run in this browser: .*WebGPU/);

    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    const error = page.locator('[data-testid=error-message]');
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.textContent(), /WebGPU/);
    assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-state'), 'empty');
  } finally {
    await browser.close();
  }
});
