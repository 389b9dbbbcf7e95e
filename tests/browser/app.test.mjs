// The app end to end in headless Chromium: a photo through the file input, the first style,
// inference in the worker (WebGPU where available, the CPU engine where not), pixels on the
// result canvas equal to onnxruntime's for the same package, style, photo and padding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import {
  ROOT, startServer, launchChromium, watchPage, resultPixels, onnxruntimeReference, servedManifest, compareRgb,
} from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
// Tolerance in 8-bit levels: float math differs from onnxruntime's in the last bits, which moves
// a rounded byte by a level or two; a wrong kernel or padding moves it by tens.
const MAX_LEVEL_DIFF = 2;
const MAX_MEAN_DIFF = 0.25;

let server;
let reference;
before(async () => {
  server = await startServer();
  reference = onnxruntimeReference(servedManifest().styles[0].id, PHOTO);
});
after(async () => { await server.close(); });

async function stylizeAndCompare(page, label) {
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 180_000 });
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  assert.equal(await page.locator('[data-testid=progress]').isVisible(), false, 'progress hides when done');
  const got = await resultPixels(page);
  const { max, mean } = compareRgb(got, reference);
  console.log(`${label} vs onnxruntime: max |diff| ${max}, mean ${mean.toFixed(4)} levels`);
  assert.ok(max <= MAX_LEVEL_DIFF, `max diff ${max} levels`);
  assert.ok(mean <= MAX_MEAN_DIFF, `mean diff ${mean}`);
  for (let j = 3; j < got.rgba.length; j += 4) assert.equal(got.rgba[j], 255, 'an opaque photo stays opaque');
  return got;
}

test('stylizes a photo on WebGPU with the pixels onnxruntime computes', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    watchPage(page);
    // SwiftShader is software: the page passes over it for the CPU engine unless told not to.
    await page.goto(`${server.url}?atelier-gpu=software`);
    assert.equal(await page.title(), 'Atelier');
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    assert.equal((await page.locator('[data-testid=engine-badge]').textContent()).trim(), 'WebGPU');
    const got = await stylizeAndCompare(page, 'browser WebGPU');

    // A broken file afterwards: a clear message, and the previous result stays.
    const fake = path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-')), 'holiday.jpg');
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

test('without WebGPU it says why and paints on the CPU, with the same pixels', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    watchPage(page);
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    const badge = page.locator('[data-testid=engine-badge]');
    assert.equal((await badge.textContent()).trim(), 'CPU');
    assert.match(await badge.getAttribute('title'), /WebGPU.*CPU/s);
    assert.match(await page.locator('.notice').textContent(), /WebGPU/);
    await stylizeAndCompare(page, 'browser CPU engine');
  } finally {
    await browser.close();
  }
});
