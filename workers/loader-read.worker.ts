// Dedicated worker: a read worker of the loader's pool (src/loader/read-worker.ts). OPFS sync
// access handles are available here, so the chunk cache reads and writes synchronously.
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { createReadWorkerApi } from '../src/loader/read-worker.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

installFastBlosc();
exposeWorkerApi(createReadWorkerApi());
