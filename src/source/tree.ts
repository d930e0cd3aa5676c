// What the AnnData encodings need from a container, whatever it is (zarr via zarrita, HDF5 via
// h5wasm): groups with attributes and children, and 1-D/2-D arrays read by row ranges.

import type { RowRun } from './types.ts';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** What an array read gives: numbers (booleans as 0/1 in a Uint8Array), or strings. */
export type ArrayValues = NumericArray | readonly (string | null)[];

export type Attrs = Readonly<Record<string, unknown>>;

export interface ArrayNode {
  readonly kind: 'array';
  /** Path inside the container, e.g. 'X/indptr'. */
  readonly path: string;
  readonly shape: readonly number[];
  /** numpy's name for the element type: 'float32', 'int64', 'uint16', 'bool', 'string', … */
  readonly dtype: string;
  readonly attrs: Attrs;
  /** Rows per storage chunk along axis 0: reads aligned to it fetch nothing twice. */
  readonly chunkRows: number;
  /** Rows [start, end) along axis 0 (whole rows of a 2-D array, row-major). */
  read(start: number, end: number, signal?: AbortSignal): Promise<ArrayValues>;
  /** The rows of sorted runs, concatenated, read chunk by chunk (numeric zarr arrays); see readRunsOf. */
  readonly readRuns?: (runs: readonly RowRun[], signal?: AbortSignal) => Promise<NumericArray>;
}

export interface GroupNode {
  readonly kind: 'group';
  readonly path: string;
  readonly attrs: Attrs;
  /** The named child, or undefined when there is none. */
  child(name: string): Promise<TreeNode | undefined>;
  /** Names of the children, or undefined when the container cannot list (HTTP zarr without consolidated metadata). */
  keys(): Promise<string[] | undefined>;
}

export type TreeNode = ArrayNode | GroupNode;

export function joinPath(parent: string, name: string): string {
  return parent ? `${parent}/${name}` : name;
}
