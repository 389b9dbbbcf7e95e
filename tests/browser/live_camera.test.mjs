// The live camera view (issue 34), with Chromium's fake camera: frames are painted, the style
// and the sliders change them live, "Take picture" paints the frame as a photo of the studio,
// closing releases the camera, and a refused, missing or lost camera is said in the page's
// language while the studio keeps its picture. Nothing leaves the page's origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchChromium, openStudio, fakeCameraArgs } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchChromium({ webgpu: false, args: fakeCameraArgs(undefined, 2) }); });
after(async () => { await browser.close(); await server.close(); });

const framesShown = (page) => page.evaluate(() => Number(document.querySelector('[data-testid=live-canvas]')?.dataset.frames ?? 0));

async function moreFrames(page, count) {
  const now = await framesShown(page);
  await page.waitForFunction((target) => Number(document.querySelector('[data-testid=live-canvas]')?.dataset.frames ?? 0) >= target,
    now + count, { timeout: 60_000 });
}

/** The live canvas's pixels, and the camera's own frame drawn at the same size. */
function pictures(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid=live-canvas]');
    const video = document.querySelector('[data-testid=live-video]');
    const read = (source) => {
      const c = document.createElement('canvas');
      c.width = canvas.width; c.height = canvas.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(source, 0, 0, c.width, c.height);
      return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
    };
    return { painted: read(canvas), camera: read(video), width: canvas.width, height: canvas.height };
  });
}

function meanDifference(a, b) {
  let sum = 0, n = 0;
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) { sum += Math.abs(a[i + c] - b[i + c]); n++; }
  return sum / n;
}

test('the camera is painted live, follows the style and sliders, takes a picture and is released on close', { timeout: 300_000 }, async () => {
  const page = await openStudio(browser, server.url);
  const elsewhere = [];
  page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
  await page.click('[data-testid=live-camera]');
  await page.waitForSelector('[data-testid=live-view]');
  await moreFrames(page, 3);
  assert.match(await page.textContent('[data-testid=live-fps]'), /frames a second at \d+ px/);
  const first = await pictures(page);
  assert.ok(first.width >= 128 && first.width <= 320, `live size ${first.width}x${first.height}`);
  assert.ok(meanDifference(first.painted, first.camera) > 20, 'the frame is painted, not the camera picture');

  // Another style: the frames change with it.
  await page.click('[data-testid=style-card-the-scream]');
  await moreFrames(page, 3);
  const scream = await pictures(page);
  assert.ok(meanDifference(scream.painted, first.painted) > 10, `the style changed the frames by ${meanDifference(scream.painted, first.painted)}`);

  // Strength 0: the camera's own picture.
  await page.fill('[data-testid=strength-slider]', '0');
  await page.dispatchEvent('[data-testid=strength-slider]', 'input');
  await moreFrames(page, 3);
  const photo = await pictures(page);
  assert.ok(meanDifference(photo.painted, photo.camera) < 12, `strength 0 shows the camera: ${meanDifference(photo.painted, photo.camera)}`);
  await page.fill('[data-testid=strength-slider]', '100');
  await page.dispatchEvent('[data-testid=strength-slider]', 'input');

  // Two cameras: the switch goes to the other, and the first is released.
  const trackLabel = () => page.evaluate(() => document.querySelector('[data-testid=live-video]').srcObject?.getTracks()[0]?.label);
  const before = await trackLabel();
  await page.evaluate(() => { window.liveTrack = document.querySelector('[data-testid=live-video]').srcObject.getTracks()[0]; });
  await page.click('[data-testid=live-switch]');
  await page.waitForFunction((label) => {
    const track = document.querySelector('[data-testid=live-video]').srcObject?.getTracks()[0];
    return track && track.label !== label;
  }, before, { timeout: 30_000 });
  await moreFrames(page, 2);
  assert.equal(await page.evaluate(() => window.liveTrack.readyState), 'ended');
  assert.notEqual(await trackLabel(), before);

  // Closing stops the camera's track (the browser's indicator goes off).
  await page.evaluate(() => { window.liveTrack = document.querySelector('[data-testid=live-video]').srcObject.getTracks()[0]; });
  assert.equal(await page.evaluate(() => window.liveTrack.readyState), 'live');
  await page.click('[data-testid=live-close]');
  await page.waitForSelector('[data-testid=live-view]', { state: 'detached' });
  assert.equal(await page.evaluate(() => window.liveTrack.readyState), 'ended');

  // Hiding the tab stops it too.
  await page.click('[data-testid=live-camera]');
  await moreFrames(page, 2);
  await page.evaluate(() => { window.liveTrack = document.querySelector('[data-testid=live-video]').srcObject.getTracks()[0]; });
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForSelector('[data-testid=live-view]', { state: 'detached' });
  assert.equal(await page.evaluate(() => window.liveTrack.readyState), 'ended');
  await page.evaluate(() => { delete document.hidden; });
  assert.equal(await page.evaluate(() => document.hidden), false);

  // Take picture: the frame becomes the studio's photo, painted at full size.
  await page.click('[data-testid=live-camera]');
  await moreFrames(page, 2);
  await page.evaluate(() => { window.liveTrack = document.querySelector('[data-testid=live-video]').srcObject.getTracks()[0]; });
  const camera = await page.evaluate(() => { const v = document.querySelector('[data-testid=live-video]'); return [v.videoWidth, v.videoHeight]; });
  await page.click('[data-testid=live-capture]');
  await page.waitForSelector('[data-testid=live-view]', { state: 'detached', timeout: 30_000 });
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 180_000 });
  assert.match(await page.textContent('[data-testid=file-name]'), /^camera-.*\.png$/);
  const painted = await page.evaluate(() => { const c = document.querySelector('[data-testid=result-image]'); return [c.width, c.height]; });
  assert.equal(painted[0] / painted[1], camera[0] / camera[1], `the painting ${painted} keeps the camera's ${camera}`);
  assert.equal(await page.evaluate(() => window.liveTrack.readyState), 'ended', 'the camera is released after the picture');
  assert.deepEqual(elsewhere, [], 'nothing leaves the page\'s origin');
  await page.close();
});

