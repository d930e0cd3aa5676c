// Dedicated worker: a read worker of the loader's pool (see src/loader/read-worker.ts). OPFS sync
// access handles are available here, so the chunk cache reads and writes synchronously.
import * as Comlink from 'comlink';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { createReadWorkerApi } from '../src/loader/read-worker.ts';

installFastBlosc();

Comlink.expose(createReadWorkerApi());
