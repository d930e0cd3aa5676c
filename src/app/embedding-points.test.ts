import { describe, expect, it } from 'vitest';
import { createRng } from '../random.ts';
import { nearestPoint, pointGrid } from './embedding-points.ts';

describe('the hover grid', () => {
  it('finds the same nearest point as a scan over every point, and none beyond the radius', () => {
    const rng = createRng(3);
    const n = 5000;
    const x = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    const y = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    const grid = pointGrid({ x, y }, 32);
    for (let q = 0; q < 200; q++) {
      const cx = rng.next() * 2.2 - 1.1, cy = rng.next() * 2.2 - 1.1, r = 0.01 + rng.next() * 0.1;
      let want: number | null = null;
      let best = r * r;
      for (let i = 0; i < n; i++) {
        const d = (x[i] - cx) ** 2 + (y[i] - cy) ** 2;
        if (d <= best) [want, best] = [i, d];
      }
      expect(nearestPoint(grid, cx, cy, r)).toBe(want);
    }
    expect(nearestPoint(pointGrid({ x: new Float32Array([0.5]), y: new Float32Array([0.5]) }), -0.5, -0.5, 0.1)).toBeNull();
  });
});
