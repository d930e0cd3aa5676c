// Tells the app a zarr store's format before it opens the store: a v2 store differs from a v3 one
// only in its root document (.zmetadata or zarr.json), so one of the two asked for is missing —
// and a 404 fetched by the page is a red error line in its console. Fetched here, the miss stays
// in this worker. The page registers it under a scope of its own, so it controls no page and
// intercepts nothing; it answers messages { url } on the port sent with them: { format: 2 | 3 }
// when the store's consolidated root answers, {} otherwise (then the page probes as before).
self.addEventListener('install', () => self.skipWaiting());

async function answers(url) {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false; // CORS, a refused connection: the page's own probe names the problem
  }
}

self.addEventListener('message', (event) => {
  const port = event.ports[0];
  const url = event.data?.url;
  if (!port || typeof url !== 'string') return;
  const root = url.replace(/\/+$/, '');
  event.waitUntil(
    Promise.all([answers(`${root}/zarr.json`), answers(`${root}/.zmetadata`)]).then(([v3, v2]) => port.postMessage(v3 ? { format: 3 } : v2 ? { format: 2 } : {})),
  );
});