test('a refused or lost camera is said in the page\'s language and the studio keeps its picture', { timeout: 300_000 }, async () => {
  const page = await openStudio(browser, server.url);
  await page.click('[data-testid=sample-fig]');
  await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 120_000 });
  const job = await page.getAttribute('[data-testid=result-image]', 'data-job');

  // Lost mid-view (unplugged): the track's `ended`.
  await page.click('[data-testid=live-camera]');
  await moreFrames(page, 2);
  await page.evaluate(() => document.querySelector('[data-testid=live-video]').srcObject.getTracks()[0].dispatchEvent(new Event('ended')));
  await page.waitForSelector('[data-testid=live-view]', { state: 'detached' });
  assert.match(await page.textContent('[data-testid=error-message]'), /The camera stopped/);

  // Closed while the browser still asks: the camera that opens after is stopped, not left on.
  await page.evaluate(() => {
    const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => {
      await new Promise((r) => setTimeout(r, 1500));
      window.lateStream = await real(c);
      return window.lateStream;
    };
  });
  await page.click('[data-testid=live-camera]');
  await page.click('[data-testid=live-close]');
  await page.waitForFunction(() => window.lateStream, null, { timeout: 30_000 });
  await page.waitForFunction(() => window.lateStream.getTracks()[0].readyState === 'ended', null, { timeout: 5_000 });

  // Refused, in Chinese.
  await page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await page.click('[data-testid=lang-toggle]');
  await page.click('[data-testid=live-camera]');
  await page.waitForFunction(() => /没有使用相机的权限/.test(document.querySelector('[data-testid=error-message]')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=live-view]').count(), 0);
  // No camera at all.
  await page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
  });
  await page.click('[data-testid=lang-toggle]');
  await page.click('[data-testid=live-camera]');
  await page.waitForFunction(() => /No camera was found/.test(document.querySelector('[data-testid=error-message]')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-job'), job, 'the picture on show stays');
  assert.equal(await page.getAttribute('[data-testid=result-image]', 'data-state'), 'ready');
  await page.close();
});
