// What the .h5ad worker (workers/h5ad.worker.ts) does: read a dropped .h5ad File lazily with
// h5wasm (src/source/h5ad-blob.ts), off the page's thread. The page's side is h5ad-client.ts.
import { withTransfer } from '../rpc/transferables.ts';
import { isTrvaeError } from '../errors.ts';
import { SourceError } from './errors.ts';
import { openH5adBlobHere } from './h5ad-blob.ts';
import type { AnnDataSource, ExactRowBlock, ObsValues, ReadRowsOptions, RowRead, RowRun } from './types.ts';

/** The source's plain-data fields, which cross the worker boundary by structured clone. */
export type H5adSummary = Pick<AnnDataSource, 'label' | 'nObs' | 'nVars' | 'X' | 'layers' | 'obsColumns' | 'unreadableObsColumns'>;

export interface H5adOpenOptions {
  readonly layers?: readonly string[];
  readonly countCategoriesUpTo?: number;
  readonly maxReadBytes?: number;
}

export interface H5adWorkerApi {
  open(blob: Blob, name: string, options?: H5adOpenOptions): Promise<H5adSummary>;
  varNames(): Promise<string[]>;
  obsNames(): Promise<string[]>;
  readObs(name: string): Promise<ObsValues>;
  /** The rows; their buffers are transferred. */
  readRows(runs: readonly RowRun[], options: Omit<ReadRowsOptions, 'signal'>): Promise<RowRead>;
  /** The rows with the stored values unrounded; their buffers are transferred. */
  readExactRows(runs: readonly RowRun[], options: Pick<ReadRowsOptions, 'layer'>): Promise<ExactRowBlock>;
  close(): Promise<void>;
}

export function createH5adWorkerApi(): H5adWorkerApi {
  let source: AnnDataSource | undefined;
  let label = '';

  // h5wasm fails with plain Errors: the page gets those as a SourceError naming the file
  const reading = async <T>(run: (source: AnnDataSource) => Promise<T>): Promise<T> => {
    if (!source) throw new SourceError('invalid-argument', label, 'the .h5ad worker has no open file');
    try {
      return await run(source);
    } catch (error) {
      throw asSourceError(error, label);
    }
  };

  return {
    async open(blob, name, options = {}) {
      label = name;
      try {
        source = await openH5adBlobHere(blob, name, options);
      } catch (error) {
        throw asSourceError(error, label);
      }
      label = source.label;
      const { nObs, nVars, X, layers, obsColumns, unreadableObsColumns } = source;
      return { label, nObs, nVars, X, layers, obsColumns, ...(unreadableObsColumns ? { unreadableObsColumns } : {}) };
    },
    varNames: () => reading((s) => s.varNames()),
    obsNames: () => reading((s) => s.obsNames!()),
    readObs: (name) => reading((s) => s.readObs(name)),
    readRows: (runs, options) => reading(async (s) => withTransfer(await s.readRows(runs, options))),
    readExactRows: (runs, options) => reading(async (s) => withTransfer(await s.readExactRows!(runs, options))),
    async close() {
      const open = source;
      source = undefined;
      await open?.close();
    },
  };
}

function asSourceError(error: unknown, location: string): Error {
  if (isTrvaeError(error)) return error;
  return new SourceError('malformed', location, error instanceof Error ? error.message : String(error), { cause: error });
}
