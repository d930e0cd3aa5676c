// A synthetic Tahoe-like AnnData (counts, ~nnzPerRow non-zeros per cell, two obs categoricals),
// deterministic by seed and generated block by block, for benchmarks and tests.
import { createRng } from '../random.ts';
import type { CsrBlock } from '../source/types.ts';
import type { AnnDataInput } from './anndata-writer.ts';

export interface SyntheticOptions {
  readonly nObs: number;
  readonly nVars: number;
  readonly nnzPerRow: number;
  readonly seed?: number;
  /** Rows per generated block. */
  readonly blockRows?: number;
}

export const syntheticConditions = ['control', 'stimulated'];
export const syntheticCellTypes = ['T cell', 'B cell', 'NK', 'monocyte', 'dendritic', 'platelet', 'erythroid', 'stem'];

/** obs codes: condition alternates by a hash; cell types are skewed (the last are rare). */
export function syntheticObs(nObs: number, seed = 0): { condition: Int32Array; cellType: Int32Array } {
  const rng = createRng(seed, 1);
  const condition = new Int32Array(nObs);
  const cellType = new Int32Array(nObs);
  for (let i = 0; i < nObs; i++) {
    condition[i] = rng.next() < 0.5 ? 0 : 1;
    cellType[i] = Math.min(syntheticCellTypes.length - 1, Math.floor(-Math.log(1 - rng.next()) * 1.6));
  }
  return { condition, cellType };
}

/** Row blocks of the synthetic counts; row r's values depend only on (seed, r). */
export function syntheticRows(options: SyntheticOptions, from: number, to: number): CsrBlock {
  const { nVars, nnzPerRow } = options;
  const seed = options.seed ?? 0;
  const meanGap = nVars / nnzPerRow;
  const maxGap = Math.max(1, Math.floor(2 * meanGap - 1));
  const nRows = to - from;
  const capacity = Math.ceil(nRows * nnzPerRow * 1.2) + nVars;
  if (nVars > 65536) throw new RangeError('synthetic data has at most 65,536 genes (uint16 indices)');
  let indices: Uint16Array = new Uint16Array(capacity);
  let data: Float32Array = new Float32Array(capacity);
  const indptr = new Int32Array(nRows + 1);
  let e = 0;
  for (let r = 0; r < nRows; r++) {
    const rng = createRng(seed, 1_000_000 + from + r);
    if (e + nVars > indices.length) {
      const moreIndices = new Uint16Array(indices.length * 2);
      moreIndices.set(indices);
      indices = moreIndices;
      const moreData = new Float32Array(data.length * 2);
      moreData.set(data);
      data = moreData;
    }
    let g = rng.int(maxGap);
    while (g < nVars) {
      indices[e] = g;
      const u = rng.next();
      // counts: mostly 1–3, heavy-ish tail
      data[e] = 1 + Math.floor(-Math.log(1 - u) * 1.5);
      e++;
      g += 1 + rng.int(maxGap);
    }
    indptr[r + 1] = e;
  }
  return { format: 'csr', nRows, nCols: nVars, indptr, indices: indices.slice(0, e), data: data.slice(0, e) };
}

export function syntheticAnnData(options: SyntheticOptions): AnnDataInput {
  const { nObs, nVars, nnzPerRow } = options;
  const blockRows = options.blockRows ?? 4096;
  const { condition, cellType } = syntheticObs(nObs, options.seed ?? 0);
  return {
    nObs,
    nVars,
    X: {
      encoding: 'csr_matrix',
      nnz: nObs * nnzPerRow,
      blocks: (async function* () {
        for (let s = 0; s < nObs; s += blockRows) yield syntheticRows(options, s, Math.min(nObs, s + blockRows));
      })(),
    },
    obs: {
      index: Array.from({ length: nObs }, (_, i) => `cell_${i}`),
      columns: [
        { name: 'condition', values: { kind: 'categorical', codes: condition, categories: syntheticConditions } },
        { name: 'cell_type', values: { kind: 'categorical', codes: cellType, categories: syntheticCellTypes } },
      ],
    },
    var: { index: Array.from({ length: nVars }, (_, i) => `gene_${i}`), columns: [] },
  };
}
