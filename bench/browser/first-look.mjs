// Time to first look in the app (dist/, `trunk build`), as a visitor without WebGPU gets it:
// from choosing a photo to (1) the photo on screen and (2) the painting on screen, and then a
// style switch on the same photo. One fresh page per photo; REPS runs each; medians printed.
// Usage: node bench/browser/first-look.mjs PHOTO... [--reps 3]
import path from 'node:path';
import { startServer, launchChromium } from '../../tests/browser/harness.mjs';

const args = process.argv.slice(2);
const repsAt = args.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(args[repsAt + 1]) : 3;
const photos = args.filter((a, i) => !a.startsWith('--') && i !== repsAt + 1);
if (photos.length === 0) {
  console.error('usage: node bench/browser/first-look.mjs PHOTO... [--reps 3]');
  process.exit(2);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const browser = await launchChromium({ webgpu: false });
try {
  for (const photo of photos) {
    const runs = { shown: [], painted: [], restyled: [] };
    for (let r = 0; r < REPS; r++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(server.url);
      await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
      const started = Date.now();
      await page.setInputFiles('[data-testid=image-input]', photo);
      await page.waitForSelector('[data-testid=chosen-photo]', { timeout: 60_000 });
      runs.shown.push(Date.now() - started);
      await page.waitForSelector('[data-testid=result-image][data-state=ready]', { timeout: 300_000 });
      runs.painted.push(Date.now() - started);
      const job = await page.getAttribute('[data-testid=result-image]', 'data-job');
      const card = await page.locator('[data-testid^=style-card-]').nth(3).getAttribute('data-testid');
      const switched = Date.now();
      await page.click(`[data-testid=${card}]`);
      await page.waitForFunction((j) => document.querySelector('[data-testid=result-image]').dataset.job !== j, job, { timeout: 300_000 });
      runs.restyled.push(Date.now() - switched);
      await page.close();
    }
    console.log(`${path.basename(photo)}: photo shown ${median(runs.shown)} ms, painted ${median(runs.painted)} ms, `
      + `another style ${median(runs.restyled)} ms (median of ${REPS}; CPU engine, 1024 px)`);
  }
} finally {
  await browser.close();
  await server.close();
}
