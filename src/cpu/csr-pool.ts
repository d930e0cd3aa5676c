// Checks on a CSR pool and a gene map before any kernel reads them, so bad input fails loudly
// instead of producing silently wrong batches.
import type { CsrBlock, RowBlock } from '../source/types.ts';
import { KernelInputError } from './errors.ts';

/**
 * Structure of a pool: indptr monotone from 0 to nnz, every index < nCols. O(nnz), done once per pool.
 * Indices within a row must be unique (anndata's canonical CSR); duplicates are not summed.
 */
export function validateCsrPool(pool: CsrBlock): void {
  const { nRows, nCols, indptr, indices, data } = pool;
  if (indptr.length !== nRows + 1) {
    throw new KernelInputError('pool.indptr', `has ${indptr.length} entries, expected nRows + 1 = ${nRows + 1}`);
  }
  if (indptr[0] !== 0) throw new KernelInputError('pool.indptr', `must start at 0, starts at ${indptr[0]}`);
  const nnz = indptr[nRows];
  if (indices.length < nnz || data.length < nnz) {
    throw new KernelInputError(
      'pool',
      `indptr ends at ${nnz} but indices has ${indices.length} and data ${data.length} entries`,
    );
  }
  for (let r = 0; r < nRows; r++) {
    if (!(indptr[r + 1] >= indptr[r])) {
      throw new KernelInputError('pool.indptr', `decreases at row ${r} (${indptr[r]} → ${indptr[r + 1]})`);
    }
  }
  for (let j = 0; j < nnz; j++) {
    const g = indices[j];
    if (g < 0 || g >= nCols) {
      throw new KernelInputError('pool.indices', `entry ${j} is gene ${g}, outside [0, ${nCols})`);
    }
  }
}

/** Gene map: var index → output column, −1 = dropped; columns must be unique and in [0, nSelected). */
export function validateGeneMap(geneMap: Int32Array, nVars: number): number {
  if (geneMap.length !== nVars) {
    throw new KernelInputError('geneMap', `has ${geneMap.length} entries, expected one per var (${nVars})`);
  }
  let nSelected = 0;
  for (let g = 0; g < nVars; g++) if (geneMap[g] >= 0) nSelected++;
  const seen = new Uint8Array(nSelected);
  for (let g = 0; g < nVars; g++) {
    const c = geneMap[g];
    if (c < -1) throw new KernelInputError('geneMap', `var ${g} maps to ${c}; use −1 to drop a gene`);
    if (c === -1) continue;
    if (c >= nSelected || seen[c]) {
      throw new KernelInputError(
        'geneMap',
        `columns must be a permutation of 0..${nSelected - 1}; var ${g} maps to ${c}`,
      );
    }
    seen[c] = 1;
  }
  return nSelected;
}

/** Gene map that keeps `selected` var indices, in that order, as output columns. */
export function geneMapFromSelection(nVars: number, selected: ArrayLike<number>): Int32Array {
  const map = new Int32Array(nVars).fill(-1);
  for (let c = 0; c < selected.length; c++) {
    const g = selected[c];
    if (!Number.isInteger(g) || g < 0 || g >= nVars) {
      throw new KernelInputError('selected', `entry ${c} is ${g}, not a var index in [0, ${nVars})`);
    }
    if (map[g] !== -1) throw new KernelInputError('selected', `var ${g} is selected twice`);
    map[g] = c;
  }
  return map;
}

/** Row ids of a batch must index rows of the pool. */
export function validateRowIds(rowIds: ArrayLike<number>, nRows: number, maxRows: number): void {
  if (rowIds.length > maxRows) {
    throw new KernelInputError('rowIds', `batch has ${rowIds.length} rows, more than maxBatchRows (${maxRows})`);
  }
  for (let i = 0; i < rowIds.length; i++) {
    const r = rowIds[i];
    if (!Number.isInteger(r) || r < 0 || r >= nRows) {
      throw new KernelInputError('rowIds', `entry ${i} is ${r}, not a pool row in [0, ${nRows})`);
    }
  }
}

/** A row block as CSR: CSR blocks as they are, dense blocks with their zeros dropped. */
export function blockToCsr(block: RowBlock): CsrBlock {
  if (block.format === 'csr') return block;
  const { nRows, nCols, values } = block;
  let nnz = 0;
  for (const v of values) if (v !== 0) nnz++;
  const indptr = new Int32Array(nRows + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let e = 0;
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      const v = values[r * nCols + c];
      if (v !== 0) {
        indices[e] = c;
        data[e++] = v;
      }
    }
    indptr[r + 1] = e;
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}
