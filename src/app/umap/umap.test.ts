// The UMAP pieces against their definitions: NN-descent against exact neighbours, the fuzzy graph's
// symmetry and memberships, a/b against umap-learn's fit, and the whole layout next to umap-js (the
// maintained library it replaces for speed) on the same cells, by how well each keeps neighbourhoods.
import { UMAP } from 'umap-js';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { blobs, exactNeighbours as exact, neighbourhoods, squaredDistance as squared } from '../../../test/umap-quality.ts';
import { umapLayout } from '../embedding-umap.ts';
import { fuzzySimplicialSet } from './graph.ts';
import { nearestNeighbours } from './knn.ts';
import { abParams, powApprox } from './layout.ts';

describe('UMAP', () => {
  it('NN-descent finds nearly every exact neighbour, nearest first, never the cell itself', () => {
    const n = 1500, w = 8, k = 10;
    const x = blobs(n, w, 4, 3);
    const nb = nearestNeighbours(x, n, w, k, createRng(3));
    let found = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(nb.indices.subarray(i * k, (i + 1) * k));
      expect(row).not.toContain(i);
      const d = nb.distances.subarray(i * k, (i + 1) * k);
      for (let s = 1; s < k; s++) expect(d[s]).toBeGreaterThanOrEqual(d[s - 1]);
      expect(d[0]).toBeCloseTo(Math.sqrt(squared(x, w, i, row[0])), 4);
      const truth = new Set(exact((j) => squared(x, w, i, j), n, i, k));
      found += row.filter((j) => truth.has(j)).length;
    }
    expect(found / (n * k)).toBeGreaterThan(0.95);
  });

  it('the fuzzy graph is symmetric, with memberships in (0, 1] and each cell\'s nearest at 1', () => {
    const n = 400, w = 5;
    const x = blobs(n, w, 3, 4);
    const nb = nearestNeighbours(x, n, w, 9, createRng(2));
    const g = fuzzySimplicialSet(nb, n);
    const weight = new Map<string, number>();
    g.head.forEach((h, e) => weight.set(`${h},${g.tail[e]}`, g.weights[e]));
    expect(weight.size).toBe(g.head.length); // no edge twice
    for (const [key, w] of weight) {
      const [h, t] = key.split(',');
      expect(weight.get(`${t},${h}`)).toBe(w);
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(1);
    }
    for (let i = 0; i < n; i++) expect(weight.get(`${i},${nb.indices[i * 9]}`)).toBe(1);
  });

  it('the layout\'s x^b is within 1e-5 of Math.pow over the distances it meets', () => {
    let worst = 0;
    for (let e = -8; e <= 4; e += 0.01) for (const b of [0.79, 0.895, 1.2]) worst = Math.max(worst, Math.abs(powApprox(10 ** e, b) / Math.pow(10 ** e, b) - 1));
    expect(worst).toBeLessThan(1e-5);
  });

  it('a, b for min_dist 0.1 are umap-learn\'s (1.577, 0.895)', () => {
    const { a, b } = abParams(0.1);
    expect(a).toBeCloseTo(1.577, 2);
    expect(b).toBeCloseTo(0.895, 2);
  });

  it('keeps clusters and neighbourhoods as well as umap-js on the same cells', () => {
    const n = 2000, w = 10;
    const x = blobs(n, w, 6, 4);
    const ours = neighbourhoods(x, w, umapLayout(x, n, w, { seed: 0 }), n, 6, 100);
    const reference = new UMAP({ nComponents: 2, random: createRng(0).next });
    const theirs = neighbourhoods(x, w, Float32Array.from(reference.fit(Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * w, (i + 1) * w)))).flat()), n, 6, 100);
    expect(ours.sameCluster).toBeGreaterThan(0.95);
    expect(ours.sameCluster).toBeGreaterThan(theirs.sameCluster - 0.02);
    expect(ours.keptNeighbours).toBeGreaterThan(theirs.keptNeighbours - 0.03);
  }, 120_000);
});
