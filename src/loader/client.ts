// The page-facing loader: open(source, options) → epochs as async iterators of batches, with
// progress events. The loader runs in a dedicated worker; batches arrive by transfer.
import * as Comlink from 'comlink';
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { ChunkCacheStats } from './cache/chunk-cache.ts';
import type { LoaderBatch, LoaderProgress } from './loader.ts';
import type { LoaderWorkerApi, RemoteLoaderInfo, RemoteLoaderOptions } from './loader-worker.ts';

export interface LoaderClient {
  readonly info: RemoteLoaderInfo;
  epoch(epoch: number, options?: { readonly signal?: AbortSignal; readonly onProgress?: (p: LoaderProgress) => void }): AsyncGenerator<LoaderBatch>;
  cacheStats(): Promise<ChunkCacheStats | null>;
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenLoaderClientOptions extends RemoteLoaderOptions {
  /** Starts the loader worker (default: the bundled workers/loader.worker.ts). */
  readonly createWorker?: () => Worker;
}

export async function open(input: string, options: OpenLoaderClientOptions): Promise<LoaderClient> {
  const { createWorker, ...rest } = options;
  const worker = createWorker?.() ?? new Worker(new URL('../../workers/loader.worker.ts', import.meta.url), { type: 'module', name: 'loader' });
  const api = wrapWorkerApi<LoaderWorkerApi>(worker);
  let info: RemoteLoaderInfo;
  try {
    info = await api.open(input, rest);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return {
    info,
    async *epoch(epoch, epochOptions = {}) {
      const { signal, onProgress } = epochOptions;
      await api.startEpoch(epoch, onProgress ? Comlink.proxy(onProgress) : undefined);
      const cancel = () => void api.cancel();
      signal?.addEventListener('abort', cancel);
      try {
        for (;;) {
          signal?.throwIfAborted();
          const batch = await api.next();
          if (!batch) return;
          yield batch;
        }
      } finally {
        signal?.removeEventListener('abort', cancel);
        await api.cancel();
      }
    },
    cacheStats: () => api.cacheStats(),
    clearCache: () => api.clearCache(),
    async close() {
      await api.close().catch(() => {});
      worker.terminate();
    },
  };
}
