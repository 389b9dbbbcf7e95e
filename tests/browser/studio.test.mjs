// The studio controls: sliders act without a new inference, style cards and the mix re-run it,
// downloads are real files, the language toggle switches the words, a phone has no sideways scroll.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ROOT, startServer, launchChromium, watchPage, resultPixels, servedManifest } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => {
  server = await startServer();
  // The CPU engine: same pixels as WebGPU (app.test.mjs), and faster than SwiftShader here.
  browser = await launchChromium({ webgpu: false });
});
after(async () => { await browser.close(); await server.close(); });

async function openWithPhoto(viewport = { width: 1200, height: 900 }, initScript = null) {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  watchPage(page);
  if (initScript) await page.addInitScript(initScript);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  return page;
}

const job = (page) => page.getAttribute('[data-testid=result-image]', 'data-job');

async function setRange(page, testid, value) {
  await page.locator(`[data-testid=${testid}]`).fill(String(value));
}

function meanDiff(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) sum += Math.abs(a[i + c] - b[i + c]);
  return sum / (a.length / 4 * 3);
}

test('strength and colour sliders change the pixels without a new inference', { timeout: 180_000 }, async () => {
  const page = await openWithPhoto();
  const painted = await resultPixels(page);
  const firstJob = await job(page);
  assert.equal(await page.locator('[data-testid=file-name]').textContent(), 'gradient_64x48.png', 'the picker names the photo');

  await setRange(page, 'strength-slider', 0);
  const photo = await resultPixels(page);
  assert.equal(await job(page), firstJob, 'no new inference');
  const original = await page.evaluate(() => {
    const c = document.querySelector('canvas.before');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  });
  assert.deepEqual(photo.rgba, original, 'strength 0 shows the photo');
  assert.ok(meanDiff(painted.rgba, photo.rgba) > 10, 'the painting differs from the photo');

  assert.equal((await page.locator('[data-testid=strength-value]').textContent()).trim(), '0 %', 'the value is shown');
  await setRange(page, 'strength-slider', 100);
  await setRange(page, 'colour-slider', 100);
  assert.equal((await page.locator('[data-testid=colour-value]').textContent()).trim(), '100 %');
  const coloured = await resultPixels(page);
  assert.equal(await job(page), firstJob, 'no new inference');
  assert.ok(meanDiff(coloured.rgba, painted.rgba) > 1, 'colour preservation changes the pixels');
  await page.close();
});

