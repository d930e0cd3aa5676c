// After training: the latent embedding (PCA of μ), the counterfactual prediction of the held-out
// pair with the paper's R² metrics, and downloads. Everything here was computed in the training
// worker (src/model/results.ts); this panel only draws.
import type { HeldOutPrediction } from '../model/results.ts';
import { formatInt, h } from './dom.ts';
import { scatterPlot } from './scatter-plot.ts';
import type { TrainedModel } from './train-panel.ts';

function downloadLink(name: string, contents: Uint8Array | string, type: string): HTMLAnchorElement {
  const blob = new Blob([contents as BlobPart], { type });
  return h('a', { href: URL.createObjectURL(blob), download: name, class: 'download' }, name);
}

function r2Table(p: HeldOutPrediction, modelName: string): HTMLElement {
  const fmt = (v: number) => v.toFixed(3);
  const columns = [{ name: modelName, evaluation: p.evaluation }, ...p.baselines];
  const top = `top ${p.evaluation.degs.length} DEGs`;
  const rows: [string, (t: HeldOutPrediction['evaluation']['bootstrapMean']) => number][] = [
    ['mean, all genes', (t) => t.meanAll],
    [`mean, ${top}`, (t) => t.meanTop],
    ['variance, all genes', (t) => t.varianceAll],
    [`variance, ${top}`, (t) => t.varianceTop],
  ];
  return h(
    'table',
    { class: 'r2', 'data-testid': 'r2-table' },
    h('caption', {}, 'R² of predicted vs real per-gene statistics, next to two baselines that use no model'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'R²'), ...columns.map((c, i) => h('th', { scope: 'col', class: i === 0 ? 'model' : 'baseline' }, i === 0 ? c.name : `baseline: ${c.name}`)))),
    h('tbody', {}, ...rows.map(([label, pick]) => h('tr', {}, h('th', { scope: 'row' }, label), ...columns.map((c, i) => h('td', { class: i === 0 ? 'model' : 'baseline' }, fmt(pick(c.evaluation.bootstrapMean))))))),
  );
}

function topGenesTable(p: HeldOutPrediction): HTMLElement {
  const fmt = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
  return h(
    'table',
    { class: 'r2 top-genes', 'data-testid': 'top-genes' },
    h('caption', {}, `Top ${p.topGenes.length} responding genes: log fold change ${p.sourceCondition} → ${p.targetCondition} (difference of log1p means)`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'gene'), h('th', { scope: 'col' }, 'real'), h('th', { scope: 'col' }, 'predicted'), h('th', { scope: 'col' }, 'average shift'))),
    h('tbody', {}, ...p.topGenes.map((g) => h('tr', {}, h('th', { scope: 'row' }, g.gene), h('td', {}, fmt(g.real)), h('td', { class: 'model' }, fmt(g.predicted)), h('td', { class: 'baseline' }, fmt(g.averageShift))))),
  );
}

function predictionSection(p: HeldOutPrediction, modelName: string): HTMLElement {
  return h(
    'div',
    { class: 'prediction', 'data-testid': 'prediction' },
    h('h3', {}, `Counterfactual: ${p.cellType} → ${p.targetCondition} (never seen in training)`),
    h('p', {}, `${formatInt(p.sourceCells)} ${p.sourceCondition} cells predicted into ${p.targetCondition}, compared with ${formatInt(p.realCells)} real held-out cells; R² averaged over ${p.evaluation.bootstrapSamples} bootstrap resamples.`),
    r2Table(p, modelName),
    scatterPlot(p.meanPoints, { title: 'Per-gene mean: predicted vs real', xLabel: 'predicted', yLabel: 'real', identity: true, size: 320 }),
    topGenesTable(p),
  );
}

export function renderResults(model: TrainedModel): HTMLElement {
  const { result } = model;
  const results = result.results;
  if (!results) throw new Error('this run has no results to show');
  const colorBy = h('select', { 'aria-label': 'Colour by' }, ...results.labels.map((l, i) => h('option', { value: String(i) }, l.name)));
  const plotHolder = h('div', {});
  const draw = () => {
    const column = results.labels[Number(colorBy.value)] ?? results.labels[0];
    const sampled = results.cells.shown < results.cells.of ? ` — ${formatInt(results.cells.shown)} sampled cells of ${formatInt(results.cells.of)}` : ` — all ${formatInt(results.cells.of)} cells`;
    plotHolder.replaceChildren(scatterPlot(results.embedding, { title: `Latent space (PCA of μ)${sampled}`, xLabel: 'PC1', yLabel: 'PC2' }, column));
  };
  colorBy.addEventListener('change', draw);
  draw();

  const downloads = h(
    'div',
    { class: 'downloads', 'data-testid': 'downloads' },
    h('h3', {}, 'Downloads'),
    h('p', {}, 'ONNX graphs with the trained weights embedded (load them with onnxruntime in Python or JS) and model.json with the config, gene list and conditions.'),
    ...[...result.files].map(([name, contents]) => downloadLink(name, contents, name.endsWith('.json') ? 'application/json' : 'application/octet-stream')),
    downloadLink('latent_mu.csv', results.latentCsv, 'text/csv'),
  );

  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'results-title', 'data-testid': 'results-panel' },
    h('h2', { id: 'results-title' }, 'Results'),
    h(
      'div',
      { class: 'results-grid' },
      h('div', {}, h('label', {}, 'Colour by ', colorBy), plotHolder),
      results.prediction ? predictionSection(results.prediction, model.options.model === 'scgen' ? 'scGen' : 'trVAE') : results.predictionNote ? h('p', { class: 'warn' }, results.predictionNote) : null,
    ),
    downloads,
  );
}
