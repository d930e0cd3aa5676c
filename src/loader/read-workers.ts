// The browser's read workers and the chunk cache under them, in one place: the loader worker and
// the training worker spawn their pools' workers here and resolve their `cache` option here.
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { CacheSettings, ReadWorkerApi } from './read-worker.ts';
import type { SpawnedWorker } from './worker-pool.ts';

/** The chunk cache when none is chosen: this origin's OPFS directory 'trvae-cache', 2 GiB in all. */
export const defaultCacheSettings = { kind: 'opfs', location: 'trvae-cache', budgetBytes: 2 * 2 ** 30 } as const satisfies CacheSettings;

/** A `cache` option as the settings to open: absent → the default, false → no cache. */
export function cacheSettings(option: CacheSettings | false | undefined): CacheSettings | undefined {
  return option === false ? undefined : (option ?? defaultCacheSettings);
}

/** A read worker (workers/loader-read.worker.ts) in a dedicated worker; `name` shows in the browser's tools. */
export function spawnReadWorker(name = 'loader read'): SpawnedWorker {
  const worker = new Worker(new URL('../../workers/loader-read.worker.ts', import.meta.url), { type: 'module', name });
  return { api: wrapWorkerApi<ReadWorkerApi>(worker), terminate: () => worker.terminate() };
}