test('the before/after handle lies on the picture (pointer and keys), and 100 % shows every pixel', { timeout: 180_000 }, async () => {
  const page = await openWithPhoto();
  const firstJob = await job(page);
  const divider = () => page.evaluate(() => getComputedStyle(document.querySelector('[data-testid=compare]')).getPropertyValue('--divider').trim());
  const canvas = await page.locator('[data-testid=result-image]').boundingBox();
  // A drag on the picture moves the divider to the pointer.
  await page.mouse.move(canvas.x + canvas.width * 0.5, canvas.y + canvas.height / 2);
  await page.mouse.down();
  await page.mouse.move(canvas.x + canvas.width * 0.25, canvas.y + canvas.height / 2, { steps: 5 });
  await page.mouse.up();
  const dragged = parseFloat(await divider());
  assert.ok(Math.abs(dragged - 25) <= 3, `divider at ${dragged} % after a drag to a quarter`);
  await page.focus('[data-testid=compare-handle]');
  await page.keyboard.press('ArrowRight');
  assert.equal(parseFloat(await divider()), dragged + 1, 'the arrow keys move it');
  assert.equal(await job(page), firstJob, 'no new inference');

  // 100 %: one canvas pixel per CSS pixel, then back to fitting the view.
  const large = await page.evaluateHandle(async () => {
    const canvas = new OffscreenCanvas(1600, 1200);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#2c3e50'; ctx.fillRect(0, 0, 1600, 1200);
    ctx.fillStyle = '#d35400'; ctx.fillRect(400, 300, 800, 600);
    return new File([await canvas.convertToBlob({ type: 'image/png' })], 'large.png', { type: 'image/png' });
  });
  await dropFile(page, large);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, firstJob, { timeout: 120_000 });
  const size = () => page.evaluate(() => {
    const c = document.querySelector('[data-testid=result-image]');
    return { css: Math.round(c.getBoundingClientRect().width), pixels: c.width };
  });
  const fitted = await size();
  assert.ok(fitted.css < fitted.pixels, `fitted: ${JSON.stringify(fitted)}`);
  await page.click('[data-testid=zoom-toggle]');
  const actual = await size();
  assert.equal(actual.css, actual.pixels, '100 %');
  assert.equal(await page.locator('[data-testid=compare-handle]').count(), 0, 'at 100 % the picture pans');
  await page.click('[data-testid=zoom-toggle]');
  assert.equal(await page.locator('[data-testid=compare-handle]').count(), 1);

  // Ctrl+wheel (a trackpad's pinch) zooms about the pointer: the picture point under it stays.
  const frame = await page.locator('[data-testid=compare] .frame').boundingBox();
  const at = { x: frame.x + frame.width * 0.7, y: frame.y + frame.height * 0.6 };
  const pictureX = () => page.evaluate((x) => {
    const c = document.querySelector('[data-testid=result-image]');
    const r = c.getBoundingClientRect();
    return ((x - r.left) / r.width) * c.width;
  }, at.x);
  const under = await pictureX();
  await page.mouse.move(at.x, at.y);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare]').dataset.zoom !== 'fit');
  const zoomed = await size();
  assert.ok(zoomed.css > fitted.css * 1.3, `zoomed in: ${JSON.stringify(zoomed)} from ${JSON.stringify(fitted)}`);
  assert.ok(Math.abs((await pictureX()) - under) < 8, `the point under the pointer stays (${under} -> ${await pictureX()})`);
  assert.match(await page.locator('[data-testid=zoom-level]').textContent(), /^\d+ %$/);
  // Zooming out past the fitted size fits again.
  await page.keyboard.down('Control');
  for (let i = 0; i < 6; i++) await page.mouse.wheel(0, 300);
  await page.keyboard.up('Control');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare]').dataset.zoom === 'fit');

  // Two fingers spreading apart zoom in too; the divider does not follow them.
  const dividerBefore = await page.evaluate(() => document.querySelector('[data-testid=compare]').style.getPropertyValue('--divider'));
  await page.evaluate(({ x, y }) => {
    const frame = document.querySelector('[data-testid=compare] .frame');
    const touch = (type, id, cx) => frame.dispatchEvent(new PointerEvent(type, {
      pointerId: id, pointerType: 'touch', clientX: cx, clientY: y, buttons: type === 'pointerup' ? 0 : 1, bubbles: true, cancelable: true,
    }));
    touch('pointerdown', 11, x - 30); touch('pointerdown', 12, x + 30);
    touch('pointermove', 12, x + 60); touch('pointermove', 11, x - 60);
    touch('pointerup', 11, x - 60); touch('pointerup', 12, x + 60);
  }, at);
  await page.waitForFunction(() => document.querySelector('[data-testid=compare]').dataset.zoom !== 'fit');
  assert.ok((await size()).css > fitted.css * 1.5, 'pinched in');
  await page.click('[data-testid=zoom-toggle]');
  assert.equal(await page.evaluate(() => document.querySelector('[data-testid=compare]').style.getPropertyValue('--divider')), dividerBefore);
  await page.close();
});

test('style cards and the mix re-run the network with other pixels', { timeout: 240_000 }, async () => {
  const styles = servedManifest().styles;
  assert.ok(styles.length >= 2);
  const page = await openWithPhoto();
  for (const s of styles) assert.equal(await page.locator(`[data-testid=style-card-${s.id}]`).count(), 1);
  const first = await resultPixels(page);
  const firstJob = await job(page);

  // Every stage label shown while another style paints the photo the worker already holds.
  await page.evaluate(() => {
    window.stageLabels = [];
    const label = document.querySelector('[data-testid=stage-label]');
    new MutationObserver(() => window.stageLabels.push(label.textContent)).observe(label, { childList: true, characterData: true, subtree: true });
  });
  await page.click(`[data-testid=style-card-${styles[1].id}]`);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, firstJob);
  const labels = await page.evaluate(() => window.stageLabels);
  assert.ok(labels.some((l) => /Painting/.test(l)), `labels seen: ${JSON.stringify(labels)}`);
  assert.ok(!labels.some((l) => /Reading/.test(l)), `the photo is not read again: ${JSON.stringify(labels)}`);
  const second = await resultPixels(page);
  assert.ok(meanDiff(first.rgba, second.rgba) > 1, 'another style paints differently');
  assert.match(await page.locator('[data-testid=style-details]').textContent(), new RegExp(styles[1].title.en.split(' ')[0]));

  const secondJob = await job(page);
  await page.selectOption('[data-testid=mix-style-select]', styles[0].id);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, secondJob);
  const mixed = await resultPixels(page);
  assert.ok(meanDiff(mixed.rgba, second.rgba) > 1 && meanDiff(mixed.rgba, first.rgba) > 1, 'a mix is neither style');
  await page.close();
});

function pngSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

function jpegSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], 'JPEG SOI');
  let i = 2;
  while (i < bytes.length) {
    const marker = bytes[i + 1];
    const length = bytes.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) return [bytes.readUInt16BE(i + 7), bytes.readUInt16BE(i + 5)];
    i += 2 + length;
  }
  throw new Error('no SOF marker');
}

test('downloads are a valid PNG and JPEG of the picture, named after photo and style', { timeout: 180_000 }, async () => {
  const page = await openWithPhoto();
  const style = servedManifest().styles[0].id;
  for (const [testid, ext, size] of [['download-png', 'png', pngSize], ['download-jpeg', 'jpg', jpegSize]]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
    assert.equal(download.suggestedFilename(), `gradient_64x48-${style}.${ext}`);
    const bytes = readFileSync(await download.path());
    assert.deepEqual(size(bytes), [64, 48]);
  }
  await page.close();
});

test('the share poster holds the painting as shown, the original and the credit', { timeout: 180_000 }, async () => {
  const page = await openWithPhoto();
  const style = servedManifest().styles[0];
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=poster-download]')]);
  assert.equal(download.suggestedFilename(), `gradient_64x48-${style.id}-poster.png`);
  const png = readFileSync(await download.path()).toString('base64');
  // Decoded in the page; compared with the two canvases the visitor sees.
  const probe = await page.evaluate(async (png) => {
    const img = new Image();
    img.src = `data:image/png;base64,${png}`;
    await img.decode();
    const poster = document.createElement('canvas');
    [poster.width, poster.height] = [img.naturalWidth, img.naturalHeight];
    const ctx = poster.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const at = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
    const mean = (data) => {
      const sum = [0, 0, 0];
      for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += data[i + c];
      return sum.map((v) => v / (data.length / 4));
    };
    const whole = (selector) => {
      const c = document.querySelector(selector);
      return mean(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    };
    // Dark pixels where the title is written (src/poster.rs: right of the original's box).
    const title = ctx.getImageData(336, 822, 688, 60).data;
    let inked = 0;
    for (let i = 0; i < title.length; i += 4) if (title[i] < 120 && title[i + 1] < 120) inked++;
    return {
      width: poster.width, height: poster.height, corner: at(2, 2), inked,
      // A 64x48 painting fills 968x726 at (56, 56); its photo 240x180 at (56, 822).
      painting: mean(ctx.getImageData(56, 56, 968, 726).data), paintingShown: whole('[data-testid=result-image]'),
      before: mean(ctx.getImageData(56, 822, 240, 180).data), photo: whole('canvas.before'),
    };
  }, png);
  assert.equal(probe.width, 1080);
  assert.ok(probe.height > 1100 && probe.height < 1400, `height ${probe.height}`);
  assert.deepEqual(probe.corner, [246, 241, 232], 'the paper');
  const near = (a, b, what) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 4, `${what}: ${a} vs ${b}`));
  near(probe.painting, probe.paintingShown, 'the painting as shown');
  near(probe.before, probe.photo, 'the original');
  assert.ok(probe.inked > 300, `the title is written (${probe.inked} dark pixels)`);
  await page.close();
});

test('the language toggle switches the words and is remembered', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=drop-zone]');
  const before = await page.locator('[data-testid=drop-zone]').textContent();
  await page.click('[data-testid=lang-toggle]');
  const after = await page.locator('[data-testid=drop-zone]').textContent();
  assert.notEqual(after, before);
  assert.match(after, /选择照片/);
  assert.equal(await page.locator('[data-testid=file-name]').textContent(), '尚未选择照片', 'the picker speaks the page language');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  // The engine's status speaks the chosen language too (this browser runs the CPU engine).
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  assert.match(await page.locator('[data-testid=engine-notice]').textContent(), /用 CPU 作画/);
  await page.click('[data-testid=engine-notice-close]');
  assert.equal(await page.locator('[data-testid=engine-notice]').count(), 0, 'the visitor can close it');
  await page.reload();
  await page.waitForSelector('[data-testid=drop-zone]');
  assert.match(await page.locator('[data-testid=drop-zone]').textContent(), /选择照片/, 'remembered');
  // The notice the visitor closed stays closed on the next visit (the same reason holds).
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await page.waitForTimeout(300);
  assert.equal(await page.locator('[data-testid=engine-notice]').count(), 0, 'closed stays closed');
  await page.close();
});

