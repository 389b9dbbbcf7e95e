// The embeddable JS module (target/atelier-js/atelier.js, built by scripts/build-js.sh): what a
// developer's page gets from Atelier.load / stylize, on both backends, and its errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, copyFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage, onnxruntimeReference, compareRgb, servedManifest, gradientPhoto } from './harness.mjs';

const PHOTO = path.join(ROOT, 'tests/fixtures/gradient_64x48.png');
const STYLE = servedManifest().styles[0].id;
let server;
before(async () => { server = await startServer(ROOT); });
after(async () => { await server.close(); });

/** A page on the server's origin with the module imported as `window.atelier`. */
async function modulePage(browser) {
  const page = await browser.newPage();
  watchPage(page);
  await page.goto(`${server.url}models/manifest.json`);
  await page.evaluate(async () => {
    const module = await import('/target/atelier-js/atelier.js');
    await module.default();
    window.atelier = module;
  });
  return page;
}

async function stylizeWith(page, backend) {
  return page.evaluate(async ({ backend, bytes, style }) => {
    const engine = await window.atelier.Atelier.load('/models/', backend);
    const out = await engine.stylize(new Uint8Array(bytes), style, 64);
    return {
      engine: engine.engine, alias: engine.backend, cpuReason: engine.cpuReason, adapter: engine.adapter, ids: engine.styleIds(),
      width: out.width, height: out.height, rgba: Array.from(out.rgba),
    };
  }, { backend, bytes: Array.from(readFileSync(PHOTO)), style: STYLE });
}

/** Stylize the photo through `backend` in a browser with or without WebGPU; check the pixels. */
async function stylizesLikeOnnxruntime({ webgpu, backend, expect, cpuReason = '' }) {
  const browser = await launchChromium({ webgpu });
  try {
    const got = await stylizeWith(await modulePage(browser), backend);
    assert.equal(got.engine, expect);
    assert.equal(got.alias, expect, 'backend: the old name of the same getter');
    assert.equal(got.cpuReason, cpuReason);
    assert.deepEqual(got.ids, servedManifest().styles.map((s) => s.id));
    const diff = compareRgb(got, onnxruntimeReference(STYLE, PHOTO));
    assert.ok(diff.max <= 1, `max difference ${diff.max} levels`);
  } finally {
    await browser.close();
  }
}

test('the CPU backend stylizes a PNG as onnxruntime does', { timeout: 120_000 }, () =>
  stylizesLikeOnnxruntime({ webgpu: false, backend: 'cpu', expect: 'cpu', cpuReason: 'chosen' }));

test("'webgpu' paints on WebGPU (here SwiftShader, software) with the same pixels", { timeout: 180_000 }, () =>
  stylizesLikeOnnxruntime({ webgpu: true, backend: 'webgpu', expect: 'webgpu' }));

// SwiftShader paints a 481x321 photo in 185-217 s where the CPU engine takes 1.6-3 s: 'auto'
// counts a software adapter as no GPU, and says so.
test("'auto' passes over a software WebGPU adapter for the CPU engine, with the same pixels", { timeout: 180_000 }, () =>
  stylizesLikeOnnxruntime({ webgpu: true, backend: 'auto', expect: 'cpu', cpuReason: 'software-gpu' }));

test("'auto' without a WebGPU adapter says why it paints on the CPU", { timeout: 120_000 }, () =>
  stylizesLikeOnnxruntime({ webgpu: false, backend: 'auto', expect: 'cpu', cpuReason: 'no-adapter' }));

