import { describe, expect, it } from 'vitest';
import { accumulateCsr, createGeneMoments, mergeMoments, seuratHvg, variances, type GeneMoments, type HvgInput } from './hvg.ts';
import { findBadValues } from './bad-values.ts';
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

describe('values training cannot use', () => {
  const block = (data: number[]): CsrBlock => ({
    format: 'csr',
    nRows: 3,
    nCols: 4,
    indptr: Int32Array.from([0, 2, 3, data.length]),
    indices: Int32Array.from([0, 2, 1, 3, 0, 1].slice(0, data.length)),
    data: Float32Array.from(data),
  });

  it('the moments pass refuses NaN, ±Inf and negative values with a count and the first cell and gene', () => {
    const acc = createGeneMoments(4);
    const bad = block([1, 2, NaN, Infinity, -1, -Infinity]);
    let error: unknown;
    try {
      accumulateCsr(acc, bad, [0, 1, 2], { kind: 'counts', targetSum: 1e4 }, { firstRow: 100, where: 'data.zarr: X', geneName: (g) => `g${g}` });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'bad-values' });
    expect((error as Error).message).toBe(
      "data.zarr: X holds 4 values training cannot use (1 NaN, 2 ±Inf, 1 negative); the first at cell 101, gene 1 ('g1'): NaN. Training needs finite values: fix or drop these cells/genes (e.g. in scanpy, replace NaN with 0 only if that is what they mean) and write the file again.",
    );
    expect(acc.count).toBe(0);
    // only the rows asked for count: row 0 is clean
    accumulateCsr(acc, bad, [0], { kind: 'log1p' });
    expect(acc.count).toBe(1);
  });

  it('negative log-normalised values are named as scaled data; findBadValues reads dense blocks too', () => {
    expect(() => accumulateCsr(createGeneMoments(4), block([1, 2, -0.5]), [0, 1], { kind: 'log1p' })).toThrow(/looks scaled or centred/);
    const found = findBadValues({ format: 'dense', nRows: 2, nCols: 3, values: Float32Array.from([0, 1, 2, 3, -Infinity, NaN]) }, 10);
    expect(found).toEqual({ count: 2, nan: 1, infinite: 1, negative: 0, first: { row: 11, gene: 1, value: -Infinity } });
    expect(findBadValues(block([1, 2, 3]))).toBeUndefined();
  });

  it('seuratHvg refuses NaN moments (the GPU path) and an X where no gene varies, instead of crashing', () => {
    expect(() => seuratHvg([1, NaN, 2], [1, 1, 1], 1)).toThrow(expect.objectContaining({ code: 'bad-values', message: expect.stringMatching(/gene 1 has mean NaN/) }));
    expect(() => seuratHvg([0, 0, 0], [0, 0, 0], 2)).toThrow(/none of the 3 genes varies.*all zeros/);
  });
});