test('a 360 px phone screen has no sideways scroll', { timeout: 180_000 }, async () => {
  const page = await openWithPhoto({ width: 360, height: 780 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `page is ${width} px wide`);
  await page.screenshot({ path: path.join(ROOT, 'target/screenshot-360.png'), fullPage: true });
  // The paintings are one sideways strip, and come before the history.
  const layout = await page.evaluate(() => {
    const gallery = document.querySelector('.gallery');
    const top = (selector) => document.querySelector(selector).getBoundingClientRect().top;
    return {
      strip: gallery.scrollWidth > gallery.clientWidth, height: gallery.getBoundingClientRect().height,
      gallery: top('.gallery'), history: top('.history'), picture: top('[data-testid=compare]'),
    };
  });
  assert.ok(layout.strip && layout.height < 260, `a strip ${layout.height} px tall`);
  assert.ok(layout.picture < layout.gallery && layout.gallery < layout.history, JSON.stringify(layout));
  await page.close();
});

test('nothing moves while the page loads: the top is drawn before the wasm, the engine line has its room', { timeout: 120_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
  watchPage(page);
  // Every layout shift the browser records, from the first paint on.
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value); })
      .observe({ type: 'layout-shift', buffered: true });
  });
  // The wasm held back: what shows before it is the static top of the page, in place.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route(/app-.*_bg\.wasm$/, async (route) => { await held; await route.continue(); });
  await page.goto(server.url, { waitUntil: 'domcontentloaded' });
  const boot = await page.evaluate(() => document.querySelector('#boot .drop-zone').getBoundingClientRect().top);
  release();
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await page.waitForSelector('[data-testid=engine-notice]');
  assert.equal(await page.locator('#boot').count(), 0, 'the app took over');
  const app = await page.evaluate(() => document.querySelector('[data-testid=drop-zone]').getBoundingClientRect().top);
  assert.equal(app, boot, 'the drop zone is where the static page drew it');
  const shift = await page.evaluate(() => window.__shifts.reduce((a, b) => a + b, 0));
  assert.ok(shift < 0.02, `layout shift ${shift}`);
  await page.close();
});

test('history survives a reload, reopens, deletes one and clears all', { timeout: 240_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const painted = await resultPixels(page);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 1);
  await setRange(page, 'strength-slider', 100);
  const styles = servedManifest().styles;
  await page.click(`[data-testid=style-card-${styles[1].id}]`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 2);

  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 2, null, { timeout: 60_000 });
  // The last painting comes back by itself after a reload.
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 30_000 });
  assert.match(await page.getAttribute('[data-testid=result-image]', 'data-job'), /^history-\d+$/);
  assert.equal(await page.getAttribute(`[data-testid=style-card-${styles[1].id}]`, 'aria-pressed'), 'true', 'with its settings');
  // Newest first: the second entry in the list is the first painting.
  const autoReopened = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.locator('[data-testid=history-item]').nth(1).click();
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, autoReopened);
  assert.match(await page.getAttribute('[data-testid=result-image]', 'data-job'), /^history-\d+$/);
  assert.deepEqual((await resultPixels(page)).rgba, painted.rgba, 'the reopened picture is the painted one');

  // A reopened photo is the one another style paints (not the last file chosen).
  let reopened = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.click(`[data-testid=style-card-${styles[2].id}]`);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, reopened, { timeout: 120_000 });
  assert.equal((await resultPixels(page)).width, painted.width);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 3);
  await page.locator('[data-testid=history-delete]').first().click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 2);
  reopened = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.click(`[data-testid=style-card-${styles[0].id}]`);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, reopened, { timeout: 120_000 });
  await page.waitForTimeout(500);
  assert.equal(await page.locator('[data-testid=history-item]').count(), 2, 'the first painting again: it replaced its entry');

  // The same photo painted again with the same settings (after the reload, so not from the
  // worker's cache): it replaces its entry instead of adding a duplicate.
  reopened = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, reopened, { timeout: 120_000 });
  await page.waitForTimeout(500);
  assert.equal(await page.locator('[data-testid=history-item]').count(), 2, 'no duplicate entry');
  assert.match(await page.getAttribute('[data-testid=history-delete] >> nth=0', 'aria-label'), /^Delete .*gradient_64x48\.png/);

  await page.locator('[data-testid=history-delete]').first().click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 1);
  // Clearing asks first: "keep" keeps, "delete all" clears.
  await page.click('[data-testid=history-clear]');
  assert.match(await page.locator('[data-testid=history-confirm]').textContent(), /Delete the painting kept on this device\?/);
  await page.click('[data-testid=history-clear-no]');
  assert.equal(await page.locator('[data-testid=history-item]').count(), 1, 'kept');
  await page.click('[data-testid=history-clear]');
  await page.click('[data-testid=history-clear-yes]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 0);
  await page.reload();
  await page.waitForSelector('[data-testid=drop-zone]');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('[data-testid=history-item]').count(), 0, 'cleared for good');
  await context.close();
});

