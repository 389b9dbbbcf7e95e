// Atelier's service worker (written into the build by scripts/postbuild.py).
// One cache per build: installing fetches every file of the build from the network (never from
// the HTTP cache, which may hold another build's copies), and until the visitor accepts a new
// build, the old one keeps serving whole: an open tab never gets files from two builds. Nothing is
// fetched from, or sent to, any other origin.
const VERSION = "__VERSION__";
const CACHE = `atelier-${VERSION}`;
const FILES = __FILES__;
// Files kept once fetched rather than installed with the app (the loss network, for learning a
// painting: only visitors who learn one download it).
const ON_DEMAND = __ON_DEMAND__;

self.addEventListener("install", (event) => {
  // No skipWaiting here: a new build waits until the page asks for it ("skip-waiting" below).
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" })))));
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("atelier-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Every response goes out with the headers that make the page cross-origin isolated, which a
// static host cannot be asked to send: only then does the browser give it shared memory, and the
// CPU engine its threads (static/worker-loader.js). Nothing here loads from another origin, so
// requiring CORP of other origins' resources costs nothing. A first visit is not isolated (this
// worker does not control it yet); every later one is.
function isolated(response) {
  if (response.type === "opaque" || response.type === "opaqueredirect" || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Embedder-Policy", "require-corp");
  headers.set("Cross-Origin-Resource-Policy", "same-origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(serve(request).then(isolated));
});

async function serve(request) {
  const cache = await caches.open(CACHE);
  const key = request.mode === "navigate" ? "./" : request;
  // A page that found a cached file damaged (a model failing its sha256) asks again with
  // cache: "reload": fetch it from the network and repair the cache with it.
  if (request.cache === "reload" && request.mode !== "navigate") {
    const fresh = await fetch(request);
    if (fresh.ok && (await cache.match(key, { ignoreSearch: true }))) await cache.put(key, fresh.clone());
    return fresh;
  }
  const cached = await cache.match(key, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  const path = new URL(request.url).pathname.slice(new URL(self.registration.scope).pathname.length);
  if (response.ok && ON_DEMAND.includes(path)) await cache.put(key, response.clone());
  return response;
}

