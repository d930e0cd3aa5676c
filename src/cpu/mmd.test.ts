import { describe, expect, it } from 'vitest';
import { MMD_SIGMAS, kernelMinusOne, mmd } from './mmd.ts';
import { uniformStream } from './random-csr.ts';
import { KernelInputError } from './errors.ts';

/** The textbook estimator with the raw kernel, independent of the k − 1 bookkeeping. */
function textbook(y: Float64Array, dims: number, codes: number[], nGroups: number): number {
  const k = (a: number, b: number) => {
    let d = 0;
    for (let h = 0; h < dims; h++) d += (y[a * dims + h] - y[b * dims + h]) ** 2;
    return MMD_SIGMAS.reduce((s, sigma) => s + Math.exp(-d / (2 * sigma)), 0) / MMD_SIGMAS.length;
  };
  const groups = Array.from({ length: nGroups }, (_, g) => codes.flatMap((c, i) => (c === g ? [i] : [])));
  const mean = (p: number[], q: number[]) => p.reduce((s, a) => s + q.reduce((t, b) => t + k(a, b), 0), 0) / (p.length * q.length);
  let total = 0;
  for (let g = 0; g < nGroups; g++) {
    for (let h = g + 1; h < nGroups; h++) {
      if (groups[g].length && groups[h].length) total += mean(groups[g], groups[g]) + mean(groups[h], groups[h]) - 2 * mean(groups[g], groups[h]);
    }
  }
  return total;
}

describe('mmd (CPU)', () => {
  it('equals the textbook V-statistic over all pairs of present groups', () => {
    const rand = uniformStream(1);
    const codes = Array.from({ length: 40 }, (_, i) => [0, 1, 3, -1][i % 4]);
    const y = Float64Array.from({ length: 40 * 5 }, (_, i) => rand() * 2 + Math.max(0, codes[Math.floor(i / 5)]));
    const got = mmd(y, 40, 5, codes, 4);
    expect(got.total).toBeGreaterThan(0.01);
    expect(got.total).toBeCloseTo(textbook(y, 5, codes, 4), 12);
    expect(Array.from(got.counts)).toEqual([10, 10, 0, 10]);
    expect(got.pairs[0 * 4 + 2]).toBe(0);
  });

  it('is exactly 0 for one group or identical groups, and k − 1 is exact at d = 0', () => {
    expect(kernelMinusOne(0)).toBe(0);
    expect(mmd(Float32Array.of(1, 2, 3), 3, 1, [0, 0, 0], 2).total).toBe(0);
    expect(mmd(Float32Array.of(1, 2, 1, 2), 4, 1, [0, 0, 1, 1], 2).total).toBe(0);
    // Large-σ terms: points 1e-3 apart still give a positive MMD.
    expect(mmd(Float32Array.of(0, 1e-3), 2, 1, [0, 1], 2).total).toBeGreaterThan(0);
  });

  it('rejects bad codes and shapes', () => {
    expect(() => mmd(new Float32Array(4), 2, 2, [0, 2], 2)).toThrow(KernelInputError);
    expect(() => mmd(new Float32Array(3), 2, 2, [0, 1], 2)).toThrow(/fewer than 2 rows/);
  });
});