test('share hands the browser a PNG file, and is offered only where files can be shared', { timeout: 180_000 }, async () => {
  // Headless Chromium cannot share files: no Share button. Then a stand-in navigator.share.
  const plain = await openWithPhoto();
  assert.equal(await plain.locator('[data-testid=download-png]').count(), 1);
  assert.equal(await plain.locator('[data-testid=share-button]').count(), 0, 'no button that can only fail');
  await plain.close();

  const page = await openWithPhoto(undefined, () => {
    navigator.canShare = (data) => Array.isArray(data.files) && data.files.length > 0;
    navigator.share = async (data) => {
      const file = data.files[0];
      const bytes = new Uint8Array(await file.arrayBuffer());
      window.sharedFile = { name: file.name, type: file.type, head: Array.from(bytes.slice(0, 24)) };
    };
  });
  await page.click('[data-testid=share-button]');
  await page.waitForFunction(() => window.sharedFile);
  const shared = await page.evaluate(() => window.sharedFile);
  assert.equal(shared.type, 'image/png');
  assert.match(shared.name, /^gradient_64x48-.+\.png$/);
  const head = Buffer.from(shared.head);
  assert.deepEqual([head.readUInt32BE(16), head.readUInt32BE(20)], [64, 48]);
  await page.close();
});

/** A File made in the page from the fixture photo's bytes, for drop and paste. */
async function pageFile(page) {
  const bytes = [...readFileSync(PHOTO)];
  return page.evaluateHandle((data) => new File([new Uint8Array(data)], 'dropped.png', { type: 'image/png' }), bytes);
}

/** Drop a page-side File on the drop zone, as a drag and drop from the desktop does. */
async function dropFile(page, file) {
  await page.evaluate((f) => {
    const transfer = new DataTransfer();
    transfer.items.add(f);
    document.querySelector('[data-testid=drop-zone]').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, file);
}

test('a photo can be dropped on the page or pasted', { timeout: 240_000 }, async () => {
  const page = await browser.newPage();
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  const file = await pageFile(page);
  await dropFile(page, file);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const dropped = await job(page);

  await page.evaluate((f) => {
    const transfer = new DataTransfer();
    transfer.items.add(f);
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }));
  }, file);
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, dropped, { timeout: 120_000 });
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  await page.close();
});

