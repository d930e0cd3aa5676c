import { describe, expect, it } from 'vitest';
import { accumulateCsr, createGeneMoments, mergeMoments, seuratHvg, variances, type GeneMoments, type HvgInput } from './hvg.ts';
import { hvgFixture } from './hvg-fixture.ts';
import { randomCsr } from './random-csr.ts';
import type { CsrBlock } from '../source/types.ts';

function expectNear(got: Float64Array, expected: Float64Array, rel: number): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(expected[i])) expect(got[i], `entry ${i}`).toBeNaN();
    else expect(Math.abs(got[i] - expected[i]), `entry ${i}: ${got[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rel * (1 + Math.abs(expected[i])));
  }
}

function streamed(pool: CsrBlock, input: HvgInput, batch: number): GeneMoments {
  const acc = createGeneMoments(pool.nCols);
  // Batches in a scrambled row order, the way a shuffled loader delivers them.
  const order = Array.from({ length: pool.nRows }, (_, i) => (i * 37) % pool.nRows);
  for (let s = 0; s < order.length; s += batch) accumulateCsr(acc, pool, order.slice(s, s + batch), input);
  return acc;
}

describe('highly variable genes (CPU)', () => {
  for (const [name, pool, input] of [
    ['counts, normalised on the fly', hvgFixture.counts, { kind: 'counts', targetSum: 1e4 }],
    ['log1p data, expm1 on the fly', hvgFixture.log1pNormalized, { kind: 'log1p' }],
  ] as const) {
    it(`streams batches of ${name} and matches scanpy's seurat flavour (fixture)`, () => {
      const acc = streamed(pool, input, 17);
      expect(acc.count).toBe(100);
      expectNear(variances(acc), hvgFixture.variance, 1e-5);
      const hvg = seuratHvg(acc.mean, variances(acc), hvgFixture.nTop);
      expectNear(hvg.means, hvgFixture.means, 1e-6);
      expectNear(hvg.dispersions, hvgFixture.dispersions, 1e-5);
      expectNear(hvg.dispersionsNorm, hvgFixture.dispersionsNorm, 1e-4);
      expect(Array.from(hvg.selected)).toEqual(Array.from(hvgFixture.highlyVariable));
    });
  }

  it('Chan merging equals one pass over all rows, for any batch split', () => {
    const pool = randomCsr({ nRows: 300, nCols: 50, meanNnz: 20, seed: 3 });
    const whole = streamed(pool, { kind: 'counts', targetSum: 1e4 }, 300);
    for (const batch of [1, 7, 128]) {
      const acc = streamed(pool, { kind: 'counts', targetSum: 1e4 }, batch);
      expectNear(acc.mean, whole.mean, 1e-12);
      expectNear(acc.m2, whole.m2, 1e-10);
    }
    const empty = createGeneMoments(2);
    mergeMoments(empty, 0, [1, 2], [3, 4]);
    expect(empty.count).toBe(0);
  });

  it('handles degenerate bins like pandas', () => {
    // All means equal: one bin holding everything.
    const hvg = seuratHvg([2, 2, 2, 2], [1, 2, 3, 0], 2);
    expect(Number.isNaN(hvg.dispersions[3])).toBe(true);
    expect(Array.from(hvg.selected)).toEqual([1, 2]);
    expect(() => seuratHvg([1], [1, 2], 1)).toThrow(/variance/);
  });
});
