// The service worker's update path and cache repair: a new build installs beside the old one and
// waits; the open tab keeps getting the old build's files (never a mix) and offers the new version;
// accepting reloads into it. A damaged cached model is fetched again and the cache repaired.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST, startServer, launchChromium, watchPage } from './harness.mjs';

let root, server, browser;
before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'atelier-update-'));
  cpSync(DIST, root, { recursive: true });
  server = await startServer(root);
  browser = await launchChromium({ webgpu: false });
});
after(async () => {
  await browser.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

async function waitForCache(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 50));
  });
}

/** A fresh visitor with the studio ready and the service worker in control. */
async function openControlled() {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await waitForCache(page);
  return { context, page };
}

/** A second build: a marker in index.html and a new service worker version. */
function publishBuild(marker) {
  const index = path.join(root, 'index.html');
  writeFileSync(index, readFileSync(index, 'utf8').replace('<head>', `<head><meta name="atelier-build" content="${marker}">`));
  const sw = path.join(root, 'sw.js');
  writeFileSync(sw, readFileSync(sw, 'utf8').replace(/const VERSION = "([^"]*)"/, `const VERSION = "$1-${marker}"`));
}

const buildOf = (page) => page.evaluate(() => document.querySelector('meta[name=atelier-build]')?.content ?? 'first');

test('a new build is offered, never mixed in, and taken on reload', { timeout: 240_000 }, async () => {
  const { context, page } = await openControlled();
  assert.equal(await page.locator('[data-testid=update-banner]').count(), 0, 'no offer on a first visit');

  publishBuild('second');
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await page.waitForSelector('[data-testid=update-banner]', { timeout: 60_000 });
  // The new build is installed and waiting; this tab still gets the first build's files.
  const served = await page.evaluate(async () => (await fetch('./')).text());
  assert.ok(!served.includes('atelier-build'), 'the open tab got a file of the waiting build');
  assert.equal(await buildOf(page), 'first');

  await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.click('[data-testid=update-reload]')]);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  assert.equal(await buildOf(page), 'second');
  assert.equal(await page.locator('[data-testid=update-banner]').count(), 0);
  await context.close();
});

test('a damaged cached model is fetched again and the cache repaired', { timeout: 240_000 }, async () => {
  const { context, page } = await openControlled();
  const damaged = await page.evaluate(async () => {
    const name = (await caches.keys()).find((k) => k.startsWith('atelier-'));
    const cache = await caches.open(name);
    const key = (await cache.keys()).find((r) => r.url.endsWith('/models/styles.f32'));
    const original = await (await cache.match(key)).arrayBuffer();
    const bytes = new Uint8Array(original.slice(0));
    bytes[100] ^= 0xff;
    await cache.put(key, new Response(bytes));
    return { name, url: key.url, size: original.byteLength };
  });
  await page.reload();
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  const cached = await page.evaluate(async ({ name, url }) => {
    return [...new Uint8Array(await (await (await caches.open(name)).match(url)).arrayBuffer())];
  }, damaged);
  const onDisk = [...readFileSync(path.join(root, 'models/styles.f32'))];
  assert.equal(cached.length, damaged.size);
  assert.deepEqual(cached, onDisk, 'the cached copy was replaced by the network copy');
  await context.close();
});
