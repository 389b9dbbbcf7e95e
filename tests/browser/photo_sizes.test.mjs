// Photo sizes at both ends (issue 36): a phone's 50 MP photo is painted (read at a reduced
// scale), not refused; a 1x1 image is refused with a message that says why, and nothing of it
// reaches the picture or the history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, resultPixels, openStudio, gradientPhoto } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const open = () => openStudio(browser, server.url);

test('a 50 MP phone photo is painted, not refused', { timeout: 300_000 }, async () => {
  const page = await open();
  // 8160 x 6120 (50 MP), as a phone's main camera writes it: a JPEG, warm at the left, cool at
  // the right, so the painting's colours say the whole photo was read.
  const jpeg = await gradientPhoto(page, { width: 8160, height: 6120, from: '#e67e22', to: '#2980b9', across: true, type: 'image/jpeg' });
  await page.setInputFiles('[data-testid=image-input]', { name: 'phone.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  // Reading a photo has no passes to count: the bar says "working" (no value), not 0 %.
  await page.waitForSelector('[data-testid=progress]:visible', { timeout: 30_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'value'), null, 'indeterminate');
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 240_000 });
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  const painted = await resultPixels(page);
  assert.deepEqual([painted.width, painted.height], [1024, 768], 'painted at the default size, aspect kept');
  const photo = await page.evaluate(() => {
    const c = document.querySelector('canvas.before');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const at = (x, y) => Array.from(d.slice((y * c.width + x) * 4, (y * c.width + x) * 4 + 3));
    return { left: at(20, 384), right: at(1000, 384) };
  });
  assert.ok(photo.left[0] > 180 && photo.left[2] < 80, `warm left edge ${photo.left}`);
  assert.ok(photo.right[2] > 150 && photo.right[0] < 80, `cool right edge ${photo.right}`);
  await page.close();
});

test('a 1x1 image is refused with the smallest size named, and the studio keeps its picture', { timeout: 240_000 }, async () => {
  const page = await open();
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const shown = await resultPixels(page);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 1, null, { timeout: 30_000 });
  const dot = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(1, 1);
    canvas.getContext('2d').fillRect(0, 0, 1, 1);
    return Array.from(new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer()));
  });
  await page.setInputFiles('[data-testid=image-input]', { name: 'dot.png', mimeType: 'image/png', buffer: Buffer.from(dot) });
  const message = page.locator('[data-testid=error-message]');
  await message.waitFor({ timeout: 60_000 });
  assert.match(await message.textContent(), /1×1.*too small.*16 pixels/);
  assert.deepEqual((await resultPixels(page)).rgba, shown.rgba, 'the painting on show stays');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('[data-testid=history-item]').count(), 1, 'nothing of it in the history');
  await page.close();
});
