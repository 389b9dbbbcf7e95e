// The chosen photo shows at once, before its painting is ready, and gives way to the painting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchChromium, watchPage } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

test('the photo is on screen while it is painted', { timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  // A 1280x900 "photo": a screenshot of the page itself, painted at the 1024 px size.
  const photo = await page.screenshot();
  const chosenAt = Date.now();
  await page.setInputFiles('[data-testid=image-input]', { name: 'big.png', mimeType: 'image/png', buffer: photo });
  const shown = page.locator('[data-testid=chosen-photo] img');
  await shown.waitFor({ timeout: 10_000 });
  const shownAfter = Date.now() - chosenAt;
  assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-state'), 'empty', 'shown before the painting');
  assert.ok(await shown.evaluate((img) => img.decode().then(() => img.naturalWidth === 1280, () => false)), 'the photo itself');
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 180_000 });
  const paintedAfter = Date.now() - chosenAt;
  assert.equal(await page.locator('[data-testid=chosen-photo]').count(), 0, 'the painting takes its place');
  console.log(`photo on screen after ${shownAfter} ms, painting after ${paintedAfter} ms`);
  await page.close();
});
