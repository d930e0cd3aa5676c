// fetch with retries for idempotent reads: a keep-alive socket closed by the server just as it is
// reused ("other side closed" in Node) or a dropped connection is retried, not fatal to an epoch.

// In a browser the chunk cache (OPFS) is the cache: the HTTP cache is bypassed, which also keeps
// Chromium from stitching cached partial (206) entries into answers to concurrent range requests.
const inBrowser = typeof document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

export function retryingFetch(retries: number, base: (request: Request) => Promise<Response> = (r) => fetch(r)): (request: Request) => Promise<Response> {
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await base(inBrowser ? new Request(request, { cache: 'no-store' }) : request.clone());
      } catch (error) {
        if (attempt >= retries || request.signal.aborted || (request.method !== 'GET' && request.method !== 'HEAD')) throw error;
      }
    }
  };
}