test('bad backends, packages and pictures are rejected with a reason', { timeout: 120_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await modulePage(browser);
    const errors = await page.evaluate(async ({ style, photo }) => {
      const reason = (promise) => promise.then(() => 'resolved', (e) => String(e.message ?? e));
      const { Atelier } = window.atelier;
      const engine = await Atelier.load('/models/', 'cpu');
      return {
        backend: await reason(Atelier.load('/models/', 'tpu')),
        webgpu: await reason(Atelier.load('/models/', 'webgpu')),
        missing: await reason(Atelier.load('/no-such-package/', 'cpu')),
        picture: await reason(engine.stylize(new TextEncoder().encode('not a picture'), style, 64)),
        truncated: await reason(engine.stylize(new Uint8Array(photo.slice(0, 100)), style, 64)),
        style: await reason(engine.stylize(new Uint8Array(photo), 'no-such-style', 64)),
        brush: await reason(engine.stylize(new Uint8Array(photo), style, 64, undefined, undefined, 9)),
        brushNaN: await reason(engine.stylize(new Uint8Array(photo), style, 64, undefined, undefined, NaN)),
        brushOk: (await engine.stylize(new Uint8Array(photo), style, 64, undefined, undefined, 2)).width,
        keepSize: await engine.stylize(new Uint8Array(photo), style, 0).then((o) => `${o.width}x${o.height}`),
        strength: await reason(engine.stylize(new Uint8Array(photo), style, 64, undefined, undefined, undefined, 1.5)),
        colourNaN: await reason(engine.stylize(new Uint8Array(photo), style, 64, undefined, undefined, undefined, undefined, NaN)),
        stillUsable: (await engine.runPass(style, new Float32Array(3 * 16 * 16).fill(0.5), 16, 16)).length,
      };
    }, { style: STYLE, photo: Array.from(readFileSync(PHOTO)) });
    assert.match(errors.backend, /unknown engine 'tpu'/);
    assert.match(errors.webgpu, /WebGPU is not usable here/);
    assert.match(errors.missing, /could not download .*manifest\.json: HTTP 404/);
    assert.match(errors.picture, /not an image Atelier can read/);
    assert.match(errors.truncated, /damaged or truncated/);
    assert.match(errors.style, /no-such-style/);
    assert.match(errors.brush, /brush size must be a number from 0.25 to 4, not 9/);
    assert.match(errors.brushNaN, /brush size must be a number from 0.25 to 4/);
    assert.equal(errors.brushOk, 64, 'a brush in range paints');
    assert.equal(errors.keepSize, '64x48', 'max side 0 keeps the photo size, as in the CLI');
    assert.match(errors.strength, /strength must be a number from 0 to 1, not 1.5/);
    assert.match(errors.colourNaN, /preserveColour must be a number from 0 to 1, not NaN/);
    assert.equal(errors.stillUsable, 3 * 16 * 16, 'a failed call leaves the engine usable');
  } finally {
    await browser.close();
  }
});

test('strength and colour preservation act as the studio sliders do', { timeout: 120_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await modulePage(browser);
    const got = await page.evaluate(async ({ style, photo }) => {
      const engine = await window.atelier.Atelier.load('/models/', 'cpu');
      const bytes = new Uint8Array(photo);
      const run = async (...extra) => Array.from((await engine.stylize(bytes, style, 0, undefined, undefined, undefined, ...extra)).rgba);
      // The photo itself, decoded by the browser, to compare strength 0 with.
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return {
        painted: await run(), full: await run(1, 0), none: await run(0), half: await run(0.5), colours: await run(1, 1),
        photo: Array.from(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data),
      };
    }, { style: STYLE, photo: Array.from(readFileSync(PHOTO)) });
    assert.deepEqual(got.full, got.painted, 'strength 1, colour 0: the painting itself');
    assert.deepEqual(got.none, got.photo, 'strength 0: the photo');
    let between = 0, n = 0, colourMoved = 0;
    for (let i = 0; i < got.photo.length; i += 4) {
      for (let c = 0; c < 3; c++) {
        const [p, q, h] = [got.photo[i + c], got.painted[i + c], got.half[i + c]];
        if (Math.abs(h - (p + q) / 2) <= 1) between++;
        n++;
        colourMoved += Math.abs(got.colours[i + c] - q);
      }
    }
    assert.equal(between, n, 'strength 0.5: halfway between photo and painting, every channel');
    assert.ok(colourMoved / n > 1, `colour preservation changes the colours (mean ${colourMoved / n})`);
  } finally {
    await browser.close();
  }
});

