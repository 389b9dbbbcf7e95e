// Full screen (issue 36): the picture is painted again at the screen's size, the divider runs over
// the picture and not the black bars beside it, and an on-screen button leaves (phones have no Esc).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchChromium, resultPixels, openStudio, gradientPhoto } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

test('full screen paints at the screen size, keeps the divider on the picture and has a way out', { timeout: 300_000 }, async () => {
  const page = await openStudio(browser, server.url);
  const photo = await gradientPhoto(page, { width: 2400, height: 1800, from: '#16a085', to: '#8e44ad' });
  await page.setInputFiles('[data-testid=image-input]', { name: 'wide.png', mimeType: 'image/png', buffer: photo });
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  assert.equal((await resultPixels(page)).width, 1024, 'the preview size first');
  assert.equal(await page.locator('[data-testid=fullscreen-exit]').isVisible(), false, 'no exit button outside full screen');
  const screen = await page.evaluate(() => Math.max(screen.width, screen.height) * devicePixelRatio);

  const before = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.click('[data-testid=fullscreen-toggle]');
  await page.waitForFunction(() => document.fullscreenElement !== null);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, before, { timeout: 120_000 });
  const painted = await resultPixels(page);
  assert.ok(painted.width >= screen, `painted ${painted.width} px wide for a ${screen} px screen`);
  assert.equal(await page.inputValue('[data-testid=size-select]'), String(painted.width));

  const boxes = await page.evaluate(() => {
    const rect = (sel) => { const r = document.querySelector(sel).getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height }; };
    return { canvas: rect('[data-testid=result-image]'), line: rect('.compare-line'), window: { width: innerWidth, height: innerHeight } };
  });
  assert.ok(Math.abs(boxes.canvas.width / boxes.canvas.height - 4 / 3) < 0.01, `the picture keeps its aspect: ${JSON.stringify(boxes.canvas)}`);
  assert.ok(boxes.line.top >= boxes.canvas.top - 1 && boxes.line.bottom <= boxes.canvas.bottom + 1, `the divider stays on the picture: ${JSON.stringify(boxes)}`);
  assert.ok(boxes.canvas.height >= boxes.window.height - 1 || boxes.canvas.width >= boxes.window.width - 1, 'as large as the screen allows');

  const exit = page.locator('[data-testid=fullscreen-exit]');
  assert.ok(await exit.isVisible(), 'an on-screen way out');
  await exit.click();
  await page.waitForFunction(() => document.fullscreenElement === null);
  await page.close();
});
