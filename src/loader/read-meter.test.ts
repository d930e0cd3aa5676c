// The read meter over a real pooled reader (HTTP store, no workers): cells of every read counted,
// overlapping reads' time counted once, transfer stats passed through.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openLoader } from './loader.ts';
import { openPooledReader } from './pooled-reader.ts';
import { meteredReader } from './read-meter.ts';
import { spawnNodeReadWorker } from './node-workers.ts';

let server: StaticServer;
beforeAll(async () => {
  server = await startStaticServer(join(import.meta.dirname, '../../test/fixtures/anndata'));
});
afterAll(async () => server?.close());

it('counts the cells the loader reads and the time reads are in flight, once for overlapping reads', async () => {
  const pooled = await openPooledReader(`${server.url}/small-csr.v3.zarr`, { workers: 0, spawnReadWorker: spawnNodeReadWorker });
  const reader = meteredReader(pooled.reader);
  expect(reader.meter()).toEqual({ cells: 0, seconds: 0 });
  const n = pooled.source.nObs;
  const started = performance.now();
  // Two reads at once: the busy time is at most the wall time they took together.
  await Promise.all([reader.read([{ start: 0, end: 3 }], {}), reader.read([{ start: 1, end: 2 }, { start: 3, end: n }], {})]);
  const wall = (performance.now() - started) / 1000;
  const after = reader.meter();
  expect(after.cells).toBe(3 + 1 + n - 3);
  expect(after.seconds).toBeGreaterThan(0);
  expect(after.seconds).toBeLessThanOrEqual(wall + 1e-6);
  expect(reader.transfer().networkBytes).toBeGreaterThan(0);
  expect(reader.transfer()).toEqual(pooled.reader.transfer());
  // Through the loader: an epoch's pools are all counted.
  const loader = await openLoader(pooled.source, { batchSize: 4, chunkSize: 4, preloadNChunks: 2, seed: 1, inMemory: false, reader });
  let batches = 0;
  for await (const _ of loader.epoch(0)) batches++;
  expect(batches).toBeGreaterThan(0);
  expect(reader.meter().cells - after.cells).toBe(loader.selection.size);
  await loader.close();
  await reader.close();
});
