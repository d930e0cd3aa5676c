// Row reads of a CSR matrix: runs → element ranges through indptr (read only around the rows asked
// for, cached in aligned blocks), all data/indices ranges fetched at once, indptr rebuilt by
// cumulative sum.

import { SourceError, throwIfAborted } from './errors.ts';
import { readRunsOf } from './runs.ts';
import type { ArrayNode, ArrayValues } from './tree.ts';
import type { CsrBlock, ExactValues, RowRun } from './types.ts';
import { toExact, toFloat32, toFloat64, toInt32 } from './values.ts';

/** indptr entries kept in memory across calls (Float64 each): 64 MiB. */
const indptrCacheEntries = 8 * 1024 * 1024;

export interface CsrArrays {
  readonly data: ArrayNode;
  readonly indices: ArrayNode;
  readonly indptr: ArrayNode;
  readonly nRows: number;
  readonly nCols: number;
  /** Path of the matrix group, for messages. */
  readonly where: string;
}

/** Block length for the indptr cache: whole storage chunks, at least 4096 entries, at most 2^20 unless a chunk is larger. */
function indptrBlockLength(chunkRows: number): number {
  if (chunkRows > 1 << 20) return 1 << 16;
  return chunkRows * Math.ceil(4096 / chunkRows);
}

/** Index of the first column outside [0, nCols), or −1. A small function of its own so V8 keeps it fast. */
function firstOutOfRange(indices: Uint16Array | Int32Array, nCols: number): number {
  if (indices instanceof Uint16Array && nCols > 0xffff) return -1;
  for (let i = 0; i < indices.length; i++) {
    const c = indices[i]!;
    if (c < 0 || c >= nCols) return i;
  }
  return -1;
}

export interface CsrReader {
  readRows(runs: readonly RowRun[], signal?: AbortSignal): Promise<CsrBlock>;
  /** The same rows with data unrounded (float64, or int64 as BigInt). */
  readExactRows(runs: readonly RowRun[], signal?: AbortSignal): Promise<Omit<CsrBlock, 'data'> & { readonly data: ExactValues }>;
}

export function createCsrReader(arrays: CsrArrays): CsrReader {
  const { data, indices, indptr, nRows, nCols, where } = arrays;
  const nnz = data.shape[0] ?? 0;
  const blockLength = indptrBlockLength(Math.max(1, indptr.chunkRows));
  const blocks = new Map<number, Promise<Float64Array>>(); // insertion order = least recently used first
  const maxBlocks = Math.max(4, Math.floor(indptrCacheEntries / blockLength));

  function block(index: number, signal?: AbortSignal): Promise<Float64Array> {
    const hit = blocks.get(index);
    if (hit) {
      blocks.delete(index);
      blocks.set(index, hit);
      return hit;
    }
    const start = index * blockLength;
    const end = Math.min(nRows + 1, start + blockLength);
    const read = indptr.read(start, end, signal).then((values) => {
      const entries = toFloat64(values, where);
      checkIndptr(entries, start);
      return entries;
    });
    read.catch(() => blocks.delete(index));
    blocks.set(index, read);
    while (blocks.size > maxBlocks) blocks.delete(blocks.keys().next().value!);
    return read;
  }

  function checkIndptr(entries: Float64Array, start: number): void {
    for (let i = 0; i < entries.length; i++) {
      const v = entries[i]!;
      const previous = i > 0 ? entries[i - 1]! : v;
      if (!(v >= previous && v >= 0 && v <= nnz)) {
        throw new SourceError(
          'malformed',
          where,
          `${where}/indptr is corrupt at row ${start + i}: value ${v} after ${previous} (indptr must rise monotonically from 0 to nnz = ${nnz}). Re-write the matrix with anndata.`,
        );
      }
    }
    if (start === 0 && entries.length > 0 && entries[0] !== 0) {
      throw new SourceError('malformed', where, `${where}/indptr starts at ${entries[0]} instead of 0. Re-write the matrix with anndata.`);
    }
    if (start + entries.length === nRows + 1 && entries[entries.length - 1] !== nnz) {
      throw new SourceError('malformed', where, `${where}/indptr ends at ${entries[entries.length - 1]} but data holds ${nnz} values. Re-write the matrix with anndata.`);
    }
  }

  /** indptr[start..end] inclusive, from cached blocks. */
  async function pointers(start: number, end: number, signal?: AbortSignal): Promise<Float64Array> {
    const first = Math.floor(start / blockLength);
    const last = Math.floor(end / blockLength);
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => block(first + k, signal)));
    const out = new Float64Array(end - start + 1);
    parts.forEach((part, k) => {
      const blockStart = (first + k) * blockLength;
      const from = Math.max(start, blockStart) - blockStart;
      const to = Math.min(end + 1, blockStart + part.length) - blockStart;
      out.set(part.subarray(from, to), blockStart + from - start);
    });
    return out;
  }

  async function readRows<D extends { readonly length: number }>(runs: readonly RowRun[], signal: AbortSignal | undefined, convert: (values: ArrayValues, where: string) => D) {
    const rowRuns = runs.filter((r) => r.end > r.start);
    const ptrs = await Promise.all(rowRuns.map((r) => pointers(r.start, r.end, signal)));
    throwIfAborted(signal, where);
    const elementRuns = ptrs.map((p) => ({ start: p[0]!, end: p[p.length - 1]! }));
    const nOut = rowRuns.reduce((n, r) => n + r.end - r.start, 0);
    const total = elementRuns.reduce((n, r) => n + r.end - r.start, 0);

    const indptrOut = total < 2 ** 31 ? new Int32Array(nOut + 1) : new Float64Array(nOut + 1);
    let row = 0;
    let offset = 0;
    for (const p of ptrs) {
      for (let i = 1; i < p.length; i++) indptrOut[++row] = offset + p[i]! - p[0]!;
      offset += p[p.length - 1]! - p[0]!;
    }

    // Element runs are sorted and disjoint because row runs are: one span per neighbourhood of chunks.
    const [values, columns] = await Promise.all([readRunsOf(data, elementRuns, signal), readRunsOf(indices, elementRuns, signal)]);
    const dataOut = convert(values, `${where}/data`);
    const indicesOut = indices.dtype === 'uint16' ? (columns instanceof Uint16Array ? columns : new Uint16Array(0)) : toInt32(columns, `${where}/indices`);
    const bad = firstOutOfRange(indicesOut, nCols);
    if (bad >= 0) {
      throw new SourceError('malformed', where, `${where}/indices holds column ${indicesOut[bad]} (element ${bad} of this read), outside [0, ${nCols}). The matrix is corrupt; re-write it with anndata.`);
    }
    if (dataOut.length !== total || indicesOut.length !== total) {
      throw new SourceError('malformed', where, `${where}: data or indices is shorter than indptr says (${total} values expected).`);
    }
    return { format: 'csr' as const, nRows: nOut, nCols, indptr: indptrOut, indices: indicesOut, data: dataOut };
  }

  return {
    readRows: (runs, signal) => readRows(runs, signal, toFloat32),
    readExactRows: (runs, signal) => readRows(runs, signal, toExact),
  };
}

