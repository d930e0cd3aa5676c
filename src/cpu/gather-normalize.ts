// CPU path of the batch builder: CSR pool rows → dense, normalised float32 batch. Same semantics as
// shaders/gather-normalize.wgsl (float32 arithmetic mirrored with Math.fround where it matters), so it
// is both the reference for the GPU kernel and the fallback that feeds the WASM execution provider.
import type { CsrBlock } from '../source/types.ts';
import { KernelInputError } from './errors.ts';
import { validateRowIds } from './csr-pool.ts';
import { inverseStd, type NormalizeOptions } from './normalize-options.ts';

export interface NormalizedRows {
  /** [rows, nSelected] row-major. */
  readonly x: Float32Array;
  /** Total of each full row (all genes, before selection): the library size, for count-based losses. */
  readonly sizeFactors: Float32Array;
}

/** Each pool row's total (all its genes), rounded to float32 like the GPU's. */
export function poolRowTotals(pool: CsrBlock): Float32Array {
  return rowTotals(pool, null);
}

/** Row totals of the batch's rows (all genes; every pool row for null), rounded to float32 like the GPU's. */
function rowTotals(pool: CsrBlock, rowIds: ArrayLike<number> | null, into?: Float32Array): Float32Array {
  const { indptr, data } = pool;
  const n = rowIds ? rowIds.length : pool.nRows;
  const out = into ?? new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rowIds ? rowIds[i] : i;
    let total = 0;
    for (let j = indptr[r], end = indptr[r + 1]; j < end; j++) total += data[j];
    out[i] = total;
  }
  return out;
}

function gatherTotals(totals: Float32Array, rowIds: ArrayLike<number>, into?: Float32Array): Float32Array {
  const out = into ?? new Float32Array(rowIds.length);
  for (let i = 0; i < rowIds.length; i++) out[i] = totals[rowIds[i]];
  return out;
}

/**
 * Gather `rowIds` (batch order) of `pool`, keep the genes of `geneMap` (var → column, −1 dropped),
 * normalise. Writes into `out` when given (no allocation per batch). `totals` gives each pool row's
 * library size when the pool no longer holds all genes (an in-memory pool of the selected genes).
 */
export function gatherNormalize(
  pool: CsrBlock,
  rowIds: ArrayLike<number>,
  geneMap: Int32Array,
  nSelected: number,
  options: NormalizeOptions,
  out?: NormalizedRows,
  totals?: Float32Array,
): NormalizedRows {
  validateRowIds(rowIds, pool.nRows, Number.MAX_SAFE_INTEGER);
  if (geneMap.length !== pool.nCols) {
    throw new KernelInputError('geneMap', `has ${geneMap.length} entries, the pool has ${pool.nCols} genes`);
  }
  const rows = rowIds.length;
  const x = out?.x ?? new Float32Array(rows * nSelected);
  if (totals && totals.length !== pool.nRows) throw new KernelInputError('totals', `has ${totals.length} entries, the pool has ${pool.nRows} rows`);
  const sizeFactors = totals ? gatherTotals(totals, rowIds, out?.sizeFactors) : rowTotals(pool, rowIds, out?.sizeFactors);
  if (x.length < rows * nSelected || sizeFactors.length < rows) {
    throw new KernelInputError('out', `buffers hold fewer than ${rows} rows × ${nSelected} genes`);
  }
  const { targetSum: target, log1p, scale } = options;
  const invStd = scale ? inverseStd(scale.std) : undefined;
  const clip = scale?.clip ?? Infinity;
  const finish = (value: number, c: number): number => {
    let v = log1p ? Math.log1p(value) : value;
    if (scale && invStd) v = Math.min(clip, Math.max(-clip, Math.fround(v - scale.mean[c]) * invStd[c]));
    return v;
  };
  // A row's untouched columns all hold finish(0, c): 0 unless scaled.
  const zeroRow = new Float32Array(nSelected);
  for (let c = 0; c < nSelected; c++) zeroRow[c] = finish(0, c);
  const { indptr, indices, data } = pool;
  for (let i = 0; i < rows; i++) {
    const total = sizeFactors[i];
    const factor = target === null ? 1 : total > 0 ? Math.fround(target / total) : 0;
    const base = i * nSelected;
    x.set(zeroRow, base);
    for (let j = indptr[rowIds[i]], end = indptr[rowIds[i] + 1]; j < end; j++) {
      const c = geneMap[indices[j]];
      if (c >= 0) x[base + c] = finish(Math.fround(data[j] * factor), c);
    }
  }
  return { x, sizeFactors };
}
