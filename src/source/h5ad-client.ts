// A dropped .h5ad File/Blob as an AnnDataSource. On the page, all reading happens in a dedicated
// worker (workers/h5ad.worker.ts, see h5ad-worker-api.ts) and this side forwards calls; already
// inside a dedicated worker (e.g. the loader's), the file is read right there.

import * as Comlink from 'comlink';
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { AnnDataOpenOptions } from './anndata.ts';
import { SourceError } from './errors.ts';
import type { H5adSummary, H5adWorkerApi } from './h5ad-worker-api.ts';
import type { AnnDataSource, ExactRowBlock, ObsValues } from './types.ts';

export interface H5adBlobOptions extends AnnDataOpenOptions {
  readonly createWorker?: () => Worker;
  /** Bytes per single HDF5 read inside the worker (default 256 MiB; always < 2 GiB). */
  readonly maxReadBytes?: number;
}

/** Rejects with 'aborted' as soon as the signal fires (the worker finishes its current read and drops it). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, label: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new SourceError('aborted', label, `reading ${label} was aborted`, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new SourceError('aborted', label, `reading ${label} was aborted`, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Rejects when the worker fails before it answers: its script did not load (a site missing files)
 * or threw while starting. Without this the open would wait for an answer that never comes.
 */
function failedToStart(worker: Worker, label: string): Promise<never> {
  return new Promise((_, reject) => {
    worker.addEventListener(
      'error',
      (event) => {
        event.preventDefault();
        const why = event.message ? `: ${event.message}` : ' (its script did not load)';
        reject(new SourceError('server', label, `The .h5ad reader (a web worker) could not start${why}. Reload the page; if that does not help, the site is missing files: rebuild or redeploy it.`));
      },
      { once: true },
    );
  });
}

/** True inside a dedicated worker, where h5wasm's synchronous reads block nobody. */
const inDedicatedWorker = typeof DedicatedWorkerGlobalScope !== 'undefined' && globalThis instanceof DedicatedWorkerGlobalScope;

export async function openH5adBlob(blob: Blob, options: H5adBlobOptions = {}): Promise<AnnDataSource> {
  const name = blob instanceof File ? blob.name : 'data.h5ad';
  if (inDedicatedWorker && !options.createWorker) {
    const { openH5adBlobHere } = await import('./h5ad-blob.ts');
    return openH5adBlobHere(blob, name, options);
  }
  const worker = options.createWorker?.() ?? new Worker(new URL('../../workers/h5ad.worker.ts', import.meta.url), { type: 'module', name: `h5ad ${name}` });
  const api = wrapWorkerApi<H5adWorkerApi>(worker);
  const stop = () => {
    api[Comlink.releaseProxy]();
    worker.terminate();
  };
  let summary: H5adSummary;
  try {
    const openOptions = {
      ...(options.layers ? { layers: [...options.layers] } : {}),
      ...(options.countCategoriesUpTo !== undefined ? { countCategoriesUpTo: options.countCategoriesUpTo } : {}),
      ...(options.maxReadBytes !== undefined ? { maxReadBytes: options.maxReadBytes } : {}),
    };
    summary = await abortable(Promise.race([api.open(blob, name, openOptions), failedToStart(worker, name)]), options.signal, name);
  } catch (error) {
    stop();
    throw error;
  }
  const label = summary.label;
  return {
    ...summary,
    varNames: () => api.varNames(),
    obsNames: () => api.obsNames(),
    readObs: (column, signal) => abortable<ObsValues>(api.readObs(column), signal, label),
    async readRows(runs, readOptions = {}) {
      const { signal, ...rest } = readOptions;
      const plain = { ...rest, ...(rest.obs ? { obs: [...rest.obs] } : {}) };
      return abortable(api.readRows(runs.map(({ start, end }) => ({ start, end })), plain), signal, label);
    },
    async readExactRows(runs, readOptions = {}) {
      const { signal, layer } = readOptions;
      return abortable<ExactRowBlock>(api.readExactRows(runs.map(({ start, end }) => ({ start, end })), layer === undefined ? {} : { layer }), signal, label);
    },
    async close() {
      try {
        await api.close();
      } finally {
        stop();
      }
    },
  };
}
