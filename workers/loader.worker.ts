// Dedicated worker running the loader (src/loader/loader-worker.ts); it starts its own read
// workers (nested dedicated workers) for the pool.
import * as Comlink from 'comlink';
import type { ReadWorkerApi } from '../src/loader/read-worker.ts';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { createLoaderWorkerApi } from '../src/loader/loader-worker.ts';

installFastBlosc();

Comlink.expose(
  createLoaderWorkerApi(() => {
    const worker = new Worker(new URL('./loader-read.worker.ts', import.meta.url), { type: 'module', name: 'loader read' });
    return { api: Comlink.wrap<ReadWorkerApi>(worker), terminate: () => worker.terminate() };
  }),
);
