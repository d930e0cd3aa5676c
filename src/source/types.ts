// The one interface over every way AnnData arrives (remote zarr, local zarr, dropped .h5ad, Node path).
// The loader, the kernels and the app depend only on these types, never on a reader's internals.
import type { ZarrFormat } from './store.ts';

/** Half-open row range [start, end) of the AnnData's obs axis. */
export interface RowRun {
  readonly start: number;
  readonly end: number;
}

export type MatrixEncoding = 'csr_matrix' | 'csc_matrix' | 'array';

export interface MatrixInfo {
  readonly encoding: MatrixEncoding;
  /** On-disk dtype of the values, as numpy spells it ('float32', 'int64', …). */
  readonly dtype: string;
  readonly shape: readonly [number, number];
  /** Stored non-zeros (sparse only). */
  readonly nnz?: number;
  /** On-disk dtype of `indices` (sparse only). */
  readonly indexDtype?: string;
}

export type ObsColumnKind = 'categorical' | 'string' | 'numeric' | 'boolean';

export interface ObsColumnInfo {
  readonly name: string;
  readonly kind: ObsColumnKind;
  /** anndata's encoding-type of the column ('categorical', 'string-array', 'array', 'nullable-integer', …). */
  readonly encoding: string;
  readonly dtype: string;
  /** Has missing values by construction (nullable-* encodings, categorical code −1). */
  readonly nullable: boolean;
  /** Categorical only. */
  readonly categories?: readonly string[];
  /** Categorical only: cells per category, same order as `categories`. */
  readonly counts?: readonly number[];
  readonly ordered?: boolean;
}

/** Rows of a sparse matrix. indptr starts at 0 and has nRows + 1 entries. */
export interface CsrBlock {
  readonly format: 'csr';
  readonly nRows: number;
  readonly nCols: number;
  readonly indptr: Int32Array | Float64Array;
  readonly indices: Uint16Array | Int32Array | Uint32Array;
  readonly data: Float32Array;
}

/** Rows of a dense matrix, row-major. */
export interface DenseBlock {
  readonly format: 'dense';
  readonly nRows: number;
  readonly nCols: number;
  readonly values: Float32Array;
}

export type RowBlock = CsrBlock | DenseBlock;

/**
 * Stored values unrounded: float64 (exact for every stored float and for integers up to 32 bits),
 * or the int64 / uint64 values themselves.
 */
export type ExactValues = Float64Array | BigInt64Array | BigUint64Array;

export type ExactRowBlock = (Omit<CsrBlock, 'data'> & { readonly data: ExactValues }) | (Omit<DenseBlock, 'values'> & { readonly values: ExactValues });

/** An obs column the reader could not open (an unknown encoding, a damaged array): the file still opens. */
export interface UnreadableColumnInfo {
  readonly name: string;
  readonly encoding: string;
  /** Why, naming the file and the column; reading the column fails with this message. */
  readonly reason: string;
}

/** Values of one obs column for the rows read. */
export type ObsValues =
  | { readonly kind: 'categorical'; readonly codes: Int32Array; readonly categories: readonly string[] }
  | { readonly kind: 'numeric'; readonly values: Float64Array; readonly mask?: Uint8Array }
  | { readonly kind: 'boolean'; readonly values: Uint8Array; readonly mask?: Uint8Array }
  | { readonly kind: 'string'; readonly values: readonly (string | null)[] };

export interface RowRead {
  /** The rows of all runs, in run order, as one block. */
  readonly block: RowBlock;
  readonly obs: Readonly<Record<string, ObsValues>>;
}

export interface ReadRowsOptions {
  /** Read a named layer (e.g. 'counts') instead of X. */
  readonly layer?: string;
  /** obs columns to return for the rows. */
  readonly obs?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface AnnDataSource {
  /** URL or file name, for messages. */
  readonly label: string;
  readonly nObs: number;
  readonly nVars: number;
  readonly X: MatrixInfo;
  readonly layers: Readonly<Record<string, MatrixInfo>>;
  readonly obsColumns: readonly ObsColumnInfo[];
  /** obs columns present in the file that cannot be read (absent: none, or the source cannot tell). */
  readonly unreadableObsColumns?: readonly UnreadableColumnInfo[];
  /** A zarr store's format (absent for .h5ad): pass it with the URL to open the store again without probing. */
  readonly zarrFormat?: ZarrFormat;
  varNames(): Promise<string[]>;
  /** obs index (cell names). Optional so sources without names (synthetic, in-memory) still fit. */
  obsNames?(): Promise<string[]>;
  /** Whole obs column (all rows). */
  readObs(name: string, signal?: AbortSignal): Promise<ObsValues>;
  /** Sorted, non-overlapping runs → one block; many runs become few I/O operations. */
  readRows(runs: readonly RowRun[], options?: ReadRowsOptions): Promise<RowRead>;
  /** Like readRows' block, with the stored values unrounded (float64 and int64 exactly). */
  readExactRows?(runs: readonly RowRun[], options?: Pick<ReadRowsOptions, 'layer' | 'signal'>): Promise<ExactRowBlock>;
  close(): Promise<void>;
}
