// Node worker thread: the training step runner (src/model/train/step-worker.ts).
import { parentPort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createStepWorkerApi } from '../src/model/train/step-worker.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

if (!parentPort) throw new Error('step-runner.node.ts must run as a worker thread');
exposeWorkerApi(createStepWorkerApi(), nodeEndpoint(parentPort));
