// A zarr store's format, asked of public/probe-sw.js before the store is opened, so that the one
// root document a store lacks (zarr.json of a v2 store) is missed in that worker and not as an
// error line in the page's console. Anything in the way — no service workers (an insecure page, a
// privacy setting), a host without the script, a slow answer — gives undefined, and the reader
// probes for itself as before.
import type { ZarrFormat } from '../source/index.ts';

const answerTimeoutMs = 5000;

const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);

const workers = new Map<string, Promise<ServiceWorker | undefined>>();

/** The probe worker at `script` (registered once per page, under a scope of its own), once active. */
function probeWorker(script: string): Promise<ServiceWorker | undefined> {
  let worker = workers.get(script);
  if (!worker) {
    worker = (async () => {
      const container = globalThis.navigator?.serviceWorker;
      if (!container) return undefined;
      try {
        const registration = await container.register(script, { scope: new URL('probe-sw-scope/', script).href });
        const candidate = registration.active ?? registration.waiting ?? registration.installing;
        if (!candidate) return undefined;
        if (candidate.state !== 'activated') {
          await new Promise<void>((resolve, reject) => {
            candidate.addEventListener('statechange', () => (candidate.state === 'activated' ? resolve() : candidate.state === 'redundant' && reject(new Error('redundant'))));
          });
        }
        return candidate;
      } catch {
        return undefined;
      }
    })();
    workers.set(script, worker);
  }
  return worker;
}

/** The format of the store at `url` (3: zarr.json answers, 2: .zmetadata does), or undefined when the probe worker cannot tell. */
export async function probeZarrFormat(url: string, script: string): Promise<ZarrFormat | undefined> {
  const worker = await within(probeWorker(script), answerTimeoutMs);
  if (!worker) return undefined;
  const channel = new MessageChannel();
  const answer = new Promise<ZarrFormat | undefined>((resolve) => {
    channel.port1.onmessage = (event: MessageEvent<{ format?: ZarrFormat }>) => resolve(event.data?.format);
  });
  worker.postMessage({ url }, [channel.port2]);
  const format = await within(answer, answerTimeoutMs);
  channel.port1.close();
  return format;
}
