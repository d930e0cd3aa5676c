// A Node worker thread running one of workers/*.node.ts: the entry is TypeScript, so tsx's loader
// is registered inside the thread before the entry is imported.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Starts `entry` (a URL of a TypeScript module) in a new worker thread. */
export function startNodeThread(entry: URL): Worker {
  const tsx = fileURLToPath(import.meta.resolve('tsx/esm/api'));
  return new Worker(`require(${JSON.stringify(tsx)}).register(); import(${JSON.stringify(entry.href)});`, { eval: true });
}
