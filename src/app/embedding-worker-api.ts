// The embedding worker's API (workers/embedding.worker.ts exposes it): a seeded UMAP of the shown
// cells' μ or MMD layer, with per-epoch progress through a comlink-proxied callback. The page
// cancels by terminating the worker (embedding-worker.ts), so there is no cancel call here.
import { withTransfer } from '../rpc/transferables.ts';
import { umapLayout, type UmapOptions, type UmapProgress } from './embedding-umap.ts';

export interface UmapRequest {
  readonly values: Float32Array;
  readonly n: number;
  readonly width: number;
  readonly options?: Omit<UmapOptions, 'onProgress'>;
}

export interface EmbeddingWorkerApi {
  umap(request: UmapRequest, onProgress?: (progress: UmapProgress) => void): Float32Array;
}

export function createEmbeddingWorkerApi(): EmbeddingWorkerApi {
  return {
    umap({ values, n, width, options }, onProgress) {
      return withTransfer(umapLayout(values, n, width, { ...options, onProgress }));
    },
  };
}
