// A full storage quota: the painting is still shown and can be downloaded, the history says in the
// visitor's language why it was not kept, and no half-stored entry is left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

test('a full quota keeps the painting and says why history did not keep it', { timeout: 240_000 }, async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  watchPage(page);
  // The fault, injected where the browser reports it: the pixels' store refuses every write as a
  // full disk does (Chromium's quota override via CDP does not reach IndexedDB headless).
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
      if (this.name === 'pixels') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const note = page.locator('[data-testid=history-note]');
  await note.waitFor({ timeout: 30_000 });
  assert.match(await note.textContent(), /no room left/);
  assert.equal(await page.locator('[data-testid=history-item]').count(), 0, 'no half-stored entry');
  assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-state'), 'ready');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-png]')]);
  assert.match(download.suggestedFilename(), /\.png$/);

  await page.click('[data-testid=lang-toggle]');
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForFunction(() => document.querySelector('[data-testid=history-note]')?.textContent.includes('没有空间'), null, { timeout: 120_000 });
  await context.close();
});
