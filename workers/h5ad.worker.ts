// Dedicated worker: reads a dropped .h5ad File (src/source/h5ad-worker-api.ts).
import { exposeWorkerApi } from '../src/rpc/expose.ts';
import { createH5adWorkerApi } from '../src/source/h5ad-worker-api.ts';

exposeWorkerApi(createH5adWorkerApi());
