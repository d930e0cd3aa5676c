// Rendering of the benchmark report from the benchmarks' JSON: markdown tables (every figure read
// from a JSON file, none typed here) and a small SVG bar chart of R² per method per held-out type.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

const cell = (v: Json | undefined): string => {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return v.map((x) => cell(x)).join(', ');
  if (isObject(v)) return JSON.stringify(v);
  return String(v).replace(/\|/g, '\\|');
};

/** Scalar fields of a row, nested objects flattened one level ("a.b"). */
function flatten(row: JsonObject): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(row)) {
    if (isObject(v)) for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = isObject(v2) ? JSON.stringify(v2) : v2;
    else out[k] = v;
  }
  return out;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A table of an array of objects: one column per scalar field seen in any row. */
export function tableOfRows(rows: readonly JsonObject[], maxRows = 60): string {
  const flat = rows.slice(0, maxRows).map(flatten);
  const columns = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  const body = flat.map((r) => columns.map((c) => cell(r[c])));
  const more = rows.length > maxRows ? `\n\n(${rows.length - maxRows} more rows in the JSON)` : '';
  return markdownTable(columns, body) + more;
}

/** Every array of objects in a benchmark's JSON as a table, and its scalar fields as a list. */
export function genericSection(data: JsonObject): string {
  const parts: string[] = [];
  const scalars = Object.entries(data).filter(([, v]) => !Array.isArray(v) && !isObject(v));
  const objects = Object.entries(data).filter(([, v]) => isObject(v));
  for (const [k, v] of [...scalars, ...objects]) parts.push(`- ${k}: ${cell(v)}`);
  for (const [k, v] of Object.entries(data)) {
    if (Array.isArray(v) && v.length > 0 && v.every(isObject)) parts.push(`\n${k}:\n\n${tableOfRows(v as JsonObject[])}`);
  }
  return parts.join('\n');
}

export interface BarGroup {
  readonly label: string;
  readonly bars: readonly { readonly series: string; readonly value: number; readonly sd: number }[];
}

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#7f7f7f', '#bcbd22', '#8c564b', '#17becf', '#d62728'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis maximum at or above `v`: 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v)!;
}

/** Grouped bars (value ± sd) on a 0..max axis (default 0..1, as for R²): `format` for the ticks, `value` for a bar's tooltip; NaN bars are left out. */
export function barChartSvg(title: string, groups: readonly BarGroup[], axis: { readonly max: number; readonly format: (v: number) => string; readonly value: (v: number) => string } = { max: 1, format: (v) => v.toFixed(1), value: (v) => v.toFixed(3) }): string {
  const series = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const barW = 12;
  // wide enough for its label below (about 6.2 px per character at 11 px)
  const groupW = Math.max(series.length * barW + 24, Math.ceil(12 + 6.2 * Math.max(0, ...groups.map((g) => g.label.length))));
  const left = 44;
  const top = 28;
  const plotH = 180;
  const legendW = Math.max(170, Math.ceil(24 + 6.2 * Math.max(0, ...series.map((s) => s.length))));
  const width = Math.max(560, left + groups.length * groupW + legendW);
  const height = top + plotH + 40;
  const y = (v: number) => Math.round((top + plotH * (1 - Math.max(0, Math.min(1, v / axis.max)))) * 10) / 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="16" font-size="13">${escape(title)}</text>`,
  ];
  for (let t = 0; t <= 5; t++) {
    const v = (t / 5) * axis.max;
    out.push(`<line x1="${left}" x2="${left + groups.length * groupW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${axis.format(v)}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - series.length * barW) / 2;
    g.bars.forEach((b) => {
      if (!Number.isFinite(b.value)) return;
      const si = series.indexOf(b.series);
      const x = x0 + si * barW;
      const color = palette[si % palette.length];
      out.push(`<rect x="${x}" y="${y(b.value)}" width="${barW - 2}" height="${Math.round((y(0) - y(b.value)) * 10) / 10}" fill="${color}"><title>${escape(`${g.label}, ${b.series}: ${axis.value(b.value)}${b.sd > 0 ? ` ± ${axis.value(b.sd)}` : ''}`)}</title></rect>`);
      if (b.sd > 0) out.push(`<line x1="${x + (barW - 2) / 2}" x2="${x + (barW - 2) / 2}" y1="${y(b.value + b.sd)}" y2="${y(b.value - b.sd)}" stroke="black"/>`);
    });
    out.push(`<text x="${x0 + (series.length * barW) / 2}" y="${top + plotH + 16}" text-anchor="middle">${escape(g.label)}</text>`);
  });
  series.forEach((s, si) => {
    const lx = left + groups.length * groupW + 16;
    const ly = top + 8 + si * 16;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${palette[si % palette.length]}"/>`, `<text x="${lx + 14}" y="${ly}">${escape(s)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
