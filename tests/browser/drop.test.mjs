// A photo dropped anywhere on the window is taken by the studio (never opened by the browser in
// place of the app), and dragging one over the window shows that it will be taken.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

test('a photo dropped outside the drop zone is painted and the app stays', { timeout: 240_000 }, async () => {
  const page = await browser.newPage();
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  const bytes = [...readFileSync(PHOTO)];
  const outcome = await page.evaluate((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    const target = document.querySelector('header');
    const over = new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: transfer });
    target.dispatchEvent(over);
    const highlighted = new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() =>
      r(document.querySelector('[data-testid=studio]').classList.contains('dragging')))));
    return highlighted.then((lit) => {
      const drop = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer });
      target.dispatchEvent(drop);
      // Cancelled: the browser does not navigate to the file.
      return { lit, cancelled: drop.defaultPrevented, overCancelled: over.defaultPrevented };
    });
  }, bytes);
  assert.deepEqual(outcome, { lit: true, cancelled: true, overCancelled: true });
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.locator('[data-testid=studio].dragging').count(), 0, 'the highlight ends with the drop');
  await page.close();
});
