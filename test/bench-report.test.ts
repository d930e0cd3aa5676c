// The benchmark report's rendering (bench/report-render.ts): tables read from JSON rows, the SVG bars.
import { describe, expect, it } from 'vitest';
import { barChartSvg, formatNumber, genericSection, niceMax, tableOfRows } from '../bench/report-render.ts';

describe('benchmark report rendering', () => {
  it('tables every scalar field of the rows, nested objects flattened one level', () => {
    const table = tableOfRows([
      { store: 'local', rate: 1234.567, cfg: { threads: 2 } },
      { store: 'a|b', rate: 0.012345, extra: null },
    ]);
    expect(table.split('\n')).toEqual([
      '| store | rate | cfg.threads | extra |',
      '| --- | --- | --- | --- |',
      '| local | 1235 | 2 | – |',
      '| a\\|b | 0.0123 | – | – |',
    ]);
    expect(formatNumber(3.14159)).toBe('3.14');
    expect(genericSection({ date: 'd', rows: [{ x: 1 }], empty: [] })).toBe('- date: d\n\nrows:\n\n| x |\n| --- |\n| 1 |');
  });

  it('draws one bar per finite value, with error bars where sd > 0', () => {
    const svg = barChartSvg('R²', [
      { label: 'NK', bars: [{ series: 'trVAE', value: 0.5, sd: 0.1 }, { series: 'control', value: Number.NaN, sd: 0 }] },
      { label: 'B', bars: [{ series: 'trVAE', value: 1, sd: 0 }, { series: 'control', value: 0.25, sd: 0 }] },
    ]);
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="10" height="([\d.]+)" fill="[^"]+"><title>/g)];
    expect(bars).toHaveLength(3);
    // Heights are proportional to the values (plot height 180 for 1.0).
    expect(bars.map((b) => Number(b[2]))).toEqual([90, 180, 45]);
    expect(svg.match(/stroke="black"/g)).toHaveLength(1);
    expect(svg).toContain('<title>NK, trVAE: 0.500 ± 0.100</title>');
  });

  it('scales bars to a given axis (cells/s) with round maxima and formatted ticks', () => {
    expect([0, 0.7, 1, 7_300, 12_000, 88_346].map(niceMax)).toEqual([1, 1, 1, 10_000, 20_000, 100_000]);
    const svg = barChartSvg('cells/s', [{ label: '50k', bars: [{ series: '(c) warm', value: 5_000, sd: 0 }, { series: '(e) sequential', value: 10_000, sd: 0 }] }], { max: 10_000, format: (v) => `${v / 1000}k`, value: formatNumber });
    const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="10" height="([\d.]+)" fill="[^"]+"><title>/g)].map((b) => Number(b[1]));
    expect(heights).toEqual([90, 180]);
    expect(svg).toContain('>10k</text>');
    expect(svg).toContain('<title>50k, (c) warm: 5000</title>');
  });
});
