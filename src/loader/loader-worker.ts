// The loader inside a dedicated worker (workers/loader.worker.ts): it opens the source, runs the
// sampler and the prefetching pool loop, and hands each batch to the page by transfer. Reads go
// through a pool of read workers, each with its own source and the OPFS chunk cache under it.
import * as Comlink from 'comlink';
import { openSource } from '../source/index.ts';
import type { AnnDataSource, ObsValues } from '../source/types.ts';
import { withChunkCache, withTransferCounting } from './cache/cached-store.ts';
import type { ChunkCache, ChunkCacheStats } from './cache/chunk-cache.ts';
import { openLoader, type Batch, type Loader, type LoaderOptions, type LoaderProgress } from './loader.ts';
import { openCache, type CacheSettings } from './read-worker.ts';
import { sourceRowReader, type RowReader } from './row-reader.ts';
import { createTransferStats } from './transfer.ts';
import { openWorkerPool, type SpawnedWorker } from './worker-pool.ts';

/** LoaderOptions minus what cannot cross threads; the filter goes as text or typed data. */
export interface RemoteLoaderOptions extends Omit<LoaderOptions, 'reader' | 'signal'> {
  /** Read workers; default max(1, min(4, hardwareConcurrency − 1)); 0 reads in the loader worker. */
  readonly workers?: number;
  /** Chunk cache under every reader (default: OPFS 'trvae-cache', 2 GiB); false disables it. */
  readonly cache?: CacheSettings | false;
}

export interface RemoteLoaderInfo {
  readonly nObs: number;
  readonly nVars: number;
  readonly rows: number;
  readonly batchesPerEpoch: number;
  readonly inMemory: boolean;
  readonly workers: number;
}

export interface LoaderWorkerApi {
  open(input: string, options: RemoteLoaderOptions): Promise<RemoteLoaderInfo>;
  /** Starts (or restarts) an epoch; progress is reported through the proxied callback. */
  startEpoch(epoch: number, onProgress?: (progress: LoaderProgress) => void): void;
  /** The next batch of the running epoch (transferred), or null at its end. */
  next(): Promise<Batch | null>;
  /** Aborts the running epoch. */
  cancel(): void;
  cacheStats(): Promise<ChunkCacheStats | null>;
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

export function defaultWorkerCount(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return Math.max(1, Math.min(4, cores - 1));
}

function batchBuffers(batch: Batch): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer) set.add(a.buffer);
  };
  if (batch.X.format === 'csr') [batch.X.indptr, batch.X.indices, batch.X.data].forEach(add);
  else add(batch.X.values);
  add(batch.dense);
  add(batch.rows);
  for (const v of Object.values(batch.obs) as ObsValues[]) {
    if (v.kind === 'categorical') add(v.codes);
    else if (v.kind !== 'string') {
      add(v.values);
      add(v.mask);
    }
  }
  return [...set];
}

export function createLoaderWorkerApi(spawnReadWorker: () => SpawnedWorker): LoaderWorkerApi {
  let source: AnnDataSource | undefined;
  let loader: Loader | undefined;
  let reader: RowReader | undefined;
  let cache: ChunkCache | undefined;
  let running: { iterator: AsyncGenerator<Batch>; controller: AbortController } | undefined;
  let readerCache: (() => Promise<ChunkCacheStats | null>) | undefined;
  let clearReaderCache: (() => Promise<void>) | undefined;

  const close = async (): Promise<void> => {
    running?.controller.abort();
    running = undefined;
    await loader?.close();
    await source?.close();
    loader = undefined;
    source = undefined;
  };

  return {
    async open(input, options) {
      await close();
      const { workers: requested, cache: cacheSetting, ...loaderOptions } = options;
      const workers = requested ?? defaultWorkerCount();
      const settings: CacheSettings | undefined = cacheSetting === false ? undefined : (cacheSetting ?? { kind: 'opfs', location: 'trvae-cache' });
      const stats = createTransferStats();
      if (workers === 0) {
        cache = settings ? await openCache(settings) : undefined;
        source = await openSource(input, { wrapStore: (s) => (cache ? withChunkCache(s, cache, stats) : withTransferCounting(s, stats)) });
        reader = sourceRowReader(source, stats);
        readerCache = async () => cache?.stats() ?? null;
        clearReaderCache = async () => cache?.clear();
      } else {
        // the loader's own source only reads metadata and obs (through the same cache); the pool reads X
        cache = settings ? await openCache({ ...settings, budgetBytes: Math.floor((settings.budgetBytes ?? 2 * 2 ** 30) / (workers + 1)) }) : undefined;
        source = await openSource(input, { wrapStore: (s) => (cache ? withChunkCache(s, cache, stats) : s) });
        const perWorker = settings ? { ...settings, budgetBytes: Math.floor((settings.budgetBytes ?? 2 * 2 ** 30) / (workers + 1)) } : undefined;
        const spawned: SpawnedWorker[] = [];
        reader = await openWorkerPool({
          input,
          size: workers,
          open: { cache: perWorker },
          spawn: () => {
            const w = spawnReadWorker();
            spawned.push(w);
            return w;
          },
        });
        readerCache = async () => {
          const all = (await Promise.all(spawned.map((w) => w.api.cacheStats()))).filter((s): s is ChunkCacheStats => s !== null);
          if (all.length === 0) return null;
          const sum = (k: keyof ChunkCacheStats) => all.reduce((n, s) => n + s[k], 0);
          return {
            entries: sum('entries'),
            bytes: sum('bytes'),
            budgetBytes: sum('budgetBytes'),
            hits: sum('hits'),
            misses: sum('misses'),
            corrupt: sum('corrupt'),
            evictions: sum('evictions'),
            skippedWrites: sum('skippedWrites'),
          };
        };
        clearReaderCache = async () => {
          await Promise.all(spawned.map((w) => w.api.clearCache()));
        };
      }
      loader = await openLoader(source, { ...loaderOptions, reader });
      return {
        nObs: source.nObs,
        nVars: source.nVars,
        rows: loader.selection.size,
        batchesPerEpoch: loader.sampler.batchesPerEpoch,
        inMemory: loader.inMemory,
        workers,
      };
    },
    startEpoch(epoch, onProgress) {
      if (!loader) throw new Error('loader worker: open() first');
      running?.controller.abort();
      const controller = new AbortController();
      running = { iterator: loader.epoch(epoch, { signal: controller.signal, onProgress }), controller };
    },
    async next() {
      if (!running) return null;
      const step = await running.iterator.next();
      if (step.done) {
        running = undefined;
        return null;
      }
      return Comlink.transfer(step.value, batchBuffers(step.value));
    },
    cancel() {
      running?.controller.abort();
      running = undefined;
    },
    cacheStats: async () => (readerCache ? readerCache() : null),
    clearCache: async () => clearReaderCache?.(),
    close,
  };
}

