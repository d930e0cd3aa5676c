// The loader inside a dedicated worker (workers/loader.worker.ts): it opens the source, runs the
// sampler and the prefetching pool loop, and hands each batch to the page by transfer. Reads go
// through a pool of read workers, each with its own source and the OPFS chunk cache under it.
import { withTransfer } from '../rpc/transferables.ts';
import type { ChunkCacheStats } from './cache/chunk-cache.ts';
import { openLoader, type LoaderBatch, type Loader, type LoaderOptions, type LoaderProgress } from './loader.ts';
import { defaultWorkerCount, openPooledReader, type PooledReader } from './pooled-reader.ts';
import type { CacheSettings, ReadWorkerInput } from './read-worker.ts';
import { cacheSettings } from './read-workers.ts';
import type { SpawnedWorker } from './worker-pool.ts';

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
  open(input: ReadWorkerInput, options: RemoteLoaderOptions): Promise<RemoteLoaderInfo>;
  /** Starts (or restarts) an epoch; progress is reported through the proxied callback. */
  startEpoch(epoch: number, onProgress?: (progress: LoaderProgress) => void): void;
  /** The next batch of the running epoch (transferred), or null at its end. */
  next(): Promise<LoaderBatch | null>;
  /** Aborts the running epoch. */
  cancel(): void;
  cacheStats(): Promise<ChunkCacheStats | null>;
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

export function createLoaderWorkerApi(spawnReadWorker: () => SpawnedWorker): LoaderWorkerApi {
  let pooled: PooledReader | undefined;
  let loader: Loader | undefined;
  let running: { iterator: AsyncGenerator<LoaderBatch>; controller: AbortController } | undefined;

  const close = async (): Promise<void> => {
    running?.controller.abort();
    running = undefined;
    await loader?.close();
    await pooled?.close();
    loader = undefined;
    pooled = undefined;
  };

  return {
    async open(input, options) {
      await close();
      const { workers: requested, cache: cacheSetting, ...loaderOptions } = options;
      const workers = requested ?? defaultWorkerCount();
      pooled = await openPooledReader(input, { workers, cache: cacheSettings(cacheSetting), spawnReadWorker });
      const { source, reader } = pooled;
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
      return withTransfer(step.value);
    },
    cancel() {
      running?.controller.abort();
      running = undefined;
    },
    cacheStats: async () => (pooled ? pooled.cacheStats() : null),
    clearCache: async () => pooled?.clearCache(),
    close,
  };
}

