// Cross-origin isolation on a static host that cannot send headers (GitHub Pages, an S3 bucket):
// this service worker serves the app's own files with COOP/COEP added, so SharedArrayBuffer and
// ONNX Runtime's threaded WASM work. index.html registers it only when the page is not isolated.
// Requests to other origins (remote zarr stores) pass untouched: they need CORS either way.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
const nullBody = new Set([101, 204, 205, 304]);

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.type === 'opaque' || response.type === 'opaqueredirect') return response;
      const headers = new Headers(response.headers);
      for (const [name, value] of Object.entries(isolation)) headers.set(name, value);
      return new Response(nullBody.has(response.status) ? null : response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
