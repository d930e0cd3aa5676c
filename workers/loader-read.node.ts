// Node worker thread: a read worker of the loader's pool (src/loader/read-worker.ts).
import { parentPort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { createReadWorkerApi } from '../src/loader/read-worker.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

if (!parentPort) throw new Error('loader-read.node.ts must run as a worker thread');
installFastBlosc();
exposeWorkerApi(createReadWorkerApi(), nodeEndpoint(parentPort));
