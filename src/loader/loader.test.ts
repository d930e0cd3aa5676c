// End to end in Node: our writer → static HTTP server → the readers' openSource (with the cache
// wrapped under it) → loader. Batches must equal what the source reads for the same row ids.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAnnDataGroup } from '../convert/anndata-writer.ts';
import { directorySink } from '../convert/sink.ts';
import { syntheticAnnData } from '../convert/synthetic.ts';
import { writeConsolidatedRoot, type NodeMetadata } from '../convert/zarr-v3.ts';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openSource } from '../source/index.ts';
import type { AnnDataSource, CsrBlock } from '../source/types.ts';
import { directoryBackend } from './cache/backend.ts';
import { withChunkCache } from './cache/cached-store.ts';
import { openChunkCache } from './cache/chunk-cache.ts';
import { blockToCsr } from '../cpu/csr-pool.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import { densify, geneColumnMap } from './blocks.ts';
import { openLoader, type LoaderBatch, type LoaderOptions, type SamplerFactory } from './loader.ts';
import { planFromRows } from './samplers.ts';
import { sourceRowReader, type RowReader } from './row-reader.ts';
import { createTransferStats } from './transfer.ts';
import { spawnNodeReadWorker } from './node-workers.ts';
import { openWorkerPool, splitRuns } from './worker-pool.ts';

const nObs = 3000;
const nVars = 500;
let root: string;
let server: StaticServer;
let requests = 0;
let reference: AnnDataSource;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trvae-loader-'));
  const store = join(root, 'data.zarr');
  const nodes: NodeMetadata = new Map();
  await writeAnnDataGroup(await directorySink(store), nodes, '', syntheticAnnData({ nObs, nVars, nnzPerRow: 40, seed: 3 }), {
    layout: { chunkRows: 16, shardBytes: 64 * 1024 },
  });
  await writeConsolidatedRoot(await directorySink(store), nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
  server = await startStaticServer(root, { onRequest: () => requests++ });
  reference = await openSource(`${server.url}/data.zarr`);
});

