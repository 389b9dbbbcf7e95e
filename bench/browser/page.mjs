// One benchmark configuration per page load: bench/browser/run.mjs opens this page in a fresh
// browser and calls window.benchRun({ engine, side, reps }). Atelier and onnxruntime-web run the
// same generator (the package's int8 weights expanded to float32) on the same input.
const MODELS = '/models/';

/** The same synthetic photo for every engine: a smooth gradient with some texture, 0..1, NCHW. */
function content(side) {
  const plane = side * side;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = y * side + x;
      data[i] = x / side;
      data[plane + i] = y / side;
      data[2 * plane + i] = 0.5 + 0.5 * Math.sin((x + 2 * y) / 7);
    }
  }
  return data;
}

/** The same picture as an RGBA PNG, for the app's whole pipeline. */
async function contentPng(side) {
  const tensor = content(side);
  const plane = side * side;
  const rgba = new Uint8ClampedArray(4 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(tensor[c * plane + i] * 255);
    rgba[4 * i + 3] = 255;
  }
  const canvas = new OffscreenCanvas(side, side);
  canvas.getContext('2d').putImageData(new ImageData(rgba, side, side), 0, 0);
  return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
}

async function fetchJson(url) { return (await fetch(url)).json(); }
async function fetchBytes(url) { return new Uint8Array(await (await fetch(url)).arrayBuffer()); }

/** Style feeds for onnxruntime from the package's parameter table, as Atelier builds them. */
async function ortStyleFeeds(ort, manifest, styleId) {
  const table = new Float32Array((await fetchBytes(MODELS + manifest.network.style_params.file)).buffer);
  const perStyle = manifest.network.style_inputs.reduce((n, e) => n + e.channels, 0);
  const index = manifest.styles.find((s) => s.id === styleId).index;
  const feeds = {};
  let offset = index * perStyle;
  for (const entry of manifest.network.style_inputs) {
    feeds[entry.name] = new ort.Tensor('float32', table.slice(offset, offset + entry.channels), [1, entry.channels, 1, 1]);
    offset += entry.channels;
  }
  return feeds;
}

/** A runner: `open()` loads everything (counted in the cold time), `pass()` runs once. */
async function makeRunner(engine, side) {
  const manifest = await fetchJson(MODELS + 'manifest.json');
  const style = manifest.styles[0].id;
  const input = content(side);
  if (engine.startsWith('atelier')) {
    const { default: init, Atelier } = await import('/js/atelier.js');
    let atelier;
    const backend = engine === 'atelier-cpu' ? 'cpu' : 'webgpu';
    const tiled = engine === 'atelier-webgpu-tiled';
    const png = tiled ? await contentPng(side) : null;
    return {
      async open() { await init(); atelier = await Atelier.load(MODELS, backend); },
      async pass() {
        if (tiled) return (await atelier.stylize(png, style, side)).rgba;
        return atelier.runPass(style, input, side, side);
      },
      info: () => ({ backend: atelier.backend, adapter: atelier.adapter }),
    };
  }
  const ort = await import('/ort/ort.all.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  // 'ort-wasm': one thread, as on a page that is not cross-origin isolated (said explicitly
  // rather than left to the fallback). 'ort-wasm-threads': as many threads as Atelier's threaded
  // worker takes (every core, at most 8); the benchmark server isolates the page for it.
  ort.env.wasm.numThreads = engine === 'ort-wasm-threads' ? Math.min(navigator.hardwareConcurrency, 8) : 1;
  const provider = engine === 'ort-webgpu' ? 'webgpu' : 'wasm';
  let session; let feeds;
  return {
    async open() {
      const model = await fetchBytes('/bench-data/generator-f32.onnx');
      session = await ort.InferenceSession.create(model, { executionProviders: [provider], graphOptimizationLevel: 'all' });
      feeds = await ortStyleFeeds(ort, manifest, style);
      feeds.content = new ort.Tensor('float32', input, [1, 3, side, side]);
    },
    async pass() {
      const out = await session.run(feeds);
      return out.stylized.data;
    },
    info: () => ({ backend: provider, threads: ort.env.wasm.numThreads }),
  };
}

/** Every 97th value of the output, for the cross-engine agreement check. */
function sample(values) {
  const out = [];
  for (let i = 0; i < values.length; i += 97) out.push(values[i]);
  return out;
}

window.benchRun = async ({ engine, side, reps }) => {
  const runner = await makeRunner(engine, side);
  const t0 = performance.now();
  await runner.open();
  const first = await runner.pass();
  const coldMs = performance.now() - t0;
  const warm = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await runner.pass();
    warm.push(performance.now() - t);
  }
  return { engine, side, coldMs, warm, info: runner.info(), sample: sample(first) };
};
document.querySelector('[data-testid=bench-ready]').hidden = false;
