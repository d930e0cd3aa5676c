// Seeded synthetic CSR pools (count-like data) for tests and benchmarks.
import type { CsrBlock } from '../source/types.ts';

/** mulberry32: small seeded uniform generator in [0, 1). */
export function uniformStream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomCsrOptions {
  readonly nRows: number;
  readonly nCols: number;
  /** Mean non-zeros per row (each row draws uniformly in [0, 2·mean]). */
  readonly meanNnz: number;
  readonly seed: number;
  readonly indexType?: 'uint16' | 'int32';
}

/** Rows with sorted unique gene indices and small positive integer counts. */
export function randomCsr({ nRows, nCols, meanNnz, seed, indexType = 'int32' }: RandomCsrOptions): CsrBlock {
  const rand = uniformStream(seed);
  const indptr = new Int32Array(nRows + 1);
  const perRow = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    perRow[r] = Math.min(nCols, Math.floor(rand() * (2 * meanNnz + 1)));
    indptr[r + 1] = indptr[r] + perRow[r];
  }
  const nnz = indptr[nRows];
  const indices = indexType === 'uint16' ? new Uint16Array(nnz) : new Int32Array(nnz);
  const data = new Float32Array(nnz);
  const taken = new Uint8Array(nCols);
  const picked = new Int32Array(nCols);
  for (let r = 0; r < nRows; r++) {
    const k = perRow[r];
    let m = 0;
    // Rejection sampling for sparse rows, a partial shuffle for dense ones.
    if (k * 2 < nCols) {
      while (m < k) {
        const g = Math.floor(rand() * nCols);
        if (!taken[g]) {
          taken[g] = 1;
          picked[m++] = g;
        }
      }
      for (let i = 0; i < m; i++) taken[picked[i]] = 0;
    } else {
      for (let g = 0; g < nCols; g++) picked[g] = g;
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rand() * (nCols - i));
        [picked[i], picked[j]] = [picked[j], picked[i]];
      }
      m = k;
    }
    const row = picked.subarray(0, m).sort();
    indices.set(row, indptr[r]);
    for (let i = indptr[r]; i < indptr[r + 1]; i++) data[i] = 1 + Math.floor(-Math.log(1 - rand()) * 3);
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}
