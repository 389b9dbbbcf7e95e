// Private and offline: a Content-Security-Policy that blocks every other origin, no request
// leaving 127.0.0.1 during a whole visit, and a second visit that works with the network off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage, untilServiceWorkerCached } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

test('the policy blocks other origins and the visit stays on 127.0.0.1', { timeout: 180_000 }, async () => {
  const context = await browser.newContext();
  const hosts = new Set();
  const schemes = new Set();
  context.on('request', (r) => {
    const url = new URL(r.url());
    schemes.add(url.protocol);
    if (url.protocol.startsWith('http')) hosts.add(url.host);
  });
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url);
  const policy = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /connect-src 'self'(;|$)/);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  const blocked = await page.evaluate(async () => {
    const violation = new Promise((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.blockedURI), { once: true }));
    const attempt = fetch('http://127.0.0.2:9/upload', { method: 'POST', body: 'photo' }).then(() => 'sent', () => 'refused');
    return [await attempt, await violation];
  });
  assert.equal(blocked[0], 'refused');
  assert.match(blocked[1], /127\.0\.0\.2/);
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const port = new URL(server.url).host;
  assert.deepEqual([...hosts], [port], 'every network request went to the app itself');
  // The rest are in-page URLs: the worker's blob: bootstrap and data: pictures.
  assert.deepEqual([...schemes].filter((s) => !['http:', 'blob:', 'data:'].includes(s)), []);
  await context.close();
});

test('after a first visit the app works offline', { timeout: 240_000 }, async () => {
  // A server of its own: the other test's service worker may still be filling its cache from
  // the shared one (its context closed mid-install), and those requests are not this visit's.
  const own = await startServer();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    watchPage(page);
    await page.goto(own.url);
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    await untilServiceWorkerCached(page);
    const served = own.requests.length;

    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
    await page.setInputFiles('[data-testid=image-input]', PHOTO);
    await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
    assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
    assert.equal(own.requests.length, served, `nothing reached the server while offline: ${own.requests.slice(served)}`);
  } finally {
    await context.close();
    await own.close();
  }
});
