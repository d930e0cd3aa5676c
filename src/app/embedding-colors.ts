// How the embedding colours its cells by an obs column: one colour index per cell into a colour
// list (what regl-scatterplot's categorical encoding takes, and the canvas fallback too), and the
// legend that explains it. Categorical columns get a palette; numeric ones a continuous colour map
// (viridis) in RAMP_STEPS steps between the column's min and max. Missing values are grey.
import type { ShownObsColumn } from '../model/results.ts';

/** 20 distinguishable colours (Tableau 10, then lighter/darker variants); categories beyond 20 reuse them. */
export const categoryPalette: readonly string[] = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f4e79', '#a0522d', '#8b1a1a', '#2f7d6d', '#2e6b1f', '#a68b00', '#6a3d9a', '#c2185b', '#5d4037', '#616161',
];
export const missingColor = '#c8c8c8';
export const RAMP_STEPS = 64;

// Viridis at 9 evenly spaced stops (matplotlib's values), interpolated linearly in sRGB.
const viridisStops: readonly (readonly [number, number, number])[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

const hex = (rgb: readonly number[]): string => `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** Viridis at t ∈ [0, 1] (clamped). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (viridisStops.length - 1);
  const i = Math.min(viridisStops.length - 2, Math.floor(x));
  const f = x - i;
  return hex(viridisStops[i].map((a, k) => a + (viridisStops[i + 1][k] - a) * f));
}

export interface CategoryLegendItem {
  readonly label: string;
  readonly color: string;
  /** Shown cells in this category. */
  readonly count: number;
}

export type Legend =
  | { readonly kind: 'categorical'; readonly items: readonly CategoryLegendItem[]; readonly missing: number }
  | { readonly kind: 'numeric'; readonly min: number; readonly max: number; readonly gradient: readonly string[]; readonly missing: number };

export interface ColorEncoding {
  /** Colour index per cell, into `colors` (an integer stored as float, as regl-scatterplot reads it). */
  readonly index: Float32Array;
  readonly colors: readonly string[];
  readonly legend: Legend;
}

/** Colour indices, colours and legend for one obs column over the shown cells. */
export function colorEncoding(column: ShownObsColumn): ColorEncoding {
  if (column.kind === 'categorical') {
    const k = column.categories.length;
    const counts = new Float64Array(k);
    let missing = 0;
    const index = Float32Array.from(column.codes, (code) => {
      if (code < 0 || code >= k) {
        missing++;
        return k;
      }
      counts[code]++;
      return code;
    });
    const colors = [...column.categories.map((_, i) => categoryPalette[i % categoryPalette.length]), missingColor];
    const items = column.categories.map((label, i) => ({ label, color: colors[i], count: counts[i] })).filter((item) => item.count > 0);
    return { index, colors, legend: { kind: 'categorical', items, missing } };
  }
  let min = Infinity;
  let max = -Infinity;
  let missing = 0;
  for (const v of column.values) {
    if (!Number.isFinite(v)) missing++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const span = max - min;
  const index = Float32Array.from(column.values, (v) => (!Number.isFinite(v) ? RAMP_STEPS : span > 0 ? Math.min(RAMP_STEPS - 1, Math.floor(((v - min) / span) * RAMP_STEPS)) : 0));
  const gradient = Array.from({ length: RAMP_STEPS }, (_, i) => viridis(i / (RAMP_STEPS - 1)));
  return { index, colors: [...gradient, missingColor], legend: { kind: 'numeric', min: missing === column.values.length ? Number.NaN : min, max: missing === column.values.length ? Number.NaN : max, gradient, missing } };
}

/** A cell's value in a column, as text for the tooltip. */
export function formatObsValue(column: ShownObsColumn, cell: number): string {
  if (column.kind === 'categorical') {
    const code = column.codes[cell];
    return code >= 0 && code < column.categories.length ? column.categories[code] : 'NA';
  }
  return formatNumber(column.values[cell]);
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'NA';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}
