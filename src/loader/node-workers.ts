// Node worker threads for the pool (CLI, benchmarks): the same read worker code as the browser.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { ReadWorkerApi } from './read-worker.ts';
import type { SpawnedWorker } from './worker-pool.ts';

// The worker entry is TypeScript: register tsx's loader inside the thread, then import it.
const entry = new URL('../../workers/loader-read.node.ts', import.meta.url).href;
const bootstrap = `require(${JSON.stringify(fileURLToPath(import.meta.resolve('tsx/esm/api')))}).register(); import(${JSON.stringify(entry)});`;

export function spawnNodeReadWorker(): SpawnedWorker {
  const worker = new Worker(bootstrap, { eval: true });
  return { api: wrapWorkerApi<ReadWorkerApi>(nodeEndpoint(worker)), terminate: () => void worker.terminate() };
}
