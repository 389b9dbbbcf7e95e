// Keyboard shortcuts: arrows change the painting, holding O shows the original, Ctrl+S saves,
// + - 0 zoom, F goes full screen; a focused slider keeps its arrows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage, servedManifest } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const pressed = (page, id) => page.getAttribute(`[data-testid=style-card-${id}]`, 'aria-pressed');
const job = (page) => page.getAttribute('[data-testid=result-image]', 'data-job');

async function paintedAfter(page, previousJob) {
  await page.waitForFunction((prev) => {
    const canvas = document.querySelector('[data-testid=result-image]');
    return canvas.dataset.state === 'ready' && canvas.dataset.job !== prev;
  }, previousJob, { timeout: 120_000 });
}

test('arrows, hold O, Ctrl+S, + - 0 and F', { timeout: 240_000 }, async () => {
  const ids = servedManifest().styles.map((s) => s.id);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchPage(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  assert.equal(await pressed(page, ids[0]), 'true');

  // Right arrow: the next painting is chosen, painted, and its card has the focus.
  let before = await job(page);
  await page.keyboard.press('ArrowRight');
  await paintedAfter(page, before);
  assert.equal(await pressed(page, ids[1]), 'true');
  assert.equal(await pressed(page, ids[0]), 'false');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), `style-card-${ids[1]}`);
  // Left arrow from the first wraps round to the last.
  before = await job(page);
  await page.keyboard.press('ArrowLeft');
  await paintedAfter(page, before);
  assert.equal(await pressed(page, ids[0]), 'true');
  before = await job(page);
  await page.keyboard.press('ArrowLeft');
  await paintedAfter(page, before);
  assert.equal(await pressed(page, ids[ids.length - 1]), 'true');

  // Hold O: the painting steps aside for the original, and comes back on release.
  const afterVisibility = () => page.evaluate(() => getComputedStyle(document.querySelector('canvas.after')).visibility);
  assert.equal(await afterVisibility(), 'visible');
  await page.keyboard.down('o');
  await page.waitForSelector('[data-testid=compare][data-peek=true]');
  assert.equal(await afterVisibility(), 'hidden');
  await page.keyboard.up('o');
  await page.waitForSelector('[data-testid=compare][data-peek=false]');
  assert.equal(await afterVisibility(), 'visible');

  // Ctrl+S downloads the painting (not the page).
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Control+s')]);
  assert.match(download.suggestedFilename(), /\.png$/);

  // + and - zoom about the middle of the view, 0 fits the picture again.
  const zoomLevel = () => page.locator('[data-testid=zoom-level]').textContent();
  await page.keyboard.press('+');
  await page.waitForSelector('[data-testid=compare][data-zoom="1.250"]');
  assert.equal(await zoomLevel(), '125 %');
  await page.keyboard.press('=');
  await page.waitForFunction(() => document.querySelector('[data-testid=zoom-level]')?.textContent === '156 %');
  await page.keyboard.press('-');
  await page.waitForSelector('[data-testid=compare][data-zoom="1.250"]');
  await page.keyboard.press('0');
  await page.waitForSelector('[data-testid=compare][data-zoom=fit]');
  assert.equal(await page.locator('[data-testid=zoom-level]').count(), 0);

  // F puts the picture full screen and F again leaves; the button does the same.
  const fullScreen = () => page.evaluate(() => document.fullscreenElement?.dataset.testid ?? null);
  await page.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement !== null);
  assert.equal(await fullScreen(), 'compare');
  await page.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement === null);
  await page.click('[data-testid=fullscreen-toggle]');
  await page.waitForFunction(() => document.fullscreenElement !== null);
  assert.equal(await fullScreen(), 'compare');
  // (Esc is the browser's own way out; a page's synthetic Escape does not reach it headless.)
  await page.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement === null);

  // A focused slider keeps its arrows: the painting stays.
  const styleBefore = await pressed(page, ids[ids.length - 1]);
  await page.focus('[data-testid=strength-slider]');
  const strength = await page.inputValue('[data-testid=strength-slider]');
  await page.keyboard.press('ArrowLeft');
  assert.notEqual(await page.inputValue('[data-testid=strength-slider]'), strength, 'the slider moved');
  assert.equal(await pressed(page, ids[ids.length - 1]), styleBefore, 'the style did not change');
  await page.close();
});
