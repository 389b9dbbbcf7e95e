// The visitor's report (issue 36): a photo; a file that is not an image (refused); another photo,
// cancelled while it is painted; then a style. The painter used to answer "The painter is not
// ready yet." to every style from then on, because the worker had forgotten the photo on show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, resultPixels, servedManifest, openStudio, gradientPhoto } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const job = (page) => page.getAttribute('[data-testid=result-image]', 'data-job');

async function repaint(page, action) {
  const from = await job(page);
  await action();
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, from, { timeout: 120_000 });
}

test('a style after a refused file and a cancelled photo paints the photo on show', { timeout: 300_000 }, async () => {
  const page = await openStudio(browser, server.url);
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  // The smallest brush at the largest size: the next photo paints long enough to be cancelled.
  await repaint(page, () => page.locator('[data-testid=brush-slider]').fill('-2'));
  await repaint(page, () => page.selectOption('[data-testid=size-select]', '4096'));
  const shown = await resultPixels(page);

  await page.setInputFiles('[data-testid=image-input]', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
  await page.waitForSelector('[data-testid=error-message]', { timeout: 60_000 });

  const big = await gradientPhoto(page, { width: 2400, height: 1800, from: '#d35400', to: '#2c3e50' });
  await page.setInputFiles('[data-testid=image-input]', { name: 'big.png', mimeType: 'image/png', buffer: big });
  await page.waitForSelector('[data-testid=cancel-button]:visible', { timeout: 30_000 });
  await page.waitForTimeout(500);
  await page.click('[data-testid=cancel-button]');
  assert.deepEqual((await resultPixels(page)).rgba, shown.rgba, 'the painting on show stays');
  assert.match(await page.locator('[data-testid=cancel-note]').textContent(), /Cancelled\. The painting on show is the one you had before\./, 'the cancel is said');

  const styles = servedManifest().styles.map((s) => s.id);
  await repaint(page, () => page.click(`[data-testid=style-card-${styles[1]}]`));
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0, 'no "not ready"');
  assert.equal(await page.locator('[data-testid=cancel-note]').count(), 0, 'the note goes with the next painting');
  const painted = await resultPixels(page);
  assert.equal(painted.width, 64, 'the photo on show, painted again');
  assert.notDeepEqual(painted.rgba, shown.rgba, 'in the new style');
  assert.equal(await page.getAttribute(`[data-testid=style-card-${styles[1]}]`, 'aria-pressed'), 'true');
  // And again: the painter stays ready.
  await repaint(page, () => page.click(`[data-testid=style-card-${styles[2]}]`));
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  await page.close();
});
