// What a read worker does: open its own source (with the chunk cache under the reader) and read
// the runs it is given. The same object is exposed with comlink from a browser dedicated worker
// (workers/loader-read.worker.ts) and from a Node worker thread (workers/loader-read.node.ts).
import { withTransfer } from '../rpc/transferables.ts';
import { openSource } from '../source/index.ts';
import type { ZarrFormat } from '../source/store.ts';
import type { AnnDataSource, ObsValues, RowBlock, RowRun } from '../source/types.ts';
import { directoryBackend, opfsBackend } from './cache/backend.ts';
import { withChunkCache, withTransferCounting } from './cache/cached-store.ts';
import { openChunkCache, type ChunkCache, type ChunkCacheStats } from './cache/chunk-cache.ts';
import { readBatches, type DenseRows } from './dense-batches.ts';
import type { PoolReadOptions } from './row-reader.ts';
import { createTransferStats, type TransferStats } from './transfer.ts';

export interface CacheSettings {
  /** 'opfs' (browser) or 'directory' (Node; `location` is the path). */
  readonly kind: 'opfs' | 'directory';
  /** OPFS directory name or local path. */
  readonly location?: string;
  readonly budgetBytes?: number;
}

export interface ReadWorkerOpenOptions {
  readonly cache?: CacheSettings;
  /** Requests in flight per worker. */
  readonly concurrency?: number;
  /** Retries of a failed GET (the source's default when absent: 2, with backoff). */
  readonly retries?: number;
}

/** What a read worker opens: a zarr URL (maybe with its format) or local path, or a store in this origin's OPFS. */
export type ReadWorkerInput = string | { readonly url: string; readonly zarrFormat?: ZarrFormat } | { readonly opfs: string };

export interface SourceSummary {
  readonly nObs: number;
  readonly nVars: number;
}

/** Bytes a thread holds live: its JS heap plus memory outside it (ArrayBuffers, wasm). */
export interface LiveMemory {
  readonly heapUsed: number;
  readonly external: number;
}

/**
 * This thread's live memory; with `collect`, after a full GC when the runtime exposes one
 * (Node with --expose-gc), so lazily collected garbage does not count.
 */
export function liveMemory(collect = false): LiveMemory {
  const runtime = globalThis as {
    gc?: () => void;
    process?: { memoryUsage(): { heapUsed: number; external: number } };
    performance?: { memory?: { usedJSHeapSize: number } };
  };
  if (collect) {
    // twice: V8 frees dropped ArrayBuffers' memory by a concurrent sweep after a GC, and the next
    // GC waits for that sweep, so `external` no longer counts them
    runtime.gc?.();
    runtime.gc?.();
  }
  if (runtime.process) {
    const { heapUsed, external } = runtime.process.memoryUsage();
    return { heapUsed, external };
  }
  // Chromium's heap figure; ArrayBuffers outside the heap are not reported there
  return { heapUsed: runtime.performance?.memory?.usedJSHeapSize ?? 0, external: 0 };
}

export interface WorkerRead {
  readonly read: { readonly block?: RowBlock; readonly obs: Readonly<Record<string, ObsValues>> };
  readonly dense?: DenseRows[];
  readonly transfer: TransferStats;
}

export interface ReadWorkerApi {
  open(input: ReadWorkerInput, options: ReadWorkerOpenOptions): Promise<SourceSummary>;
  /**
   * The rows (their block unless `blocks: false`), the `dense` batches' rows built here, and this
   * worker's cumulative transfer counters since open (not this read's share: reads may overlap).
   */
  read(runs: RowRun[], options: Omit<PoolReadOptions, 'signal'>): Promise<WorkerRead>;
  /** The worker's live memory (see liveMemory). */
  memory(collect: boolean): LiveMemory;
  cacheStats(): ChunkCacheStats | null;
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

export async function openCache(settings: CacheSettings): Promise<ChunkCache> {
  const backend = settings.kind === 'opfs' ? await opfsBackend(settings.location) : await directoryBackend(settings.location ?? '.trvae-cache');
  return openChunkCache(backend, { budgetBytes: settings.budgetBytes });
}

export function createReadWorkerApi(): ReadWorkerApi {
  let source: AnnDataSource | undefined;
  let cache: ChunkCache | undefined;
  let stats = createTransferStats();
  return {
    async open(input, options) {
      stats = createTransferStats();
      cache = options.cache ? await openCache(options.cache) : undefined;
      source = await openSource(input, {
        concurrency: options.concurrency,
        retries: options.retries,
        wrapStore: (s) => (cache ? withChunkCache(s, cache, stats) : withTransferCounting(s, stats)),
      });
      return { nObs: source.nObs, nVars: source.nVars };
    },
    async read(runs, { dense, blocks = true, ...options }) {
      if (!source) throw new Error('read worker: open() first');
      const read = await source.readRows(runs, options);
      const { block, dense: batches } = readBatches(read.block, dense, blocks);
      // cumulative: a before/after difference would also count a concurrent read's bytes
      const transfer: TransferStats = { ...stats };
      const result: WorkerRead = { read: block ? { block, obs: read.obs } : { obs: read.obs }, ...(batches ? { dense: batches } : {}), transfer };
      // the typed arrays move to the caller's thread without a copy
      return withTransfer(result);
    },
    memory: (collect) => liveMemory(collect),
    cacheStats: () => cache?.stats() ?? null,
    clearCache: async () => cache?.clear(),
    async close() {
      await source?.close();
      source = undefined;
    },
  };
}
