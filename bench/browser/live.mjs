// The live camera view in the page (issue 34): painted frames per second and flicker, with
// Chromium's fake camera playing a clip made from a photo: the same still picture in every frame
// with fresh camera-like noise (Gaussian, sigma 3 levels per channel). Flicker is the mean
// change between consecutive painted frames against the camera's own change between
// consecutive frames, both read in the page at the live size. On the CPU path with threads (the
// second visit, cross-origin isolated by the service worker), on one thread, and on SwiftShader's
// WebGPU (software: NOT a GPU figure). The app as built in dist/ (trunk build).
// Usage: node bench/browser/live.mjs PHOTO [SECONDS] [OUT_DIR]
//   e.g. node bench/browser/live.mjs static/samples/fig.jpg 20 target/bench/live
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchChromium, watchPage, untilServiceWorkerCached, fakeCameraArgs } from '../../tests/browser/harness.mjs';

const [photoPath, seconds = '20', outDir = 'target/bench/live'] = process.argv.slice(2);
if (!photoPath) {
  console.error('usage: node bench/browser/live.mjs PHOTO [SECONDS] [OUT_DIR]');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const server = await startServer();

/** A .y4m clip (640 x 480, 30 frames, looped by Chromium) of the photo with fresh noise per frame. */
async function makeClip(file) {
  const maker = await launchChromium({ webgpu: false });
  const page = await maker.newPage();
  const bytes = fs.readFileSync(photoPath);
  const rgba = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/jpeg;base64,${b64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(640, 480);
    const ctx = canvas.getContext('2d');
    // Cover 640 x 480, centred.
    const scale = Math.max(640 / bitmap.width, 480 / bitmap.height);
    ctx.drawImage(bitmap, (640 - bitmap.width * scale) / 2, (480 - bitmap.height * scale) / 2, bitmap.width * scale, bitmap.height * scale);
    return Array.from(ctx.getImageData(0, 0, 640, 480).data);
  }, bytes.toString('base64'));
  await maker.close();
  let seed = 12345;
  const uniform = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed + 0.5) / 2147483648; };
  const gaussian = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const [w, h] = [640, 480];
  const parts = [Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < 30; f++) {
    const y = Buffer.alloc(w * h), u = Buffer.alloc(w * h / 4), v = Buffer.alloc(w * h / 4);
    const us = new Float32Array(w * h), vs = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const r = rgba[4 * i] + 3 * gaussian(), g = rgba[4 * i + 1] + 3 * gaussian(), b = rgba[4 * i + 2] + 3 * gaussian();
      y[i] = Math.max(0, Math.min(255, Math.round(0.299 * r + 0.587 * g + 0.114 * b)));
      us[i] = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
      vs[i] = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
    }
    for (let j = 0; j < h / 2; j++) for (let i = 0; i < w / 2; i++) {
      const k = 2 * j * w + 2 * i;
      const mean = (a) => (a[k] + a[k + 1] + a[k + w] + a[k + w + 1]) / 4;
      u[j * w / 2 + i] = Math.max(0, Math.min(255, Math.round(mean(us))));
      v[j * w / 2 + i] = Math.max(0, Math.min(255, Math.round(mean(vs))));
    }
    parts.push(Buffer.from('FRAME\n'), y, u, v);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

const clip = path.resolve(outDir, 'still-noisy.y4m');
await makeClip(clip);

async function run(label, query, webgpu) {
  const browser = await launchChromium({ webgpu, args: fakeCameraArgs(clip) });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watchPage(page);
  await page.goto(server.url + query);
  await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 120_000 });
  if (label.startsWith('CPU, threads')) {
    await untilServiceWorkerCached(page);
    await page.reload();
    await page.waitForFunction(() => /threads/.test(document.querySelector('[data-testid=engine-badge]')?.textContent ?? ''), null, { timeout: 120_000 });
  }
  const badge = (await page.textContent('[data-testid=engine-badge]')).trim();
  await page.click('[data-testid=live-camera]');
  // Settle (the size finds its step, the steadying its noise level), then measure.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=live-canvas]')?.dataset.frames ?? 0) >= 12, null, { timeout: 300_000 });
  await new Promise((r) => setTimeout(r, 3000));
  const result = await page.evaluate(async (ms) => {
    const canvas = document.querySelector('[data-testid=live-canvas]');
    const video = document.querySelector('[data-testid=live-video]');
    const read = (source) => {
      const c = document.createElement('canvas');
      c.width = canvas.width; c.height = canvas.height;
      const ctx = c.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(source, 0, 0, c.width, c.height);
      return ctx.getImageData(0, 0, c.width, c.height).data;
    };
    const change = (a, b) => {
      if (!a || !b || a.length !== b.length) return null;
      let s = 0;
      for (let i = 0; i < a.length; i += 4) s += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      return s / (3 * a.length / 4);
    };
    const start = performance.now();
    const startFrames = Number(canvas.dataset.frames);
    let lastFrames = startFrames, lastPainted = null, lastCamera = null;
    const painted = [], camera = [], paintMs = [];
    while (performance.now() - start < ms) {
      await new Promise((r) => requestAnimationFrame(r));
      const frames = Number(canvas.dataset.frames);
      if (frames === lastFrames) continue;
      lastFrames = frames;
      paintMs.push(Number(canvas.dataset.paintMs));
      const p = read(canvas), c = read(video);
      const dp = change(p, lastPainted), dc = change(c, lastCamera);
      if (dp !== null) painted.push(dp);
      if (dc !== null && dc > 0) camera.push(dc);
      lastPainted = p; lastCamera = c;
    }
    const seconds = (performance.now() - start) / 1000;
    const mean = (a) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
    return {
      fps: (Number(canvas.dataset.frames) - startFrames) / seconds,
      size: `${canvas.width}x${canvas.height}`,
      painted: mean(painted), camera: mean(camera), pairs: painted.length, paintMs: mean(paintMs),
      rate: document.querySelector('[data-testid=live-fps]').textContent,
    };
  }, Number(seconds) * 1000);
  await page.screenshot({ path: path.join(outDir, `${label.replace(/[^a-z0-9]+/gi, '-')}.png`) });
  console.log(`${label} (${badge}): ${result.fps.toFixed(1)} painted frames a second at ${result.size}; `
    + `(the worker ${result.paintMs.toFixed(0)} ms a frame); painted frames change ${result.painted.toFixed(2)} levels, the camera's ${result.camera.toFixed(2)} (${(result.painted / result.camera).toFixed(2)}x, ${result.pairs} pairs); page says "${result.rate}"`);
  await browser.close();
}

try {
  await run('CPU, threads', '', false);
  for (const side of [256, 192, 128]) await run(`CPU, threads, fixed at ${side} px`, `?atelier-live-side=${side}`, false);
  await run('CPU, one thread', '?atelier-threads=1', false);
  // SwiftShader: software WebGPU, not a GPU figure.
  await run('SwiftShader WebGPU (software, not a GPU figure)', '?atelier-gpu=software', true);
} finally {
  await server.close();
}
