import { describe, expect, it } from 'vitest';
import { averageShift, topResponders } from './results.ts';

describe('top responding genes', () => {
  it('ranks genes by the real |log fold change| and puts the prediction and the shift baseline next to it', () => {
    const top = topResponders(
      { source: [1, 1, 1, 1], real: [1.1, 3, 0.2, 1], predicted: [1, 2.5, 0.5, 1.2], shift: [0, 1.5, -0.4, 0] },
      ['A', 'B', 'C', 'D'],
      3,
    );
    expect(top.map((g) => g.gene)).toEqual(['B', 'C', 'A']);
    expect(top[0]).toEqual({ gene: 'B', real: 2, predicted: 1.5, averageShift: 1.5 });
    expect(top[1].real).toBeCloseTo(-0.8);
    expect(top[1].predicted).toBeCloseTo(-0.5);
  });

  it('the average shift over the other cell types excludes the held-out one', () => {
    // Two genes; type 0 (held out) would shift by 10, types 1 and 2 by 1 and 3.
    const x = Float32Array.from([0, 0, 10, 10, 0, 0, 1, 1, 0, 0, 3, 3]);
    const conditions = Int32Array.from([0, 1, 0, 1, 0, 1]);
    const cellTypes = Int32Array.from([0, 0, 1, 1, 2, 2]);
    expect([...averageShift(x, conditions, cellTypes, 0, 0, 1, 2)]).toEqual([2, 2]);
  });
});
