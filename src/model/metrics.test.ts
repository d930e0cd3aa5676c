import { describe, expect, it } from 'vitest';
import { createRng } from '../random.ts';
import { deltaCorrelation, energyDistance, evaluatePrediction, geneMoments, pearson, pearsonR2, topIndices, wilcoxonScores } from './metrics.ts';

// Reference values from scipy 1.10 (stats.rankdata / ranksums, pearsonr): see the comments.
const A = [0.7, 1.0, 0.0, 0.0, 0.6, 1.6, 0.7, 0.8, 2.8, 6.1, 3.3, 0.0, 2.3, 0.1, 1.1, 0.8, 3.1, 0.4, 0.3, 1.5, 0.0];
const B = [3.4, 1.6, 1.3, 0.4, 1.4, 1.0, 1.9, 1.6, 1.0, 3.6, 3.7, 2.2, 0.9, 4.8, 3.2];

describe('evaluation metrics', () => {
  it('Wilcoxon rank-sum scores equal scipy.stats.ranksums (ties averaged)', () => {
    const z = wilcoxonScores({ x: Float32Array.from(A), n: 7 }, { x: Float32Array.from(B), n: 5 }, 3);
    // scipy.stats.ranksums(a[:, g], b[:, g]).statistic
    expect(z[0]).toBeCloseTo(-1.0555973258234952, 10);
    expect(z[1]).toBeCloseTo(-1.7051956801764152, 10);
    expect(z[2]).toBeCloseTo(-1.3803965029999552, 10);
    expect(topIndices(z, 2)).toEqual([0, 2]);
  });

  it('R² is the squared Pearson r (scipy.stats.linregress rvalue²)', () => {
    expect(pearsonR2([1, 2, 3, 4, 5.5], [2, 1, 4, 3, 7])).toBeCloseTo(0.7363130219610269, 12);
    expect(pearsonR2([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('variances are ddof 0; a perfect prediction scores 1 everywhere', () => {
    const cells = { x: Float32Array.from([1, 2, 3, 6]), n: 2 };
    const { mean, variance } = geneMoments(cells, 2);
    expect([...mean]).toEqual([2, 4]);
    expect([...variance]).toEqual([1, 4]);
    const real = { x: Float32Array.from(A), n: 7 };
    const e = evaluatePrediction(real, real, { x: Float32Array.from(B), n: 5 }, { nGenes: 3, nDegs: 2, bootstrap: 5 });
    expect(e.full).toEqual({ meanAll: 1, varianceAll: 1, meanTop: 1, varianceTop: 1 });
    expect(e.bootstrapSamples).toBe(5);
    expect(e.degs).toEqual([0, 2]);
  });
});

describe('change and distribution metrics (scPerturBench)', () => {
  // Cells as rows of [n, G]; the per-gene means are what the delta correlation compares.
  const rows = (...r: number[][]) => ({ x: Float32Array.from(r.flat()), n: r.length });
  const source = rows([1, 1, 1, 5], [3, 1, 1, 5]); // means [2, 1, 1, 5]

  it('Pearson r keeps its sign; r² is pearsonR2', () => {
    expect(pearson([1, 2, 3, 4, 5.5], [2, 1, 4, 3, 7])).toBeCloseTo(Math.sqrt(0.7363130219610269), 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('delta correlation compares mean(pred) − mean(source) with mean(real) − mean(source) on the given genes', () => {
    const real = rows([4, 5, 7, 0], [4, 5, 7, 0]); // change [2, 4, 6, -5]
    const pred = rows([3, 2, 4, 9], [3, 4, 4, 9]); // change [1, 2, 3, 4]
    expect(deltaCorrelation(pred, real, source, 4, [0, 1, 2])).toBeCloseTo(1, 12);
    // All four genes: r of [1, 2, 3, 4] and [2, 4, 6, -5], by hand: cov −5.25, sd 1.118 · 4.206 (ddof 0).
    const a = [1, 2, 3, 4];
    const b = [2, 4, 6, -5];
    const ma = 2.5;
    const mb = 1.75;
    const cov = a.reduce((s, v, i) => s + (v - ma) * (b[i] - mb), 0);
    const r = cov / Math.sqrt(a.reduce((s, v) => s + (v - ma) ** 2, 0) * b.reduce((s, v) => s + (v - mb) ** 2, 0));
    expect(deltaCorrelation(pred, real, source, 4, [0, 1, 2, 3])).toBeCloseTo(r, 6);
    // The source cells as the prediction change nothing: the correlation is undefined.
    expect(deltaCorrelation(source, real, source, 4, [0, 1, 2, 3])).toBeNaN();
  });

  it('energy distance by hand: 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖, Euclidean, within-set pairs without self-pairs', () => {
    // One gene: X = {0, 1}, Y = {3}: 2 · 2.5 − 1 − 0.
    expect(energyDistance(rows([0], [1]), rows([3]), 1, [0])).toBeCloseTo(4, 12);
    // Genes 1 and 3 of four: X = {(0,0), (3,4)}, Y = {(0,0), (6,8)}: cross 5, within 5 and 10.
    const x = rows([9, 0, 9, 0], [9, 3, 9, 4]);
    const y = rows([7, 0, 7, 0], [7, 6, 7, 8]);
    expect(energyDistance(x, y, 4, [1, 3])).toBeCloseTo(2 * 5 - 5 - 10, 12);
    expect(energyDistance(x, y, 4, [1, 3])).toBe(energyDistance(y, x, 4, [1, 3]));
  });

  it('energy distance matches a brute-force computation, ≈ 0 for one distribution, and subsamples by seed', () => {
    const rng = createRng(3);
    const draw = (n: number, shift: number) => ({ x: Float32Array.from({ length: n * 3 }, (_, i) => rng.normal() + (i % 3 === 0 ? shift : 0)), n });
    const a = draw(60, 0);
    const b = draw(50, 0);
    const c = draw(50, 2);
    const dist = (p: Float32Array, i: number, q: Float32Array, j: number) => Math.hypot(p[3 * i] - q[3 * j], p[3 * i + 1] - q[3 * j + 1], p[3 * i + 2] - q[3 * j + 2]);
    const brute = (p: { x: Float32Array; n: number }, q: { x: Float32Array; n: number }) => {
      let cross = 0;
      for (let i = 0; i < p.n; i++) for (let j = 0; j < q.n; j++) cross += dist(p.x, i, q.x, j);
      const within = (s: { x: Float32Array; n: number }) => {
        let t = 0;
        for (let i = 0; i < s.n; i++) for (let j = 0; j < s.n; j++) if (i !== j) t += dist(s.x, i, s.x, j);
        return t / (s.n * (s.n - 1));
      };
      return (2 * cross) / (p.n * q.n) - within(p) - within(q);
    };
    expect(energyDistance(a, c, 3, [0, 1, 2])).toBeCloseTo(brute(a, c), 9);
    expect(energyDistance(a, b, 3, [0, 1, 2])).toBeCloseTo(brute(a, b), 9);
    expect(Math.abs(energyDistance(a, b, 3, [0, 1, 2]))).toBeLessThan(0.15);
    expect(energyDistance(a, c, 3, [0, 1, 2])).toBeGreaterThan(1);
    // Subsampled: deterministic by seed, different from the full value, still far for a shift.
    const sub = energyDistance(a, c, 3, [0, 1, 2], 20, 7);
    expect(sub).toBe(energyDistance(a, c, 3, [0, 1, 2], 20, 7));
    expect(sub).not.toBe(brute(a, c));
    expect(sub).toBeGreaterThan(1);
  });

  it('evaluatePrediction reports both on its top DEGs', () => {
    const real = { x: Float32Array.from(A), n: 7 };
    const src = { x: Float32Array.from(B), n: 5 };
    const e = evaluatePrediction(real, real, src, { nGenes: 3, nDegs: 2, bootstrap: 0 });
    expect(e.deltaPearsonTop).toBeCloseTo(1, 12);
    expect(e.energyTop).toBeCloseTo(energyDistance(real, real, 3, e.degs), 12);
    expect(evaluatePrediction(src, real, src, { nGenes: 3, nDegs: 2, bootstrap: 0 }).deltaPearsonTop).toBeNaN();
  });
});
