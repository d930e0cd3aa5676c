import { describe, expect, it } from 'vitest';
import { BatchError, dropoutMask, logNormalize, oneHot } from './batch.ts';
import { createRng } from './random.ts';

describe('CPU batch preparation', () => {
  const dense = { format: 'dense' as const, nRows: 2, nCols: 4, values: Float32Array.from([1, 0, 3, 6, 0, 0, 0, 0]) };
  const csr = {
    format: 'csr' as const, nRows: 2, nCols: 4,
    indptr: Int32Array.from([0, 3, 3]), indices: Int32Array.from([0, 2, 3]), data: Float32Array.from([1, 3, 6]),
  };

  it('normalize_total over all genes, then log1p of the selected genes in the given order (CSR and dense agree)', () => {
    for (const block of [dense, csr]) {
      const { x, sizeFactors } = logNormalize(block, [3, 0]);
      expect([...sizeFactors]).toEqual([10, 0]);
      expect(x[0]).toBeCloseTo(Math.log1p(6e3), 5);
      expect(x[1]).toBeCloseTo(Math.log1p(1e3), 5);
      expect([x[2], x[3]]).toEqual([0, 0]); // an empty cell stays 0, not NaN
    }
  });

  it('rejects gene indices and condition codes out of range', () => {
    expect(() => logNormalize(dense, [4])).toThrow(BatchError);
    expect(() => oneHot(Int32Array.from([0, 2]), 2)).toThrow(/condition code 2 at row 1/);
    expect([...oneHot(Int32Array.from([1, 0]), 2)]).toEqual([0, 1, 1, 0]);
  });

  it('inverted dropout masks keep the expectation at 1', () => {
    const m = dropoutMask(createRng(1), 20000, 0.2);
    expect(new Set(m)).toEqual(new Set([0, 1.25]));
    expect(m.reduce((a, b) => a + b, 0) / m.length).toBeCloseTo(1, 1);
  });
});