afterAll(async () => {
  await reference?.close();
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

async function collect(options: Partial<LoaderOptions> & { source?: AnnDataSource }, epoch = 0): Promise<LoaderBatch[]> {
  const source = options.source ?? reference;
  const loader = await openLoader(source, { batchSize: 64, chunkSize: 32, preloadNChunks: 4, seed: 9, obs: ['condition'], inMemory: false, ...options });
  const out: LoaderBatch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

function rowsOf(block: CsrBlock, i: number): [number[], number[]] {
  const s = Number(block.indptr[i]);
  const e = Number(block.indptr[i + 1]);
  return [Array.from(block.indices.subarray(s, e)), Array.from(block.data.subarray(s, e))];
}

async function expectBatchesMatchSource(batches: LoaderBatch[]): Promise<void> {
  const all = (await reference.readRows([{ start: 0, end: nObs }], { obs: ['condition'] })) as { block: CsrBlock; obs: Record<string, { codes: Int32Array }> };
  for (const b of batches) {
    const X = b.X as CsrBlock;
    b.rows!.forEach((row, i) => {
      expect(rowsOf(X, i)).toEqual(rowsOf(all.block, row));
      expect((b.obs.condition as { codes: Int32Array }).codes[i]).toBe(all.obs.condition!.codes[row]);
    });
  }
}

describe('loader over a real zarr v3 store served over HTTP', () => {
  it('every batch holds exactly the rows the source reads for its row ids; an epoch covers all rows once', async () => {
    const batches = await collect({});
    await expectBatchesMatchSource(batches);
    const rows = batches.flatMap((b) => [...b.rows!]).sort((a, b) => a - b);
    expect(rows).toEqual(Array.from({ length: nObs }, (_, i) => i));
  });

  it('prefetch on/off and in-memory mode give identical batches', async () => {
    const base = await collect({ prefetch: 0 });
    const ahead = await collect({ prefetch: 2 });
    const memory = await collect({ inMemory: true });
    const key = (bs: LoaderBatch[]) => bs.map((b) => Array.from(b.rows!));
    expect(key(ahead)).toEqual(key(base));
    expect(key(memory)).toEqual(key(base));
    expect(memory.map((b) => Array.from((b.X as CsrBlock).data))).toEqual(base.map((b) => Array.from((b.X as CsrBlock).data)));
  });

  it('while a pool is consumed, exactly `prefetch` more pools are being read (memory holds 1 + prefetch pools)', async () => {
    for (const prefetch of [0, 1, 2]) {
      const started: { rows: Set<number>; index: number }[] = [];
      const source = sourceRowReader(reference);
      const reader: RowReader = {
        ...source,
        read: (runs, options) => {
          started.push({ rows: new Set(runs.flatMap((r) => Array.from({ length: r.end - r.start }, (_, i) => r.start + i))), index: started.length });
          return source.read(runs, options);
        },
      };
      const loader = await openLoader(reference, { batchSize: 64, chunkSize: 32, preloadNChunks: 4, seed: 9, returnIndex: true, inMemory: false, prefetch, reader });
      const ahead: number[] = [];
      for await (const b of loader.epoch(0)) {
        const pool = started.find((r) => r.rows.has(b.rows![0]!))!.index;
        ahead.push(started.length - 1 - pool);
      }
      expect(started.length).toBe([...loader.sampler.pools(0)].length);
      // the last pools have fewer left to read ahead
      expect(Math.max(...ahead)).toBe(prefetch);
      expect(ahead[0]).toBe(prefetch);
    }
  });

  it('with thenEpoch, the next epoch\'s first pools are read while this epoch ends, within 1 + prefetch pools; the batches are the same', async () => {
    const started: { rows: number[]; aborted: () => boolean }[] = [];
    const source = sourceRowReader(reference);
    const reader: RowReader = {
      ...source,
      read: (runs, options) => {
        started.push({ rows: runs.flatMap((r) => Array.from({ length: r.end - r.start }, (_, i) => r.start + i)), aborted: () => options.signal?.aborted === true });
        return source.read(runs, options);
      },
    };
    const settings = { batchSize: 64, chunkSize: 32, preloadNChunks: 4, seed: 9, returnIndex: true, inMemory: false, prefetch: 1, reader } as const;
    const loader = await openLoader(reference, settings);
    const nPools = [...loader.sampler.pools(0)].length;
    const rowsOfEpoch = async (e: number, then?: number) => {
      const rows: number[][] = [];
      for await (const b of loader.epoch(e, then === undefined ? {} : { thenEpoch: then })) rows.push([...b.rows!]);
      return rows;
    };
    const epoch0 = await rowsOfEpoch(0, 1);
    // epoch 1's first 1 + prefetch pools were asked for before epoch 1 began, no more
    expect(started.length).toBe(nPools + 2);
    const sorted = (rows: ArrayLike<number>) => Array.from(rows).sort((a, b) => a - b);
    expect(started.slice(nPools).map((r) => r.rows)).toEqual([...loader.sampler.pools(1)].slice(0, 2).map((p) => sorted(p.rows)));
    const epoch1 = await rowsOfEpoch(1, 2);
    expect(started.length).toBe(2 * nPools + 2);
    // the same batches as a loader that never reads ahead
    const plain = await openLoader(reference, { ...settings, reader: sourceRowReader(reference) });
    const want = async (e: number) => {
      const rows: number[][] = [];
      for await (const b of plain.epoch(e)) rows.push([...b.rows!]);
      return rows;
    };
    expect(epoch0).toEqual(await want(0));
    expect(epoch1).toEqual(await want(1));
    // epoch 2 was read ahead, epoch 3 is asked for instead: the read ahead is dropped, epoch 3 is right
    const aheadOf2 = started[started.length - 1]!;
    expect(await rowsOfEpoch(3)).toEqual(await want(3));
    expect(aheadOf2.aborted()).toBe(true);
    // a read ahead nobody asks for is stopped by close()
    await rowsOfEpoch(4, 5);
    const aheadOf5 = started[started.length - 1]!;
    expect(aheadOf5.aborted()).toBe(false);
    await loader.close();
    expect(aheadOf5.aborted()).toBe(true);
  });

  it('densifies selected genes and balances conditions', async () => {
    const genes = [3, 499, 0, 17];
    const batches = await collect({ genes, balanceBy: 'condition' });
    const all = (await reference.readRows([{ start: 0, end: nObs }])).block as CsrBlock;
    for (const b of batches.slice(0, 5)) {
      const codes = (b.obs.condition as { codes: Int32Array }).codes;
      expect(codes.filter((c) => c === 0).length).toBe(32);
      b.rows!.forEach((row, i) => {
        const [idx, val] = rowsOf(all, row);
        genes.forEach((g, j) => expect(b.dense![i * genes.length + j]).toBe(idx.includes(g) ? val[idx.indexOf(g)]! : 0));
      });
    }
  });

  it('a second epoch through the chunk cache makes no network requests; corrupt entries are refetched', async () => {
    const cacheDir = join(root, 'cache');
    const stats = createTransferStats();
    const cache = await openChunkCache(await directoryBackend(cacheDir), { budgetBytes: 64 * 2 ** 20 });
    const source = await openSource(`${server.url}/data.zarr`, { wrapStore: (s) => withChunkCache(s, cache, stats) });
    const before = requests;
    const cold = await collect({ source }, 0);
    const coldRequests = requests - before;
    expect(coldRequests).toBeGreaterThan(0);
    const mid = requests;
    const warm = await collect({ source }, 0);
    expect(requests - mid).toBe(0);
    expect(stats.cacheRequests).toBeGreaterThan(0);
    expect(warm.map((b) => Array.from(b.rows!))).toEqual(cold.map((b) => Array.from(b.rows!)));
    // damage every cached entry: the loader still returns the right rows, refetching them
    for (const name of await readdir(cacheDir)) await writeFile(join(cacheDir, name), 'garbage');
    const again = await collect({ source }, 1);
    await expectBatchesMatchSource(again);
    expect(cache.stats().corrupt).toBeGreaterThan(0);
    await source.close();
  });

  it('a pool of worker threads (each with its own source) gives the same batches, with cache counters', async () => {
    const reader = await openWorkerPool({
      input: `${server.url}/data.zarr`,
      size: 2,
      spawn: spawnNodeReadWorker,
      open: { cache: { kind: 'directory', location: join(root, 'pool-cache') } },
    });
    try {
      const pooled = await collect({ reader });
      const local = await collect({});
      expect(pooled.map((b) => Array.from(b.rows!))).toEqual(local.map((b) => Array.from(b.rows!)));
      expect(pooled.map((b) => Array.from((b.X as CsrBlock).data))).toEqual(local.map((b) => Array.from((b.X as CsrBlock).data)));
      expect(reader.transfer().networkBytes).toBeGreaterThan(0);
      await collect({ reader });
      expect(reader.transfer().cacheBytes).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  });

  it("a pool's transfer counters do not count a read twice when reads overlap (prefetch)", async () => {
    const bytesOf = async (prefetch: number): Promise<number> => {
      const reader = await openWorkerPool({ input: `${server.url}/data.zarr`, size: 2, spawn: spawnNodeReadWorker });
      try {
        await collect({ reader, prefetch });
        return reader.transfer().networkBytes;
      } finally {
        await reader.close();
      }
    };
    const sequential = await bytesOf(0);
    expect(sequential).toBeGreaterThan(0);
    expect(await bytesOf(3)).toBe(sequential);
  });

  it('ready batches built by the reader (0 or 2 read workers, in memory) equal the main-thread gather + normalise', async () => {
    const genes = [3, 499, 0, 17, 250];
    const normalize = { targetSum: 1e4, log1p: true };
    const map = geneColumnMap(nVars, genes);
    // the main-thread path: gather the batch's CSR rows, then normalise them here
    const expected = (await collect({ returnIndex: true, sampler: 'replacement' })).map((b) => {
      const rowIds = Array.from({ length: b.nRows }, (_, i) => i);
      const x = gatherNormalize(blockToCsr(b.X!), rowIds, map, genes.length, normalize);
      const counts = gatherNormalize(blockToCsr(b.X!), rowIds, map, genes.length, { targetSum: null, log1p: false });
      return { rows: Array.from(b.rows!), x: Array.from(x.x), counts: Array.from(counts.x), totals: Array.from(x.sizeFactors) };
    });
    const pool = await openWorkerPool({ input: `${server.url}/data.zarr`, size: 2, spawn: spawnNodeReadWorker });
    try {
      for (const [name, options] of [
        ['0 read workers', {}],
        ['2 read workers', { reader: pool }],
        ['in memory', { inMemory: true }],
      ] as const) {
        const batches = await collect({ ...options, returnIndex: true, sampler: 'replacement', genes, normalize, counts: true, returnX: false });
        const got = batches.map((b) => ({ rows: Array.from(b.rows!), x: Array.from(b.dense!), counts: Array.from(b.counts!), totals: Array.from(b.rowTotals!) }));
        expect(got, name).toEqual(expected);
        expect(batches.every((b) => b.X === undefined)).toBe(true);
      }
      // raw values without normalize, next to X
      const raw = await collect({ reader: pool, genes });
      expect(raw.map((b) => Array.from(b.dense!))).toEqual(raw.map((b) => Array.from(densify(b.X!, map, genes.length))));
    } finally {
      await pool.close();
    }
  });

  it('splits runs into balanced consecutive shares', () => {
    const shares = splitRuns([{ start: 0, end: 10 }, { start: 20, end: 21 }, { start: 30, end: 39 }], 4);
    expect(shares.map((s) => s.reduce((n, r) => n + r.end - r.start, 0))).toEqual([5, 5, 5, 5]);
    expect(shares.flat()).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 10 },
      { start: 20, end: 21 },
      { start: 30, end: 34 },
      { start: 34, end: 39 },
    ]);
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const loader = await openLoader(reference, { batchSize: 64, chunkSize: 32, preloadNChunks: 4, inMemory: false });
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of loader.epoch(0, { signal: controller.signal })) {
          if (++n === 2) controller.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(n).toBe(2);
  });

  it('takes any sampler: a custom one reads the pools it plans, in its order', async () => {
    // The last 128 selected rows, newest first, as one pool of two batches.
    const lastFirst: SamplerFactory = (selection) => ({
      kind: 'last-rows-first',
      batchesPerEpoch: 2,
      pools: () => [planFromRows(Uint32Array.from({ length: 128 }, (_, i) => selection.size - 1 - i), 64)],
    });
    const batches = await collect({ sampler: lastFirst });
    expect(batches).toHaveLength(2);
    const rows = batches.flatMap((b) => Array.from(b.rows!)).sort((a, b) => a - b);
    expect(rows).toEqual(Array.from({ length: 128 }, (_, i) => nObs - 128 + i));
    await expectBatchesMatchSource(batches);
  });
});

