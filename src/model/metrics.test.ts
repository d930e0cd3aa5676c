import { describe, expect, it } from 'vitest';
import { evaluatePrediction, geneMoments, pearsonR2, topIndices, wilcoxonScores } from './metrics.ts';

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
