// Batches from a dataset held in memory (log-normalised rows + condition codes): a seeded
// train/validation split and a per-epoch shuffle that depends only on (seed, epoch), so a run
// resumed from a checkpoint sees exactly the batches it would have seen.

import type { NormalizedBatch } from '../batch.ts';
import { createRng } from '../../random.ts';

export interface InMemoryDataset {
  /** Log-normalised expression, row-major [nCells, nGenes]. */
  readonly x: Float32Array;
  readonly conditions: Int32Array;
  readonly nGenes: number;
  /** Raw counts of the model genes [nCells, nGenes] and library sizes over all genes [nCells], for recon 'nb'. */
  readonly counts?: { readonly counts: Float32Array; readonly sizeFactors: Float32Array };
}

export interface InMemorySplit {
  readonly train: readonly number[];
  readonly validation: readonly number[];
}

function shuffled(rows: readonly number[], seed: number): number[] {
  const order = [...rows];
  const rng = createRng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export function splitRows(nCells: number, validationFraction: number, seed: number, rows?: readonly number[]): InMemorySplit {
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${validationFraction}`);
  const order = shuffled(rows ?? Array.from({ length: nCells }, (_, i) => i), seed);
  const nValidation = Math.round(order.length * validationFraction);
  return { validation: order.slice(0, nValidation).sort((a, b) => a - b), train: order.slice(nValidation).sort((a, b) => a - b) };
}

/** Batches of `rows` (shuffled by seed + epoch when `shuffle`), the last partial batch included. */
export async function* memoryBatches(data: InMemoryDataset, rows: readonly number[], batchSize: number, shuffle: { seed: number; epoch: number } | undefined): AsyncGenerator<NormalizedBatch> {
  const order = shuffle ? shuffled(rows, shuffle.seed * 1_000_003 + shuffle.epoch) : rows;
  const G = data.nGenes;
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const rows = (values: Float32Array) => {
      const out = new Float32Array(idx.length * G);
      idx.forEach((r, k) => out.set(values.subarray(r * G, (r + 1) * G), k * G));
      return out;
    };
    const conditions = Int32Array.from(idx, (r) => data.conditions[r]);
    const counts = data.counts && { counts: rows(data.counts.counts), sizeFactors: Float32Array.from(idx, (r) => (data.counts as NonNullable<InMemoryDataset['counts']>).sizeFactors[r]) };
    yield counts ? { x: rows(data.x), conditions, counts } : { x: rows(data.x), conditions };
  }
}
