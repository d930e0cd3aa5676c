// Dedicated worker that reads a dropped .h5ad File lazily (see src/source/h5ad-blob.ts). The page
// talks to it through comlink (src/source/h5ad-client.ts); errors come back as plain data so their
// code and message survive the trip.

import * as Comlink from 'comlink';
import { SourceError, type SourceErrorCode } from '../src/source/errors.ts';
import { openH5adBlobHere } from '../src/source/h5ad-blob.ts';
import type { AnnDataSource, ObsValues, ReadRowsOptions, RowRead, RowRun } from '../src/source/types.ts';

/** The source's plain-data fields, which cross the worker boundary by structured clone. */
export type H5adSummary = Pick<AnnDataSource, 'label' | 'nObs' | 'nVars' | 'X' | 'layers' | 'obsColumns'>;

export type WorkerResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: SourceErrorCode; readonly location: string; readonly message: string };

export interface H5adOpenOptions {
  readonly layers?: readonly string[];
  readonly countCategoriesUpTo?: number;
  readonly maxReadBytes?: number;
}

let source: AnnDataSource | undefined;

async function settle<T>(run: () => Promise<T>): Promise<WorkerResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof SourceError) return { ok: false, code: error.code, location: error.location, message: error.message };
    return { ok: false, code: 'malformed', location: source?.label ?? '', message: (error as Error).message ?? String(error) };
  }
}

function opened(): AnnDataSource {
  if (!source) throw new SourceError('invalid-argument', '', 'the .h5ad worker has no open file');
  return source;
}

/** Every distinct buffer under the typed arrays of a result, for a zero-copy transfer. */
function buffersOf(read: RowRead): ArrayBuffer[] {
  const views: ArrayBufferView[] = read.block.format === 'csr' ? [read.block.indptr, read.block.indices, read.block.data] : [read.block.values];
  for (const values of Object.values(read.obs)) {
    if (values.kind === 'categorical') views.push(values.codes);
    if (values.kind === 'numeric' || values.kind === 'boolean') views.push(values.values, ...(values.mask ? [values.mask] : []));
  }
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))];
}

const api = {
  open: (blob: Blob, name: string, options: H5adOpenOptions = {}): Promise<WorkerResult<H5adSummary>> =>
    settle(async () => {
      source = await openH5adBlobHere(blob, name, options);
      const { label, nObs, nVars, X, layers, obsColumns } = source;
      return { label, nObs, nVars, X, layers, obsColumns };
    }),
  varNames: () => settle(() => opened().varNames()),
  obsNames: () => settle(() => opened().obsNames!()),
  readObs: async (name: string): Promise<WorkerResult<ObsValues>> => settle(() => opened().readObs(name)),
  async readRows(runs: readonly RowRun[], options: Omit<ReadRowsOptions, 'signal'>): Promise<WorkerResult<RowRead>> {
    const result = await settle(() => opened().readRows(runs, options));
    return result.ok ? Comlink.transfer(result, buffersOf(result.value)) : result;
  },
  close: () =>
    settle(async () => {
      await source?.close();
      source = undefined;
    }),
};

export type H5adWorkerApi = typeof api;

Comlink.expose(api);
