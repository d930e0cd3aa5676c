import { describe, expect, it } from 'vitest';
import type { CsrBlock } from '../source/types.ts';
import { gatherNormalize } from './gather-normalize.ts';
import { geneMapFromSelection, validateCsrPool } from './csr-pool.ts';
import { oneHot } from './onehot.ts';
import { randomCsr } from './random-csr.ts';
import { KernelInputError } from './errors.ts';

// 3 cells × 4 genes: [[1,0,3,0],[0,0,0,0],[2,2,0,4]]
const pool: CsrBlock = {
  format: 'csr',
  nRows: 3,
  nCols: 4,
  indptr: Int32Array.from([0, 2, 2, 5]),
  indices: Uint16Array.from([0, 2, 0, 1, 3]),
  data: Float32Array.from([1, 3, 2, 2, 4]),
};

describe('gatherNormalize (CPU path)', () => {
  it('matches scanpy normalize_total + log1p by hand, with selection and batch order', () => {
    const map = geneMapFromSelection(4, [3, 0]);
    const { x, sizeFactors } = gatherNormalize(pool, [2, 1, 0], map, 2, { targetSum: 10, log1p: true });
    expect(Array.from(sizeFactors)).toEqual([8, 0, 4]);
    const expected = [Math.log1p(5), Math.log1p(2.5), 0, 0, 0, Math.log1p(2.5)];
    expected.forEach((v, i) => expect(x[i]).toBeCloseTo(v, 6));
  });

  it('scales with clipping', () => {
    const map = geneMapFromSelection(4, [0]);
    const scale = { mean: Float32Array.of(1), std: Float32Array.of(0.5), clip: 1.5 };
    const { x } = gatherNormalize(pool, [0, 1], map, 1, { targetSum: 4, log1p: false, scale });
    // row 0 gene 0 is 1·4/4 = 1 → (1 − 1)/0.5 = 0; row 1 is empty → (0 − 1)/0.5 = −2 → clipped −1.5.
    expect(Array.from(x)).toEqual([0, -1.5]);
  });

  it('writes into given buffers and validates', () => {
    const out = { x: new Float32Array(8), sizeFactors: new Float32Array(4) };
    const got = gatherNormalize(pool, [0], geneMapFromSelection(4, [0, 1]), 2, { targetSum: null, log1p: false }, out);
    expect(got.x).toBe(out.x);
    expect(Array.from(out.x.subarray(0, 2))).toEqual([1, 0]);
    expect(() => gatherNormalize(pool, [3], geneMapFromSelection(4, [0]), 1, { targetSum: null, log1p: false })).toThrow(KernelInputError);
    expect(() => geneMapFromSelection(4, [1, 1])).toThrow(/twice/);
    expect(() => validateCsrPool({ ...pool, indptr: Int32Array.from([0, 2, 1, 5]) })).toThrow(/decreases at row 1/);
  });

  it('one-hot encodes codes and rejects missing ones', () => {
    expect(Array.from(oneHot([1, 0], 2))).toEqual([0, 1, 1, 0]);
    expect(() => oneHot([2], 2)).toThrow(KernelInputError);
  });

  it('makes valid random pools', () => {
    const p = randomCsr({ nRows: 50, nCols: 30, meanNnz: 20, seed: 1, indexType: 'uint16' });
    expect(() => validateCsrPool(p)).not.toThrow();
    expect(p.indptr[50]).toBeGreaterThan(0);
  });
});
