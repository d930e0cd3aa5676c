// CPU batch preparation, the reference for the WGSL kernels in src/gpu/ (same contract): x float32
// [B, G] row-major (normalize_total → log1p of the selected genes), condition one-hot float32
// [B, C], eps float32 [B, Z], inverted-dropout masks float32 [B, width], size factors [B].

import type { RowBlock } from '../source/types.ts';
import type { Rng } from './random.ts';

/** What the trainer consumes: log-normalised expression and integer condition codes. */
export interface RawBatch {
  readonly x: Float32Array;
  readonly conditions: Int32Array;
  /** Global row ids, when the producer knows them. */
  readonly rows?: Uint32Array;
}

export interface NormalizedRows {
  readonly x: Float32Array;
  /** Library size of each row over all genes (before selection). */
  readonly sizeFactors: Float32Array;
}

export class BatchError extends Error {
  override readonly name = 'BatchError';
}

/**
 * scanpy's normalize_total(target_sum) then log1p, keeping the columns `genes` (var indices) in that
 * order. Library sizes are over all genes of the row, as normalize_total runs before HVG selection.
 * A row with no counts stays 0.
 */
export function logNormalize(block: RowBlock, genes: ArrayLike<number>, targetSum = 1e4): NormalizedRows {
  const nGenes = genes.length;
  const column = new Int32Array(block.nCols).fill(-1);
  for (let j = 0; j < nGenes; j++) {
    const g = genes[j];
    if (!Number.isInteger(g) || g < 0 || g >= block.nCols) throw new BatchError(`gene index ${g} is outside the matrix's ${block.nCols} columns`);
    column[g] = j;
  }
  const x = new Float32Array(block.nRows * nGenes);
  const sizeFactors = new Float32Array(block.nRows);
  for (let r = 0; r < block.nRows; r++) {
    let total = 0;
    if (block.format === 'csr') {
      for (let k = Number(block.indptr[r]); k < Number(block.indptr[r + 1]); k++) total += block.data[k];
    } else {
      for (let c = 0; c < block.nCols; c++) total += block.values[r * block.nCols + c];
    }
    sizeFactors[r] = total;
    const scale = total > 0 ? targetSum / total : 0;
    const out = r * nGenes;
    if (block.format === 'csr') {
      for (let k = Number(block.indptr[r]); k < Number(block.indptr[r + 1]); k++) {
        const j = column[block.indices[k]];
        if (j >= 0) x[out + j] = Math.log1p(block.data[k] * scale);
      }
    } else {
      for (let j = 0; j < nGenes; j++) x[out + j] = Math.log1p(block.values[r * block.nCols + (genes[j] as number)] * scale);
    }
  }
  return { x, sizeFactors };
}

/** The columns `genes` of a block as dense float32 [nRows, genes.length], values as stored. */
export function selectGenes(block: RowBlock, genes: ArrayLike<number>): Float32Array {
  const nGenes = genes.length;
  const out = new Float32Array(block.nRows * nGenes);
  if (block.format === 'dense') {
    for (let r = 0; r < block.nRows; r++) for (let j = 0; j < nGenes; j++) out[r * nGenes + j] = block.values[r * block.nCols + (genes[j] as number)];
    return out;
  }
  const column = new Int32Array(block.nCols).fill(-1);
  for (let j = 0; j < nGenes; j++) column[genes[j]] = j;
  for (let r = 0; r < block.nRows; r++) {
    for (let k = Number(block.indptr[r]); k < Number(block.indptr[r + 1]); k++) {
      const j = column[block.indices[k]];
      if (j >= 0) out[r * nGenes + j] = block.data[k];
    }
  }
  return out;
}

export function oneHot(codes: Int32Array, nConditions: number): Float32Array {
  const out = new Float32Array(codes.length * nConditions);
  codes.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= nConditions) throw new BatchError(`condition code ${c} at row ${i} is not in [0, ${nConditions})`);
    out[i * nConditions + c] = 1;
  });
  return out;
}

export function normalNoise(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Inverted dropout: 0 with probability p, else 1/(1 − p). */
export function dropoutMask(rng: Rng, n: number, p: number): Float32Array {
  const out = new Float32Array(n);
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) out[i] = rng.next() < p ? 0 : keep;
  return out;
}
