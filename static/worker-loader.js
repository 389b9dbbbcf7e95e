// The inference worker's first script (src/web/app.rs spawns it): picks which build of the worker
// runs. The threaded build (worker_mt, scripts/build-threads.sh) needs shared memory, which a
// browser gives only to a cross-origin isolated page (the service worker makes it one, see
// sw.template.js); everywhere else, and wherever the threaded build is missing or fails to start
// (no such file, no memory for it), the single-threaded build runs. `?threads=1` asks for it too,
// for comparisons. Both builds register the same gloo worker, so the page cannot tell but by
// the engine's thread count.
(async () => {
  const single = new URLSearchParams(self.location.search).get("threads") === "1";
  if (!single && self.crossOriginIsolated && typeof SharedArrayBuffer === "function") {
    try {
      importScripts("./worker_mt.js");
      await wasm_bindgen_mt({ module_or_path: "./worker_mt_bg.wasm" });
      return;
    } catch (error) {
      console.warn(`Atelier: the threaded engine did not start (${error}); using one thread`);
    }
  }
  importScripts("./worker.js");
  await wasm_bindgen({ module_or_path: "./worker_bg.wasm" });
})();
