// The pooled reader that the loader worker and the training worker open stores with: X through
// read workers over the chunk cache, everything else through this thread's source.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openSource } from '../source/index.ts';
import type { CsrBlock } from '../source/types.ts';
import { openLoader, type LoaderBatch } from './loader.ts';
import { spawnNodeReadWorker } from './node-workers.ts';
import { openPooledReader } from './pooled-reader.ts';

let server: StaticServer;
let url: string;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startStaticServer(join(import.meta.dirname, '../../test/fixtures/anndata'));
  url = `${server.url}/small-csr.v3.zarr`;
});

afterAll(async () => {
  await server?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const key = (batches: LoaderBatch[]) => batches.map((b) => [Array.from(b.rows!), Array.from((b.X as CsrBlock).data)]);

async function epoch(loader: Awaited<ReturnType<typeof openLoader>>, e: number): Promise<LoaderBatch[]> {
  const out: LoaderBatch[] = [];
  for await (const b of loader.epoch(e)) out.push(b);
  return out;
}

describe('openPooledReader', () => {
  for (const workers of [0, 2]) {
    it(`with ${workers} read workers: batches equal the plain source's, the cache fills then serves, clear and close`, async () => {
      const location = await mkdtemp(join(tmpdir(), 'trvae-pooled-'));
      dirs.push(location);
      const options = { batchSize: 8, chunkSize: 4, preloadNChunks: 4, seed: 3, returnIndex: true, inMemory: false, obs: ['cell_type'] };
      const plain = await openSource(url);
      const expected = key(await epoch(await openLoader(plain, options), 0));

      const pooled = await openPooledReader(url, { workers, cache: { kind: 'directory', location }, spawnReadWorker: spawnNodeReadWorker });
      expect(pooled.workers).toBe(workers);
      const loader = await openLoader(pooled.source, { ...options, reader: pooled.reader });
      expect(key(await epoch(loader, 0))).toEqual(expected);
      const cold = (await pooled.cacheStats())!;
      expect(cold.entries).toBeGreaterThan(0);
      expect(cold.misses).toBeGreaterThan(0);
      const before = pooled.reader.transfer();
      await epoch(loader, 1);
      const after = pooled.reader.transfer();
      expect(after.networkBytes - before.networkBytes).toBe(0); // a second epoch reads X from the cache only
      expect(after.cacheBytes).toBeGreaterThan(before.cacheBytes);
      await pooled.clearCache();
      expect((await pooled.cacheStats())!.entries).toBe(0);
      await loader.close(); // the loader does not close the shared reader
      await pooled.close();
      await pooled.close();
      if (workers > 0) await expect(pooled.reader.read([{ start: 0, end: 1 }], {})).rejects.toThrow(/closed/);
      await plain.close();
    });
  }

  it("read workers open the store in the format this thread's source found: a v2 store's zarr.json is asked for once", async () => {
    const missing: string[] = [];
    const logged = await startStaticServer(join(import.meta.dirname, '../../test/fixtures/anndata'), { onRequest: (entry) => void (entry.status === 404 && missing.push(entry.path)) });
    try {
      const pooled = await openPooledReader(`${logged.url}/small-csr.zarr`, { workers: 2, spawnReadWorker: spawnNodeReadWorker });
      expect(pooled.source.zarrFormat).toBe(2);
      const loader = await openLoader(pooled.source, { batchSize: 8, chunkSize: 4, preloadNChunks: 4, seed: 1, inMemory: false, reader: pooled.reader });
      expect((await epoch(loader, 0)).length).toBeGreaterThan(0);
      await loader.close();
      await pooled.close();
      expect(missing).toEqual(['/small-csr.zarr/zarr.json']);
    } finally {
      await logged.close();
    }
  });
});