test('learn() learns a painting, paints with it, and addStyleFile() takes its file back and refuses others', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await modulePage(browser);
    const got = await page.evaluate(async ({ photo, painting, style }) => {
      const engine = await window.atelier.Atelier.load('/models/', 'cpu');
      const stages = [];
      const learned = await engine.learn(new Uint8Array(painting), 'Sunset\u202e gnp.exe', 1, [new Uint8Array(photo)], (p) => stages.push(p.stage));
      const own = await engine.stylize(new Uint8Array(photo), learned.id, 64);
      const shipped = await engine.stylize(new Uint8Array(photo), style, 64);
      const mixed = await engine.stylize(new Uint8Array(photo), style, 64, learned.id, 1.0);
      const fresh = await window.atelier.Atelier.load('/models/', 'cpu');
      const added = fresh.addStyleFile(learned.file);
      const again = await fresh.stylize(new Uint8Array(photo), added.id, 64);
      const text = new TextDecoder().decode(learned.file);
      const foreign = new TextEncoder().encode(text.replace(/"generator_sha256":"[0-9a-f]+"/, `"generator_sha256":"${'0'.repeat(64)}"`));
      const refusals = [];
      for (const bad of [foreign, new TextEncoder().encode('hello'), new Uint8Array(300 * 1024)]) {
        try { fresh.addStyleFile(bad); refusals.push('accepted'); } catch (e) { refusals.push(String(e.message ?? e)); }
      }
      let tiny;
      try { await engine.learn(new Uint8Array(photo).slice(0, 10), 'x', 0, [new Uint8Array(photo)]); } catch (e) { tiny = String(e.message ?? e); }
      // The painting as learned, to keep for learning it again after an update: a JPEG the
      // learner takes again.
      const relearned = await fresh.learn(learned.painting, 'Sunset again', 0, [new Uint8Array(photo)]);
      const same = (a, b) => a.rgba.every((v, i) => v === b.rgba[i]);
      return {
        paintingHead: Array.from(learned.painting.slice(0, 2)), paintingBytes: learned.painting.length, relearnedId: relearned.id,
        id: learned.id, name: learned.name, added, stages: [...new Set(stages)], fileBytes: learned.file.length,
        ownDiffersFromShipped: !same(own, shipped), mixAllTheWayIsOwn: same(mixed, own), freshPaintsTheSame: same(again, own),
        refusals, tiny,
      };
    }, { photo: Array.from(readFileSync(PHOTO)), painting: Array.from(readFileSync(path.join(ROOT, 'static/samples/fig-thumb.jpg'))), style: STYLE });
    assert.match(got.id, /^own-[0-9a-f]{12}$/);
    assert.equal(got.name, 'Sunset gnp.exe', 'bidi overrides dropped from the name');
    assert.deepEqual(got.added, { id: got.id, name: got.name });
    assert.deepEqual(got.stages, ['first-guess', 'refining']);
    assert.ok(got.fileBytes < 40_000, `${got.fileBytes} bytes`);
    assert.ok(got.ownDiffersFromShipped, 'the learned style paints its own picture');
    assert.ok(got.mixAllTheWayIsOwn, 'a mix at 1.0 with the own style is the own style');
    assert.ok(got.freshPaintsTheSame, 'the style file carries the whole style');
    assert.match(got.refusals[0], /learn the painting again/);
    assert.match(got.refusals[1], /not an Atelier style file/);
    assert.match(got.refusals[2], /more than a style file can be/);
    assert.match(got.tiny, /image|cut short|damaged/i);
    assert.deepEqual(got.paintingHead, [0xff, 0xd8], 'the kept painting is a JPEG');
    assert.ok(got.paintingBytes > 1000 && got.paintingBytes < 100_000, `${got.paintingBytes} bytes`);
    assert.match(got.relearnedId, /^own-[0-9a-f]{12}$/);
  } finally {
    await browser.close();
  }
});

/** The fixture package with the fixture refiner (tests/fixtures/refiner, random weights, no
 * training) named in its manifest, written under target/tmp so the server (rooted at ROOT)
 * serves it; its folder, relative to ROOT. */
function fixturePackageWithRefiner() {
  const rel = 'target/tmp/js-refiner-package';
  const dir = path.join(ROOT, rel);
  mkdirSync(path.join(dir, 'thumbs'), { recursive: true });
  const from = path.join(ROOT, 'tests/fixtures/package');
  const manifest = JSON.parse(readFileSync(path.join(from, 'manifest.json'), 'utf8'));
  for (const file of [manifest.network.generator.file, manifest.network.style_params.file]) copyFileSync(path.join(from, file), path.join(dir, file));
  for (const style of manifest.styles) {
    if (style.thumbnail) copyFileSync(path.join(from, style.thumbnail.file), path.join(dir, style.thumbnail.file));
  }
  const fixture = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/refiner/case.json'), 'utf8'));
  manifest.network.refiner = fixture.entry;
  copyFileSync(path.join(ROOT, 'tests/fixtures/refiner/refiner.f32'), path.join(dir, fixture.entry.file));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return rel;
}

