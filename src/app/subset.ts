import type { InMemoryDataset } from '../model/train/memory-batches.ts';

/** The rows `rows` of a dataset as a new, compact dataset (what the worker trains on). */
export function subsetRows(data: InMemoryDataset, rows: readonly number[]): InMemoryDataset {
  const G = data.nGenes;
  const x = new Float32Array(rows.length * G);
  const conditions = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(data.x.subarray(row * G, (row + 1) * G), i * G);
    conditions[i] = data.conditions[row];
  });
  return { x, conditions, nGenes: G };
}
