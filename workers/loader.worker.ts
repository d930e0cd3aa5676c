// Dedicated worker running the loader (src/loader/loader-worker.ts); its read workers are nested
// dedicated workers.
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { createLoaderWorkerApi } from '../src/loader/loader-worker.ts';
import { spawnReadWorker } from '../src/loader/read-workers.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

installFastBlosc();
exposeWorkerApi(createLoaderWorkerApi(() => spawnReadWorker('loader read')));