test('cancel stops a long run at once without reloading anything; paintings already made come back from the cache', { timeout: 300_000 }, async () => {
  const page = await openWithPhoto();
  const before = await resultPixels(page);
  // A 2400 x 1800 photo at "Original" size: tiled, many passes on the CPU engine.
  const big = await page.evaluateHandle(async () => {
    const canvas = new OffscreenCanvas(2400, 1800);
    const ctx = canvas.getContext('2d');
    const gradient = ctx.createLinearGradient(0, 0, 2400, 1800);
    gradient.addColorStop(0, '#d35400'); gradient.addColorStop(1, '#2c3e50');
    ctx.fillStyle = gradient; ctx.fillRect(0, 0, 2400, 1800);
    return new File([await canvas.convertToBlob({ type: 'image/png' })], 'big.png', { type: 'image/png' });
  });
  const styles = servedManifest().styles.map((s) => s.id);
  const repaint = async (action) => {
    const from = await job(page);
    const started = Date.now();
    await action();
    await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, from, { timeout: 120_000 });
    return Date.now() - started;
  };
  // The smallest brush paints at full resolution: passes long enough to cancel.
  await repaint(() => page.locator('[data-testid=brush-slider]').fill('-2'));
  await repaint(() => page.selectOption('[data-testid=size-select]', '4096'));
  const sizedJob = await job(page);
  const sized = await resultPixels(page);
  // The same small painting with a style not painted yet: how long it takes with an idle worker.
  const idle = await repaint(() => page.click(`[data-testid=style-card-${styles[1]}]`));

  const packageRequests = [];
  page.on('request', (r) => { if (r.url().includes('/models/')) packageRequests.push(r.url()); });
  await dropFile(page, big);
  await page.waitForSelector('[data-testid=cancel-button]:visible', { timeout: 30_000 });
  await page.waitForTimeout(1000); // the whole run takes about 7 s here
  await page.click('[data-testid=cancel-button]');
  assert.equal(await page.locator('[data-testid=progress]').isVisible(), false, 'no progress after cancel');
  assert.equal(await page.getAttribute('[data-testid=engine-badge]', 'data-state'), 'ready', 'the engine stays loaded');
  assert.notEqual(await job(page), sizedJob);
  assert.equal((await resultPixels(page)).width, before.width, 'the previous picture stays');
  // Had the cancelled run gone on, this painting would wait for the rest of it (5 s or more).
  const afterCancel = await repaint(() => page.click(`[data-testid=style-card-${styles[2]}]`));
  console.log(`# repaint after cancel: ${afterCancel} ms (idle worker: ${idle} ms)`);
  assert.ok(afterCancel < idle + 2000, `after cancel ${afterCancel} ms, idle ${idle} ms: the cancelled run still held the worker`);
  assert.equal((await resultPixels(page)).width, 64, 'the cancelled photo is not shown: the re-run paints the shown one');
  assert.deepEqual(packageRequests, [], 'nothing reloaded');
  assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-cached'), 'false');

  // Back to the first style at the same brush and size: the same painting, from the cache.
  await repaint(() => page.click(`[data-testid=style-card-${styles[0]}]`));
  assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-cached'), 'true');
  assert.deepEqual((await resultPixels(page)).rgba, sized.rgba);
  assert.equal(await page.locator('[data-testid=error-message]').count(), 0);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-png]')]);
  assert.match(download.suggestedFilename(), /^gradient_64x48-/);
  await page.close();
});

test('the brush slider repaints with larger strokes, and is remembered and kept in history', { timeout: 300_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  // A 640 x 480 photo with detail at every scale, so the working resolution matters.
  const photo = await page.evaluateHandle(async () => {
    const canvas = new OffscreenCanvas(640, 480);
    const ctx = canvas.getContext('2d');
    for (let i = 0; i < 400; i++) {
      ctx.fillStyle = `hsl(${(i * 47) % 360} 70% ${30 + (i * 13) % 50}%)`;
      ctx.fillRect((i * 97) % 640, (i * 61) % 480, 8 + (i * 7) % 90, 8 + (i * 11) % 70);
    }
    return new File([await canvas.convertToBlob({ type: 'image/png' })], 'blocks.png', { type: 'image/png' });
  });
  await dropFile(page, photo);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const fine = await resultPixels(page);
  const fineJob = await job(page);
  assert.deepEqual([fine.width, fine.height], [640, 480]);

  await page.locator('[data-testid=brush-slider]').fill('2'); // log2: brush 4
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, fineJob, { timeout: 120_000 });
  const coarse = await resultPixels(page);
  assert.deepEqual([coarse.width, coarse.height], [640, 480], 'same picture size');
  assert.ok(meanDiff(fine.rgba, coarse.rgba) > 2, 'a larger brush paints differently');
  assert.match(await page.locator('[data-testid=brush-value]').textContent(), /4\.00/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 2);

  // Remembered on the device, and each history entry keeps its own brush.
  await page.reload();
  await page.waitForSelector('[data-testid=brush-slider]');
  assert.equal(await page.inputValue('[data-testid=brush-slider]'), '2');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 2, null, { timeout: 60_000 });
  // The newest painting comes back by itself after the reload; then the first one is reopened.
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 30_000 });
  const autoReopened = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.locator('[data-testid=history-item]').nth(1).click(); // the first painting, brush 1
  await page.waitForFunction((j) => { const c = document.querySelector('[data-testid=result-image]'); return c.dataset.job !== j && c.dataset.state === 'ready'; }, autoReopened);
  assert.equal(await page.inputValue('[data-testid=brush-slider]'), '0');
  await context.close();
});
