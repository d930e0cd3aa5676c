import { describe, expect, it } from 'vitest';
import { createRng } from '../random.ts';
import { EmbeddingError } from './embedding-error.ts';
import { umapLayout, type UmapProgress } from './embedding-umap.ts';

/** `perCluster` cells around each of `k` separated centres in `width` dimensions. */
function clusters(k: number, perCluster: number, width: number): Float32Array {
  const rng = createRng(7);
  const x = new Float32Array(k * perCluster * width);
  for (let i = 0; i < k * perCluster; i++) for (let d = 0; d < width; d++) x[i * width + d] = (d === i % k ? 8 : 0) + 0.5 * rng.normal();
  return x;
}

const centroid = (xy: Float32Array, cells: number[]) => [0, 1].map((a) => cells.reduce((s, i) => s + xy[2 * i + a], 0) / cells.length);

describe('umapLayout', () => {
  it('separates clusters, reports neighbours then every epoch, and the same seed gives the same layout', () => {
    const k = 3, per = 40, width = 5;
    const x = clusters(k, per, width);
    const progress: UmapProgress[] = [];
    const a = umapLayout(x, k * per, width, { seed: 1, epochs: 60, onProgress: (p) => progress.push(p) });
    expect(a).toHaveLength(2 * k * per);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(progress[0]).toEqual({ phase: 'neighbours', cells: k * per });
    expect(progress.slice(1).map((p) => (p.phase === 'layout' ? p.epoch : -1))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Each cell is nearer its own cluster's centroid than any other's.
    const members = Array.from({ length: k }, (_, c) => Array.from({ length: per }, (_, j) => j * k + c));
    const centres = members.map((m) => centroid(a, m));
    const misplaced = Array.from({ length: k * per }, (_, i) => {
      const d = centres.map(([cx, cy]) => Math.hypot(a[2 * i] - cx, a[2 * i + 1] - cy));
      return d.indexOf(Math.min(...d)) !== i % k;
    }).filter(Boolean).length;
    expect(misplaced).toBe(0);
    expect(umapLayout(x, k * per, width, { seed: 1, epochs: 60 })).toEqual(a);
    expect(umapLayout(x, k * per, width, { seed: 2, epochs: 60 })).not.toEqual(a);
  });

  it('fewer than 4 cells are laid out by their first two dimensions; degenerate cells lay out finitely; bad input is refused by name', () => {
    expect(Array.from(umapLayout(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 2, 4, 5]);
    // Identical cells (every distance 0), a few cells, one dimension: finite layouts.
    expect(umapLayout(new Float32Array(17 * 3).fill(1), 17, 3, { epochs: 20 }).every(Number.isFinite)).toBe(true);
    expect(umapLayout(Float32Array.from({ length: 15 }, (_, i) => Math.sin(i)), 5, 3, { epochs: 20 }).every(Number.isFinite)).toBe(true);
    expect(umapLayout(Float32Array.from({ length: 50 }, (_, i) => i % 7), 50, 1, { epochs: 20 }).every(Number.isFinite)).toBe(true);
    expect(() => umapLayout(new Float32Array(5), 2, 3)).toThrow(/5 values are not 2 cells × 3 dimensions/);
    const bad = Float32Array.from([0, 1, Number.NaN, 3]);
    expect(() => umapLayout(bad, 2, 2)).toThrow(EmbeddingError);
    expect(() => umapLayout(bad, 2, 2)).toThrow(/cell 1 has a non-finite value \(NaN\) in dimension 0/);
  });
});