// The detail stage (issue 35) runs in the browser on outputs >= 3x the working side, with the
// native CLI's pixels: the same kernels, bands and position noise compiled to wasm.
test('a package with a refiner adds detail to a large output, as the native CLI does', { timeout: 240_000 }, async () => {
  const native = path.join(ROOT, 'target/debug/atelier');
  assert.ok(existsSync(native), `${native} is built by cargo test (scripts/test.sh runs it first)`);
  const packageDir = fixturePackageWithRefiner();
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await modulePage(browser);
    // A 900 x 600 photo: 3.1x the default 288 px working side.
    const photo = Array.from(await gradientPhoto(page, { width: 900, height: 600, from: '#3a6fd8', to: '#f0c060' }));
    const work = path.join(ROOT, 'target/tmp/js-refiner-run');
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, 'photo.png'), Buffer.from(photo));
    const run = spawnSync(native, ['stylize', '--models', path.join(ROOT, packageDir), '--style', 'fixture-a', '--max-side', '0',
      path.join(work, 'photo.png'), path.join(work, 'native.png')], { encoding: 'utf8' });
    assert.equal(run.status, 0, `atelier stylize: ${run.stderr}`);
    const got = await page.evaluate(async ({ photo, nativePng, packageUrl }) => {
      const decode = async (bytes) => {
        const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
        const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        return { width: bitmap.width, height: bitmap.height, rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
      };
      const withDetail = await (await window.atelier.Atelier.load(packageUrl, 'cpu')).stylize(new Uint8Array(photo), 'fixture-a', 0);
      const plain = await (await window.atelier.Atelier.load('/tests/fixtures/package/', 'cpu')).stylize(new Uint8Array(photo), 'fixture-a', 0);
      const small = await (await window.atelier.Atelier.load(packageUrl, 'cpu')).stylize(new Uint8Array(photo), 'fixture-a', 600);
      const smallPlain = await (await window.atelier.Atelier.load('/tests/fixtures/package/', 'cpu')).stylize(new Uint8Array(photo), 'fixture-a', 600);
      const native = await decode(nativePng);
      let maxNative = 0, offNative = 0, movedByDetail = 0, smallDiffers = 0;
      for (let i = 0; i < withDetail.rgba.length; i++) {
        if (i % 4 === 3) continue;
        const off = Math.abs(withDetail.rgba[i] - native.rgba[i]);
        maxNative = Math.max(maxNative, off);
        offNative += off > 1;
        movedByDetail += Math.abs(withDetail.rgba[i] - plain.rgba[i]);
      }
      for (let i = 0; i < small.rgba.length; i++) smallDiffers += small.rgba[i] !== smallPlain.rgba[i];
      return {
        size: `${withDetail.width}x${withDetail.height}`, nativeSize: `${native.width}x${native.height}`, maxNative, offNative,
        meanMovedByDetail: movedByDetail / (withDetail.width * withDetail.height * 3), smallDiffers,
      };
    }, { photo, nativePng: Array.from(readFileSync(path.join(work, 'native.png'))), packageUrl: `/${packageDir}/` });
    assert.equal(got.size, '900x600');
    assert.equal(got.nativeSize, got.size);
    assert.ok(got.meanMovedByDetail > 2, `the detail stage changes a 3.1x output (mean ${got.meanMovedByDetail} levels)`);
    // The fixture refiner's last layer is scaled x120 so that random weights move the picture:
    // float rounding that differs between wasm's and x86's vector kernels (and the generator's
    // own <= 1 level) is amplified with it, so a handful of values land 2 levels apart.
    assert.ok(got.maxNative <= 2, `the browser's detail stage paints the native CLI's pixels (max difference ${got.maxNative} levels)`);
    assert.ok(got.offNative <= 100, `${got.offNative} of 1,620,000 values more than 1 level from the native CLI's`);
    assert.equal(got.smallDiffers, 0, 'a 600 px output (2.1x the working side) gets no detail stage');
  } finally {
    await browser.close();
  }
});

// Where the detail stage runs (here re-painting: the fixture package has no refiner), the picture
// before it is handed to `onPreview` once, exactly the painting without the stage; where it does
// not run, no preview.
test('stylize hands the picture before the detail stage to onPreview, once, where the stage runs', { timeout: 240_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await modulePage(browser);
    const photo = Array.from(await gradientPhoto(page, { width: 900, height: 600, from: '#3a6fd8', to: '#f0c060' }));
    const got = await page.evaluate(async ({ photo }) => {
      const atelier = await window.atelier.Atelier.load('/tests/fixtures/package/', 'cpu');
      const bytes = new Uint8Array(photo);
      const previews = [];
      const finished = await atelier.stylize(bytes, 'fixture-a', 0, undefined, undefined, undefined, undefined, undefined, true,
        (p) => previews.push({ width: p.width, height: p.height, rgba: Array.from(p.rgba) }));
      const plain = await atelier.stylize(bytes, 'fixture-a', 0, undefined, undefined, undefined, undefined, undefined, false);
      const smallPreviews = [];
      await atelier.stylize(bytes, 'fixture-a', 600, undefined, undefined, undefined, undefined, undefined, true, (p) => smallPreviews.push(p));
      const preview = previews[0];
      let offPlain = 0, offFinished = 0;
      for (let i = 0; i < plain.rgba.length; i++) {
        offPlain += preview.rgba[i] !== plain.rgba[i];
        offFinished += preview.rgba[i] !== finished.rgba[i];
      }
      return { count: previews.length, size: `${preview.width}x${preview.height}`, offPlain, offFinished, smallCount: smallPreviews.length };
    }, { photo });
    assert.equal(got.count, 1, 'one preview');
    assert.equal(got.size, '900x600');
    assert.equal(got.offPlain, 0, 'the preview is the painting without the detail stage');
    assert.ok(got.offFinished > 10_000, `the finished painting has its detail (${got.offFinished} values differ)`);
    assert.equal(got.smallCount, 0, 'a 600 px output (2.1x the working side) has no detail stage, no preview');
  } finally {
    await browser.close();
  }
});

