import { describe, expect, it } from 'vitest';
import { createCpuTrainingBatch, type TrainingBatchLayout } from './training-batch.ts';
import { geneMapFromSelection } from './csr-pool.ts';
import { gatherNormalize } from './gather-normalize.ts';
import { dropoutMask, normalNoise } from './philox.ts';
import { randomCsr } from './random-csr.ts';
import { KernelInputError } from './errors.ts';

const layout: TrainingBatchLayout = {
  nVars: 30,
  geneMap: geneMapFromSelection(30, [4, 2, 9]),
  normalize: { targetSum: 1e4, log1p: true },
  inputs: [
    { name: 'x', perCell: [3], source: { kind: 'x' } },
    { name: 'c', perCell: [2], source: { kind: 'onehot' } },
    { name: 'eps', perCell: [3], source: { kind: 'normal', stream: 0 } },
    { name: 'm0', perCell: [5], source: { kind: 'dropout', rate: 0.5, stream: 1 } },
  ],
  batchSize: 4,
  seed: 9,
};

describe('createCpuTrainingBatch', () => {
  it('fills every input of the contract in place, with Philox streams per step', () => {
    const pool = randomCsr({ nRows: 10, nCols: 30, meanNnz: 8, seed: 2 });
    const batch = createCpuTrainingBatch(layout);
    const x = batch.arrays.x;
    batch.fill(pool, [3, 1, 4, 1], [0, 1, 1, 0], 7);
    expect(batch.arrays.x).toBe(x);
    expect(Object.keys(batch.arrays).sort()).toEqual(['c', 'eps', 'm0', 'x']);
    expect(Array.from(batch.sizeFactors)).toEqual(Array.from(gatherNormalize(pool, [3, 1, 4, 1], layout.geneMap, 3, layout.normalize).sizeFactors));
    expect(Array.from(batch.arrays.x)).toEqual(Array.from(gatherNormalize(pool, [3, 1, 4, 1], layout.geneMap, 3, layout.normalize).x));
    expect(Array.from(batch.arrays.c)).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
    expect(batch.arrays.eps).toEqual(normalNoise(12, { seed: 9, step: 7, stream: 0 }));
    expect(batch.arrays.m0).toEqual(dropoutMask(20, 0.5, { seed: 9, step: 7, stream: 1 }));
    const eps7 = batch.arrays.eps.slice();
    batch.fill(pool, [3, 1, 4, 1], [0, 1, 1, 0], 8);
    expect(batch.arrays.eps).not.toEqual(eps7);
  });

  it('rejects a batch of the wrong size and bad layouts', () => {
    const pool = randomCsr({ nRows: 10, nCols: 30, meanNnz: 8, seed: 2 });
    expect(() => createCpuTrainingBatch(layout).fill(pool, [1, 2], [0, 0], 0)).toThrow(KernelInputError);
    const withInput = (name: string, change: object) => ({ ...layout, inputs: layout.inputs.map((i) => (i.name === name ? { ...i, ...change } : i)) });
    expect(() => createCpuTrainingBatch(withInput('m0', { source: { kind: 'dropout', rate: 1, stream: 1 } }))).toThrow(/probability/);
    expect(() => createCpuTrainingBatch(withInput('eps', { perCell: [0] }))).toThrow(/eps/);
    expect(() => createCpuTrainingBatch(withInput('x', { perCell: [4] }))).toThrow(/x: has 4 values per cell, but the gene map selects 3 genes/);
  });
});
