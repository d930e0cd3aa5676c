// The loader in a real browser: a dedicated loader worker with 1 or 4 read workers, the OPFS chunk
// cache under each reader, a real HTTP server counting requests.
import { describe, expect, inject, it } from 'vitest';
import { openSource } from '../source/index.ts';
import type { CsrBlock } from '../source/types.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import { geneColumnMap } from './blocks.ts';
import { open } from './client.ts';
import type { LoaderBatch } from './loader.ts';

const store = inject('loaderStore');
/** Requests for X's chunks that reached the server (opening a source always probes its metadata). */
const requests = async (): Promise<number> => ((await (await fetch(store.countUrl)).json()) as { dataRequests: number }).dataRequests;

async function collect(client: Awaited<ReturnType<typeof open>>, epoch = 0): Promise<LoaderBatch[]> {
  const out: LoaderBatch[] = [];
  for await (const b of client.epoch(epoch)) out.push(b);
  return out;
}

const reference = await openSource(store.url);
const all = (await reference.readRows([{ start: 0, end: store.nObs }], { obs: ['condition'] })) as unknown as {
  block: CsrBlock;
  obs: { condition: { codes: Int32Array } };
};

function row(block: CsrBlock, i: number): number[] {
  const s = Number(block.indptr[i]);
  const e = Number(block.indptr[i + 1]);
  return [...Array.from(block.indices.subarray(s, e)), ...Array.from(block.data.subarray(s, e))];
}

function expectCorrect(batches: LoaderBatch[]): void {
  const seen: number[] = [];
  for (const b of batches) {
    b.rows!.forEach((r, i) => {
      expect(row(b.X as CsrBlock, i)).toEqual(row(all.block, r));
      expect((b.obs.condition as { codes: Int32Array }).codes[i]).toBe(all.obs.condition.codes[r]);
      seen.push(r);
    });
  }
  expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: store.nObs }, (_, i) => i));
}

async function opfsFiles(dir: string): Promise<FileSystemFileHandle[]> {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getDirectoryHandle(dir, { create: true });
  const out: FileSystemFileHandle[] = [];
  for await (const entry of (handle as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) if (entry.kind === 'file') out.push(entry as FileSystemFileHandle);
  return out;
}

const base = { batchSize: 100, chunkSize: 50, preloadNChunks: 4, seed: 3, obs: ['condition'], inMemory: false } as const;

describe('loader in workers with the OPFS cache', () => {
  for (const workers of [1, 4]) {
    it(`${workers} read worker(s): correct batches; warm epochs and a reopened loader make no network requests`, async () => {
      const dir = `test-cache-${workers}-${Date.now()}`;
      const client = await open(store.url, { ...base, workers, cache: { kind: 'opfs', location: dir } });
      expect(client.info.workers).toBe(workers);
      const before = await requests();
      const progress: number[] = [];
      const cold: LoaderBatch[] = [];
      for await (const b of client.epoch(0, { onProgress: (p) => progress.push(p.networkBytes) })) cold.push(b);
      expectCorrect(cold);
      expect(await requests()).toBeGreaterThan(before);
      expect(progress.at(-1)).toBeGreaterThan(0);
      const mid = await requests();
      const warm = await collect(client, 1);
      expectCorrect(warm);
      expect(await requests()).toBe(mid);
      expect((await client.cacheStats())!.hits).toBeGreaterThan(0);
      await client.close();
      // a new loader (as after a page reload) reads the same OPFS entries
      const again = await open(store.url, { ...base, workers, cache: { kind: 'opfs', location: dir } });
      const reloaded = await collect(again, 2);
      expectCorrect(reloaded);
      expect(await requests()).toBe(mid);
      await again.clearCache();
      expect((await again.cacheStats())!.bytes).toBe(0);
      await again.close();
    });
  }

  it('ready batches built in 0 or 2 read workers equal the gather + normalise of the rows read here', async () => {
    const genes = [0, 7, 3, all.block.nCols - 1];
    const normalize = { targetSum: 1e4, log1p: true };
    const map = geneColumnMap(all.block.nCols, genes);
    for (const workers of [0, 2]) {
      const client = await open(store.url, { ...base, workers, cache: false, genes, normalize, counts: true, returnX: false });
      const batches = await collect(client);
      expect(batches.length).toBeGreaterThan(0);
      for (const b of batches) {
        const rows = Array.from(b.rows!);
        expect(b.X).toBeUndefined();
        const x = gatherNormalize(all.block, rows, map, genes.length, normalize);
        const counts = gatherNormalize(all.block, rows, map, genes.length, { targetSum: null, log1p: false });
        expect(Array.from(b.dense!), `${workers} workers`).toEqual(Array.from(x.x));
        expect(Array.from(b.rowTotals!)).toEqual(Array.from(x.sizeFactors));
        expect(Array.from(b.counts!)).toEqual(Array.from(counts.x));
      }
      await client.close();
    }
  });

  it('evicts under a small budget and recovers from corrupt or truncated entries', async () => {
    const dir = `test-cache-small-${Date.now()}`;
    const budget = 64 * 1024;
    const client = await open(store.url, { ...base, workers: 1, cache: { kind: 'opfs', location: dir, budgetBytes: budget } });
    expectCorrect(await collect(client, 0));
    const stats = (await client.cacheStats())!;
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats.bytes).toBeLessThanOrEqual(budget);
    await client.close();

    const dir2 = `test-cache-corrupt-${Date.now()}`;
    const first = await open(store.url, { ...base, workers: 1, cache: { kind: 'opfs', location: dir2 } });
    expectCorrect(await collect(first, 0));
    await first.close();
    const files = await opfsFiles(dir2);
    expect(files.length).toBeGreaterThan(0);
    // flip a byte in half of the entries, truncate the others
    for (const [i, f] of files.entries()) {
      const bytes = new Uint8Array(await (await f.getFile()).arrayBuffer());
      const w = await f.createWritable();
      if (i % 2 === 0) {
        bytes[bytes.length - 1] ^= 0xff;
        await w.write(bytes);
      } else {
        await w.write(bytes.subarray(0, bytes.length >> 1));
      }
      await w.close();
    }
    const before = await requests();
    const second = await open(store.url, { ...base, workers: 1, cache: { kind: 'opfs', location: dir2 } });
    expectCorrect(await collect(second, 1));
    expect((await second.cacheStats())!.corrupt).toBeGreaterThan(0);
    expect(await requests()).toBeGreaterThan(before);
    await second.clearCache();
    await second.close();
  });
});
