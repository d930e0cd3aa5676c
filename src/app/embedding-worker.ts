// The page's side of the embedding worker: one worker per UMAP, terminated when it is done or
// cancelled (a terminated worker stops mid-epoch; nothing waits for it to notice).
import * as Comlink from 'comlink';
import { registerErrorClasses } from '../rpc/errors.ts';
import { wrapWorkerApi } from '../rpc/expose.ts';
import { EmbeddingError } from './embedding-error.ts';
import type { UmapProgress } from './embedding-umap.ts';
import type { EmbeddingWorkerApi, UmapRequest } from './embedding-worker-api.ts';

export interface UmapJob {
  readonly result: Promise<Float32Array>;
  /** Stops the worker; `result` rejects with EmbeddingError code 'aborted'. */
  cancel(): void;
}

export function startUmap(request: UmapRequest, onProgress: (progress: UmapProgress) => void): UmapJob {
  registerErrorClasses({ EmbeddingError });
  const worker = new Worker(new URL('../../workers/embedding.worker.ts', import.meta.url), { type: 'module', name: 'embedding' });
  const api = wrapWorkerApi<EmbeddingWorkerApi>(worker);
  let settle: ((error: Error) => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => (settle = reject));
  const failed = new Promise<never>((_, reject) => worker.addEventListener('error', (e) => reject(new EmbeddingError('worker', `the embedding worker failed: ${e.message || 'it could not start'}`))));
  const result = Promise.race([api.umap(request, Comlink.proxy(onProgress)), cancelled, failed]).finally(() => worker.terminate());
  return {
    result,
    cancel() {
      settle?.(new EmbeddingError('aborted', 'UMAP cancelled'));
    },
  };
}
