// The "what did I open" panel: shape, X encoding, obs columns with their categories.
import type { AnnDataSource, MatrixInfo, ObsColumnInfo } from '../source/types.ts';
import { formatInt, h } from './dom.ts';
import { plainText } from './explain-error.ts';

const shownCategories = 12;

function describeMatrix(m: MatrixInfo): string {
  const shape = `${formatInt(m.shape[0])} × ${formatInt(m.shape[1])}`;
  const nnz = m.nnz === undefined ? '' : `, ${formatInt(m.nnz)} non-zeros (${((100 * m.nnz) / Math.max(1, m.shape[0] * m.shape[1])).toFixed(1)}%)`;
  return `${m.encoding} ${m.dtype} ${shape}${nnz}`;
}

function describeColumn(c: ObsColumnInfo): Node {
  if (c.kind !== 'categorical' || !c.categories) return document.createTextNode(`${c.kind} (${c.dtype})${c.nullable ? ', nullable' : ''}`);
  const items = c.categories.slice(0, shownCategories).map((name, i) => h('li', {}, `${name} `, h('span', { class: 'count' }, formatInt(c.counts?.[i] ?? 0))));
  const more = c.categories.length > shownCategories ? h('li', {}, `… ${c.categories.length - shownCategories} more`) : null;
  return h('div', {}, `categorical, ${c.categories.length} categories`, h('ul', { class: 'categories' }, ...items, more));
}

export async function renderDatasetSummary(source: AnnDataSource): Promise<HTMLElement> {
  const varNames = await source.varNames();
  const layers = Object.entries(source.layers);
  const rows = source.obsColumns.map((c) => h('tr', {}, h('th', { scope: 'row' }, c.name), h('td', {}, describeColumn(c))));
  // Columns the file has but this reader cannot read stay listed, with why: a missing row would look like a missing column.
  const unreadable = (source.unreadableObsColumns ?? []).map((c) =>
    h('tr', { class: 'unreadable', 'data-testid': 'unreadable-column' }, h('th', { scope: 'row' }, c.name), h('td', { class: 'warn' }, `cannot be read (${c.encoding}): ${plainText(c.reason)}`)),
  );
  return h(
    'div',
    { class: 'dataset', 'data-testid': 'dataset-summary' },
    h('p', { class: 'dataset-title' }, h('strong', {}, source.label)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Cells × genes'),
      h('dd', { 'data-testid': 'dataset-shape' }, `${formatInt(source.nObs)} × ${formatInt(source.nVars)}`),
      h('dt', {}, 'X'),
      h('dd', {}, describeMatrix(source.X)),
      h('dt', {}, 'Layers'),
      h('dd', {}, layers.length ? layers.map(([name, m]) => `${name}: ${describeMatrix(m)}`).join('; ') : 'none'),
      h('dt', {}, 'Genes'),
      h('dd', {}, varNames.slice(0, 8).join(', ') + (varNames.length > 8 ? ', …' : '')),
    ),
    h('table', { class: 'obs-columns' }, h('caption', {}, 'Cell annotations (obs)'), h('tbody', {}, ...rows, ...unreadable)),
  );
}
