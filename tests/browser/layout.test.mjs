// The studio's layout as a visitor meets it (issue 36): the keyboard reaches the paintings right
// after the photo picker, the desktop panel shows every painting without a scroll box of its own,
// the engine's line covers no control, and on a phone a vertical swipe on the picture scrolls
// instead of moving the divider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, openStudio, servedManifest } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

/** Every visible control the rectangle of `selector` overlaps, other than its own. */
const coveredControls = (page, selector) => page.evaluate((sel) => {
  const box = document.querySelector(sel).getBoundingClientRect();
  const hits = [];
  for (const el of document.querySelectorAll('button, input, select, [data-testid^=style-card]')) {
    if (el.closest(sel) || el.offsetParent === null) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 1 && r.height > 1 && r.left < box.right && r.right > box.left && r.top < box.bottom && r.bottom > box.top) {
      hits.push(el.dataset.testid ?? el.tagName);
    }
  }
  return hits;
}, selector);

test('desktop: the paintings follow the picker for the keyboard, all in view of the panel, and the engine line covers nothing', { timeout: 180_000 }, async () => {
  const page = await openStudio(browser, server.url);
  await page.waitForSelector('[data-testid=engine-notice]');
  assert.deepEqual(await coveredControls(page, '[data-testid=engine-notice]'), [], 'the engine line covers no control');
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });

  await page.focus('[data-testid=image-input]');
  let presses = 0;
  for (; presses < 40; presses++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement?.dataset?.testid ?? '')).startsWith('style-card')) break;
  }
  assert.ok(presses + 1 <= 5, `${presses + 1} Tab presses from the photo picker to the first painting`);

  const styles = servedManifest().styles;
  const gallery = await page.evaluate(() => {
    const g = document.querySelector('.gallery');
    const panel = document.querySelector('.controls').getBoundingClientRect();
    const cards = [...g.querySelectorAll('.style-card')].map((c) => c.getBoundingClientRect());
    return {
      ownScroll: g.scrollHeight > g.clientHeight + 1 && getComputedStyle(g).overflowY !== 'visible',
      cards: cards.length,
      inside: cards.every((r) => r.left >= panel.left && r.right <= panel.right + 0.5),
      visible: cards.every((r) => r.top >= 0 && r.bottom <= innerHeight),
    };
  });
  assert.deepEqual(gallery, { ownScroll: false, cards: styles.length, inside: true, visible: true }, 'every painting in view, none cut');
  await page.close();
});

test('phone: a vertical swipe on the picture leaves the divider, a sideways one moves it; the engine line covers nothing', { timeout: 180_000 }, async () => {
  const page = await openStudio(browser, server.url, { width: 390, height: 844 });
  await page.waitForSelector('[data-testid=engine-notice]');
  assert.deepEqual(await coveredControls(page, '[data-testid=engine-notice]'), [], 'the engine line covers no control');
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const divider = () => page.evaluate(() => document.querySelector('[data-testid=compare]').style.getPropertyValue('--divider'));
  const swipe = (dx, dy) => page.evaluate(({ dx, dy }) => {
    const frame = document.querySelector('[data-testid=compare] .frame');
    const r = frame.getBoundingClientRect();
    const x = r.left + r.width * 0.3, y = r.top + r.height / 2;
    const touch = (type, cx, cy) => frame.dispatchEvent(new PointerEvent(type, {
      pointerId: 21, pointerType: 'touch', isPrimary: true, clientX: cx, clientY: cy, buttons: type === 'pointerup' ? 0 : 1, bubbles: true, cancelable: true,
    }));
    touch('pointerdown', x, y);
    for (let i = 1; i <= 5; i++) touch('pointermove', x + (dx * i) / 5, y + (dy * i) / 5);
    touch('pointerup', x + dx, y + dy);
  }, { dx, dy });
  const start = await divider();
  await swipe(6, 120);
  assert.equal(await divider(), start, 'a vertical swipe scrolls the page, the divider stays');
  await swipe(80, 6);
  assert.notEqual(await divider(), start, 'a sideways swipe moves the divider');
  await page.close();
});
