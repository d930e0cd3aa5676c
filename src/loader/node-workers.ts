// Node worker threads for the pool (CLI, benchmarks): the same read worker code as the browser.
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { startNodeThread } from '../rpc/node-thread.ts';
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { ReadWorkerApi } from './read-worker.ts';
import type { SpawnedWorker } from './worker-pool.ts';

export function spawnNodeReadWorker(): SpawnedWorker {
  const worker = startNodeThread(new URL('../../workers/loader-read.node.ts', import.meta.url));
  return { api: wrapWorkerApi<ReadWorkerApi>(nodeEndpoint(worker)), terminate: () => void worker.terminate() };
}
