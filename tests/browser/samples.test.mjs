// The sample photos: a visitor without a photo to hand clicks one, sees it at once, gets it painted,
// and the photographer is credited with the licence in the page's language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

test('a sample photo is shown, painted and credited', { timeout: 240_000 }, async () => {
  const page = await browser.newPage();
  watchPage(page);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.locator('[data-testid=photo-credit]').count(), 0, 'no credit before a sample is chosen');
  assert.equal(await page.locator('[data-testid=samples] button').count(), 3);
  assert.equal(await page.getAttribute('[data-testid=sample-fig]', 'aria-label'), 'Sample photo: Fig');

  await page.click('[data-testid=sample-fig]');
  // The photo is on screen before its painting is done.
  await page.waitForSelector('[data-testid=chosen-photo] img[src="samples/fig.jpg"]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  assert.equal(await page.textContent('[data-testid=file-name]'), 'fig.jpg');

  // The "before" canvas holds the sample itself: compare it with the browser's own drawing of the file.
  const beforeDiff = () => page.evaluate(async () => {
    const before = document.querySelector('canvas.before');
    const img = new Image();
    img.src = 'samples/fig.jpg';
    await img.decode();
    const mine = document.createElement('canvas');
    mine.width = before.width; mine.height = before.height;
    const ctx = mine.getContext('2d');
    ctx.drawImage(img, 0, 0, mine.width, mine.height);
    const a = before.getContext('2d').getImageData(0, 0, before.width, before.height).data;
    const b = ctx.getImageData(0, 0, mine.width, mine.height).data;
    let sum = 0;
    for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
    return { mean: sum / (a.length / 4 * 3), aspect: before.width / before.height, natural: img.naturalWidth / img.naturalHeight };
  });
  const diff = await beforeDiff();
  assert.ok(Math.abs(diff.aspect - diff.natural) < 0.01, `aspect ${diff.aspect} vs ${diff.natural}`);
  assert.ok(diff.mean < 6, `the photo on show differs from the sample by ${diff.mean.toFixed(2)} levels on average`);

  // Another style: the worker sends only the painting (the page keeps the photo it has), and the
  // "before" side is still the sample.
  const firstJob = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.locator('[data-testid^=style-card]').nth(1).click();
  await page.waitForFunction((job) => {
    const c = document.querySelector('[data-testid=result-image]');
    return c.dataset.state === 'ready' && c.dataset.job !== job;
  }, firstJob, { timeout: 120_000 });
  const again = await beforeDiff();
  assert.ok(again.mean < 6 && Math.abs(again.aspect - again.natural) < 0.01, `after a style change: ${JSON.stringify(again)}`);

  const credit = page.locator('[data-testid=photo-credit]');
  assert.match(await credit.textContent(), /Sample photo “Fig” by Trevor “Freespace”, resized, CC BY 4\.0/);
  assert.equal(await credit.locator('a').getAttribute('href'), 'https://creativecommons.org/licenses/by/4.0/');
  await page.click('[data-testid=lang-toggle]');
  assert.match(await credit.textContent(), /示例照片《无花果》，作者 Trevor “Freespace”，已缩放/);

  // Everything the sample needed came from the page's own origin.
  const origin = new URL(server.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), []);

  // A photo of the visitor's own replaces the credit.
  await page.setInputFiles('[data-testid=image-input]', path.join(ROOT, 'tests/fixtures/gradient_64x48.png'));
  await page.waitForSelector('[data-testid=file-name]:text("gradient_64x48.png")');
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  assert.equal(await page.locator('[data-testid=photo-credit]').count(), 0);
  await page.close();
});
