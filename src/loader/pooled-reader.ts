// Opens a store the way the loader reads it fastest: X through a pool of read workers, each with
// its own source and the chunk cache under it; metadata and obs through this thread's own source,
// over the same cache. Used by the loader worker (page-facing API) and the training worker.
import { openSource, withZarrFormat } from '../source/index.ts';
import type { AnnDataSource } from '../source/types.ts';
import { withChunkCache, withTransferCounting } from './cache/cached-store.ts';
import type { ChunkCache, ChunkCacheStats } from './cache/chunk-cache.ts';
import { openCache, type CacheSettings, type ReadWorkerInput } from './read-worker.ts';
import { defaultCacheSettings } from './read-workers.ts';
import { sourceRowReader, type RowReader } from './row-reader.ts';
import { createTransferStats } from './transfer.ts';
import { openWorkerPool, type SpawnedWorker, type WorkerPool } from './worker-pool.ts';

export interface PooledReaderOptions {
  /** Read workers; 0 reads in this thread. */
  readonly workers: number;
  /** Chunk cache under every reader (not for an OPFS store); its budget is shared between this thread and the workers. */
  readonly cache?: CacheSettings;
  readonly spawnReadWorker: () => SpawnedWorker;
}

export interface PooledReader {
  /** This thread's source: metadata, obs, and X when there are no workers. */
  readonly source: AnnDataSource;
  /** Where the loader reads pools (closed with the PooledReader). */
  readonly reader: RowReader;
  readonly workers: number;
  cacheStats(): Promise<ChunkCacheStats | null>;
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

export function defaultWorkerCount(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return Math.max(1, Math.min(4, cores - 1));
}

function sumStats(all: readonly ChunkCacheStats[]): ChunkCacheStats | null {
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
}

export async function openPooledReader(input: ReadWorkerInput, options: PooledReaderOptions): Promise<PooledReader> {
  const { workers } = options;
  // a store already in OPFS is not cached there a second time
  const settings = typeof input === 'object' && 'opfs' in input ? undefined : options.cache;
  const stats = createTransferStats();
  // one share of the budget for this thread's cache and one for each worker's
  const share = settings && { ...settings, budgetBytes: Math.floor((settings.budgetBytes ?? defaultCacheSettings.budgetBytes) / (workers + 1)) };
  const cache: ChunkCache | undefined = share ? await openCache(share) : undefined;
  const source = await openSource(input, { wrapStore: (s) => (cache ? withChunkCache(s, cache, stats) : withTransferCounting(s, stats)) });
  if (workers === 0) {
    return {
      source,
      reader: sourceRowReader(source, stats),
      workers,
      cacheStats: async () => cache?.stats() ?? null,
      clearCache: async () => cache?.clear(),
      close: () => source.close(),
    };
  }
  const spawned: SpawnedWorker[] = [];
  let pool: WorkerPool;
  try {
    pool = await openWorkerPool({
      // with the format this thread's source found, so the workers probe for no other format's root
      input: withZarrFormat(input, source.zarrFormat),
      size: workers,
      open: { cache: share },
      spawn: () => {
        const w = options.spawnReadWorker();
        spawned.push(w);
        return w;
      },
    });
  } catch (e) {
    await source.close();
    throw e;
  }
  return {
    source,
    reader: pool,
    workers,
    cacheStats: async () => sumStats([cache?.stats(), ...(await Promise.all(spawned.map((w) => w.api.cacheStats())))].filter((s): s is ChunkCacheStats => !!s)),
    clearCache: async () => {
      await Promise.all([cache?.clear(), ...spawned.map((w) => w.api.clearCache())]);
    },
    async close() {
      await pool.close();
      await source.close();
    },
  };
}
