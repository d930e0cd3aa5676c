import { describe, expect, it } from 'vitest';
import { categoryPalette, colorEncoding, formatObsValue, missingColor, RAMP_STEPS, viridis } from './embedding-colors.ts';
import { toClipSpace } from './embedding-points.ts';

describe('colorEncoding', () => {
  it('categorical: a palette colour per category, missing codes grey, a legend of the categories present with counts', () => {
    const e = colorEncoding({ name: 'cell_type', kind: 'categorical', categories: ['B', 'NK', 'T'], codes: Int32Array.from([0, 2, 2, -1, 0, 2]) });
    expect(Array.from(e.index)).toEqual([0, 2, 2, 3, 0, 2]);
    expect(e.colors).toEqual([categoryPalette[0], categoryPalette[1], categoryPalette[2], missingColor]);
    expect(e.legend).toEqual({
      kind: 'categorical',
      items: [
        { label: 'B', color: categoryPalette[0], count: 2 },
        { label: 'T', color: categoryPalette[2], count: 3 },
      ],
      missing: 1,
    });
  });

  it('categorical: more categories than colours reuse the palette', () => {
    const categories = Array.from({ length: 25 }, (_, i) => `c${i}`);
    const e = colorEncoding({ name: 'x', kind: 'categorical', categories, codes: Int32Array.from(categories.keys()) });
    expect(e.colors[21]).toBe(categoryPalette[1]);
    expect(e.legend.kind === 'categorical' && e.legend.items).toHaveLength(25);
  });

  it('numeric: min → the first ramp step, max → the last, NaN → the missing colour; the legend has min and max', () => {
    const e = colorEncoding({ name: 'n_counts', kind: 'numeric', values: Float64Array.from([10, 20, Number.NaN, 15, 10]) });
    expect(Array.from(e.index)).toEqual([0, RAMP_STEPS - 1, RAMP_STEPS, RAMP_STEPS / 2, 0]);
    expect(e.colors).toHaveLength(RAMP_STEPS + 1);
    expect(e.colors[0]).toBe('#440154');
    expect(e.colors[RAMP_STEPS - 1]).toBe('#fde725');
    expect(e.colors[RAMP_STEPS]).toBe(missingColor);
    expect(e.legend).toMatchObject({ kind: 'numeric', min: 10, max: 20, missing: 1 });
  });

  it('numeric: a constant column takes one colour; an all-missing column has no range', () => {
    expect(Array.from(colorEncoding({ name: 'c', kind: 'numeric', values: Float64Array.from([3, 3]) }).index)).toEqual([0, 0]);
    const empty = colorEncoding({ name: 'e', kind: 'numeric', values: Float64Array.from([Number.NaN]) });
    expect(empty.legend).toMatchObject({ kind: 'numeric', min: Number.NaN, max: Number.NaN, missing: 1 });
  });

  it('viridis: the end points and clamping', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(-1)).toBe('#440154');
    expect(viridis(0.5)).toBe('#21908d');
  });

  it('tooltip values: categories by name, numbers compactly, missing as NA', () => {
    const cat = { name: 'c', kind: 'categorical', categories: ['a', 'b'], codes: Int32Array.from([1, -1]) } as const;
    expect([formatObsValue(cat, 0), formatObsValue(cat, 1)]).toEqual(['b', 'NA']);
    const num = { name: 'v', kind: 'numeric', values: Float64Array.from([1234, 0.123456, 1e-7, Number.NaN]) } as const;
    expect([0, 1, 2, 3].map((i) => formatObsValue(num, i))).toEqual(['1234', '0.1235', '1.000e-7', 'NA']);
  });
});

describe('toClipSpace', () => {
  it('centres the points and scales both axes by the larger span into [-0.94, 0.94]', () => {
    const { x, y } = toClipSpace(Float32Array.from([0, 0, 10, 2, 5, 1]));
    expect(Array.from(x)).toEqual([-0.94, 0.94, 0].map(Math.fround));
    expect(Array.from(y).map((v) => Number(v.toFixed(4)))).toEqual([-0.188, 0.188, 0]);
  });

  it('a single point sits at the centre', () => {
    const { x, y } = toClipSpace(Float32Array.from([3, 4]));
    expect([x[0], y[0]]).toEqual([0, 0]);
  });
});
