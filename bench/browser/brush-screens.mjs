// Screenshots of the studio (dist/, CPU engine) painting a large photo at the small, default and
// large brush, for a person to look at: target/brush-screens/page-<brush>.png (the whole page)
// and result-<brush>.png (the picture as downloaded, PNG). Not a test.
// Usage: node bench/browser/brush-screens.mjs PHOTO [--style starry-night] [--size 2048]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launchChromium } from '../../tests/browser/harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PHOTO = process.argv[2];
const STYLE = arg('style', 'starry-night');
const SIZE = arg('size', '2048');
const OUT = path.join(ROOT, 'target/brush-screens');
mkdirSync(OUT, { recursive: true });

const server = await startServer();
const browser = await launchChromium({ webgpu: false });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
page.on('console', (m) => console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await page.goto(server.url);
await page.waitForSelector('[data-testid=engine-badge][data-state=ready]', { timeout: 90_000 });
await page.selectOption('[data-testid=size-select]', SIZE);
await page.click(`[data-testid=style-card-${STYLE}]`);
let job = null;
for (const [label, log2] of [['small', '-1'], ['default', '0'], ['large', '1']]) {
  await page.locator('[data-testid=brush-slider]').fill(log2);
  if (job === null) await page.setInputFiles('[data-testid=image-input]', PHOTO);
  await page.waitForFunction((j) => {
    const el = document.querySelector('[data-testid=result-image]');
    return el.dataset.state === 'ready' && el.dataset.job !== j;
  }, job, { timeout: Number(arg('timeout', '300000')) }).catch(async (e) => { await page.screenshot({ path: path.join(OUT, 'timeout.png') }); throw e; });
  job = await page.getAttribute('[data-testid=result-image]', 'data-job');
  await page.locator('[data-testid=result-image]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, `page-${label}.png`) });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-png]')]);
  await download.saveAs(path.join(OUT, `result-${label}.png`));
  console.log(`${label} brush (slider ${log2}): ${path.join(OUT, `result-${label}.png`)}`);
}
await browser.close();
await server.close();
writeFileSync(path.join(OUT, 'README.txt'), `photo ${PHOTO}, style ${STYLE}, size ${SIZE}\n`);
