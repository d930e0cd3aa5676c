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

function predictionSection(p: HeldOutPrediction): HTMLElement {
  const fmt = (v: number) => v.toFixed(3);
  const t = p.evaluation.bootstrapMean;
  return h(
    'div',
    { class: 'prediction', 'data-testid': 'prediction' },
    h('h3', {}, `Counterfactual: ${p.cellType} → ${p.targetCondition}`),
    h('p', {}, `${formatInt(p.sourceCells)} ${p.sourceCondition} cells predicted into ${p.targetCondition}, compared with ${formatInt(p.realCells)} real held-out cells (never seen in training); R² averaged over ${p.evaluation.bootstrapSamples} bootstrap resamples.`),
    h(
      'table',
      { class: 'r2', 'data-testid': 'r2-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'R²'), h('th', {}, 'all genes'), h('th', {}, `top ${p.evaluation.degs.length} DEGs`))),
      h('tbody', {}, h('tr', {}, h('th', {}, 'mean'), h('td', {}, fmt(t.meanAll)), h('td', {}, fmt(t.meanTop))), h('tr', {}, h('th', {}, 'variance'), h('td', {}, fmt(t.varianceAll)), h('td', {}, fmt(t.varianceTop)))),
    ),
    scatterPlot(p.meanPoints, { title: 'Per-gene mean: predicted vs real', xLabel: 'predicted', yLabel: 'real', identity: true, size: 320 }),
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
      results.prediction ? predictionSection(results.prediction) : results.predictionNote ? h('p', { class: 'warn' }, results.predictionNote) : null,
    ),
    downloads,
  );
}
