import { describe, expect, it } from 'vitest';
import { pca2 } from './pca.ts';

describe('pca2', () => {
  it('recovers the dominant axes of an anisotropic cloud', () => {
    // Points spread 10× along (1, 1, 0)/√2 and 3× along (0, 0, 1), little elsewhere.
    const n = 500;
    const values = new Float32Array(n * 3);
    let seed = 1;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
    for (let r = 0; r < n; r++) {
      const a = 10 * rand();
      const b = 3 * rand();
      const noise = 0.1 * rand();
      values.set([a / Math.SQRT2 + noise, a / Math.SQRT2 - noise, b], r * 3);
    }
    const projected = pca2(values, n, 3);
    let first = 0;
    let second = 0;
    for (let r = 0; r < n; r++) {
      const along = (values[r * 3] + values[r * 3 + 1]) / Math.SQRT2;
      first += Math.abs(Math.abs(projected[r * 2]) - Math.abs(along));
      second += Math.abs(Math.abs(projected[r * 2 + 1]) - Math.abs(values[r * 3 + 2]));
    }
    expect(first / n).toBeLessThan(0.5);
    expect(second / n).toBeLessThan(0.5);
  });
});
