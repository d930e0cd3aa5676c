// After training: the latent embedding (PCA of mu), the counterfactual prediction of the held-out
// pair with the paper's R² metrics, and downloads (ONNX graphs + model.json, latent CSV).
import { normalNoise } from '../cpu/philox.ts';
import { exportModel } from '../model/export.ts';
import { createInferenceRunner } from '../model/inference.ts';
import { evaluatePrediction, geneMoments, type Cells } from '../model/metrics.ts';
import type { InMemoryDataset } from '../model/train/memory-batches.ts';
import { formatInt, h } from './dom.ts';
import { pca2 } from './pca.ts';
import { subsetRows } from './subset.ts';
import { scatterPlot } from './scatter-plot.ts';
import type { TrainedModel } from './train-panel.ts';

function downloadLink(name: string, contents: Uint8Array | string, type: string): HTMLAnchorElement {
  const blob = new Blob([contents as BlobPart], { type });
  return h('a', { href: URL.createObjectURL(blob), download: name, class: 'download' }, name);
}

function rowsWhere(n: number, keep: (row: number) => boolean): number[] {
  const rows: number[] = [];
  for (let r = 0; r < n; r++) if (keep(r)) rows.push(r);
  return rows;
}

function cellsOf(data: InMemoryDataset, rows: readonly number[]): Cells {
  return { x: subsetRows(data, rows).x, n: rows.length };
}

async function predictionSection(model: TrainedModel): Promise<HTMLElement | null> {
  const { holdout } = model.choices;
  const { data, config, state } = model;
  if (!holdout || !data.cellTypes) return null;
  const cellTypes = data.cellTypes;
  const ct = cellTypes.categories.indexOf(holdout.cellType);
  const target = data.conditions.categories.indexOf(holdout.condition);
  const nCells = data.conditions.codes.length;
  // The same protocol as `trvae-web evaluate` (src/model/evaluate-holdout.ts): predict from the first
  // other condition, sample z with the same Philox stream, 100 bootstrap resamples.
  const sourceCondition = data.conditions.categories.findIndex((_, c) => c !== target);
  const real = rowsWhere(nCells, (r) => cellTypes.codes[r] === ct && data.conditions.codes[r] === target);
  const sources = rowsWhere(nCells, (r) => cellTypes.codes[r] === ct && data.conditions.codes[r] === sourceCondition);
  if (real.length === 0 || sources.length === 0) {
    return h('p', { class: 'warn' }, `No ${real.length === 0 ? 'real held-out' : 'source'} cells of ${holdout.cellType} to compare with.`);
  }
  const G = config.nGenes;
  const sourceCells = cellsOf(data.dataset, sources);
  const runner = await createInferenceRunner('predict', config, { state });
  const eps = normalNoise(sources.length * config.latent, { seed: 0, step: 0, stream: 0 });
  const { xhat } = await runner.run({ x: sourceCells.x, conditions: new Int32Array(sources.length).fill(sourceCondition), target, eps });
  await runner.release();
  const pred: Cells = { x: xhat, n: sources.length };
  const realCells = cellsOf(data.dataset, real);
  const evaluation = evaluatePrediction(pred, realCells, sourceCells, { nGenes: G, nDegs: Math.min(100, G), bootstrap: 100 });
  const p = geneMoments(pred, G).mean;
  const r = geneMoments(realCells, G).mean;
  const points = new Float32Array(G * 2);
  for (let g = 0; g < G; g++) points.set([p[g], r[g]], 2 * g);
  const fmt = (v: number) => v.toFixed(3);
  const t = evaluation.bootstrapMean;
  return h(
    'div',
    { class: 'prediction', 'data-testid': 'prediction' },
    h('h3', {}, `Counterfactual: ${holdout.cellType} → ${holdout.condition}`),
    h('p', {}, `${sources.length} ${data.conditions.categories[sourceCondition]} cells predicted into ${holdout.condition}, compared with ${real.length} real held-out cells (never seen in training); R² averaged over 100 bootstrap resamples.`),
    h(
      'table',
      { class: 'r2', 'data-testid': 'r2-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'R²'), h('th', {}, 'all genes'), h('th', {}, `top ${evaluation.degs.length} DEGs`))),
      h('tbody', {}, h('tr', {}, h('th', {}, 'mean'), h('td', {}, fmt(t.meanAll)), h('td', {}, fmt(t.meanTop))), h('tr', {}, h('th', {}, 'variance'), h('td', {}, fmt(t.varianceAll)), h('td', {}, fmt(t.varianceTop)))),
    ),
    scatterPlot(points, { title: 'Per-gene mean: predicted vs real', xLabel: 'predicted', yLabel: 'real', identity: true, size: 320 }),
  );
}

export async function renderResults(model: TrainedModel): Promise<HTMLElement> {
  const { config, state, data } = model;
  const nCells = data.conditions.codes.length;
  const encoder = await createInferenceRunner('encode', config, { state });
  const { mu } = await encoder.run({ x: data.dataset.x, conditions: Int32Array.from(data.conditions.codes, (c) => Math.max(c, 0)) });
  await encoder.release();
  const embedding = pca2(mu, nCells, config.latent);
  const colorBy = h('select', { 'aria-label': 'Colour by' }, h('option', { value: 'condition' }, 'condition'), data.cellTypes ? h('option', { value: 'cellType' }, 'cell type') : null);
  const plotHolder = h('div', {});
  const draw = () => {
    const column = colorBy.value === 'cellType' && data.cellTypes ? data.cellTypes : data.conditions;
    const sampled = data.sample ? ` — ${formatInt(data.sample.cells)} sampled cells of ${formatInt(data.sample.of)}` : '';
    plotHolder.replaceChildren(scatterPlot(embedding, { title: `Latent space (PCA of μ)${sampled}`, xLabel: 'PC1', yLabel: 'PC2' }, column));
  };
  colorBy.addEventListener('change', draw);
  draw();

  const files = exportModel(config, state, {
    genes: data.genes,
    conditions: data.conditions.categories,
    conditionKey: model.choices.conditionKey,
    cellTypeKey: model.choices.cellTypeKey,
    holdout: model.choices.holdout,
    input: data.input,
    history: model.result.history,
  });
  const latentCsv = ['cell,' + Array.from({ length: config.latent }, (_, i) => `z${i}`).join(',')];
  for (let r = 0; r < nCells; r++) latentCsv.push(`${r},${Array.from(mu.subarray(r * config.latent, (r + 1) * config.latent), (v) => v.toPrecision(6)).join(',')}`);
  const downloads = h(
    'div',
    { class: 'downloads', 'data-testid': 'downloads' },
    h('h3', {}, 'Downloads'),
    h('p', {}, 'ONNX graphs with the trained weights embedded (load them with onnxruntime in Python or JS) and model.json with the config, gene list and conditions.'),
    ...[...files].map(([name, contents]) => downloadLink(name, contents, name.endsWith('.json') ? 'application/json' : 'application/octet-stream')),
    downloadLink('latent_mu.csv', latentCsv.join('\n'), 'text/csv'),
  );

  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'results-title', 'data-testid': 'results-panel' },
    h('h2', { id: 'results-title' }, 'Results'),
    h('div', { class: 'results-grid' }, h('div', {}, h('label', {}, 'Colour by ', colorBy), plotHolder), await predictionSection(model)),
    downloads,
  );
}
