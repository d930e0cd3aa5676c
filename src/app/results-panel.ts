// After training: the latent embedding (embedding-panel.ts), counterfactual predictions (the held-out pair,
// and any cell type × source → target condition on demand) with the paper's R² metrics next to
// the baselines, and downloads. Everything here was computed in the training worker
// (src/model/results.ts); this panel only draws.
import { metricsFileName, predictedFileName, predictionMetricsJson, type HeldOutPrediction, type PairResult, type PredictionPair, type TrainingResults } from '../model/results.ts';
import { formatInt, h, nextTask } from './dom.ts';
import { predictionPlot, type PredictionPlot } from './prediction-plot.ts';
import { renderEmbeddingPanel } from './embedding-panel.ts';
import type { TrainedModel } from './train-panel.ts';

/**
 * A link that downloads `contents`: its Blob (a copy of megabytes) is made at the first click, not
 * when the results appear, so showing them stays within a frame.
 */
function downloadLink(name: string, contents: Uint8Array | string, type: string): HTMLAnchorElement {
  const link = h('a', { href: '#', download: name, class: 'download' }, name);
  let url: string | undefined;
  // Set before the browser follows the link (its default action reads href after the listeners ran).
  link.addEventListener('click', () => {
    link.href = url ??= URL.createObjectURL(new Blob([contents as BlobPart], { type }));
  });
  return link;
}

/** Frees the Blobs behind a container's download links, before the links are replaced. */
function releaseLinks(container: Element): void {
  for (const link of container.querySelectorAll('a')) if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
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

const pairKey = (p: PredictionPair) => JSON.stringify([p.cellType, p.sourceCondition, p.targetCondition]);

interface Counterfactual {
  readonly element: HTMLElement;
  /** The chosen pair's predicted-cells download (replaced when the pair changes). */
  readonly download: HTMLElement;
}

/**
 * The counterfactual panel: selects for the cell type and the two conditions (the held-out pair by
 * default), a badge saying whether the target pair was seen in training, the R² table next to the
 * baselines, the predicted vs real scatter and the top responding genes. Other pairs are computed on
 * demand in the training worker, which keeps the last run's sample and model.
 */
function counterfactualSection(model: TrainedModel, results: TrainingResults, modelName: string): Counterfactual {
  const { pairs } = results;
  const download = h('span', { class: 'pair-download', 'data-testid': 'prediction-download' });
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'prediction-status' });
  const progress = h('progress', { hidden: true, max: 1, value: 0, 'aria-label': 'Computing the prediction' });
  const badge = h('span', { class: 'badge', 'data-testid': 'seen-badge', hidden: true });
  const body = h('div', { class: 'prediction-body' });
  const element = h(
    'div',
    { class: 'prediction counterfactual', 'data-testid': 'prediction' },
    h('h3', {}, 'Counterfactual prediction'),
  );
  if (pairs.cellTypes.length === 0 || pairs.conditions.length < 2) {
    element.append(h('p', { class: 'warn' }, results.predictionNote ?? 'Counterfactual predictions need a cell-type key and at least two conditions.'));
    return { element, download };
  }
  const cells = (t: number, c: number) => pairs.cells[t]?.[c] ?? 0;
  const select = (label: string, id: string, names: readonly string[]) => {
    const control = h('select', { id, name: id }, ...names.map((n) => h('option', { value: n }, n)));
    return { control, field: h('div', { class: 'field' }, h('label', { for: id }, label), control) };
  };
  const cellType = select('Cell type', 'cf-cell-type', pairs.cellTypes);
  const from = select('From condition', 'cf-source', pairs.conditions);
  const to = select('To condition', 'cf-target', pairs.conditions);
  // Each condition with the chosen cell type's shown cells, so an empty choice is visible before it is made.
  const label = () => {
    const t = pairs.cellTypes.indexOf(cellType.control.value);
    for (const s of [from.control, to.control]) {
      [...s.options].forEach((o, c) => (o.textContent = `${pairs.conditions[c]} (${formatInt(cells(t, c))} cells)`));
    }
  };
  const initial = pairs.default ?? { cellType: pairs.cellTypes[0], sourceCondition: pairs.conditions[0], targetCondition: pairs.conditions[1] };
  cellType.control.value = initial.cellType;
  from.control.value = initial.sourceCondition;
  to.control.value = initial.targetCondition;
  label();
  element.append(h('div', { class: 'pair-select' }, cellType.field, from.field, to.field, badge), h('div', { class: 'pair-status' }, progress, status), body);

  const known = new Map<string, PairResult>();
  if (pairs.default) {
    const name = predictedFileName(pairs.default);
    const bytes = results.files.get(name);
    known.set(pairKey(pairs.default), { pair: pairs.default, prediction: results.prediction, note: results.predictionNote, file: bytes ? { name, bytes } : undefined });
  }
  let plot: PredictionPlot | undefined;
  const show = (r: PairResult) => {
    plot?.destroy();
    plot = undefined;
    releaseLinks(download);
    download.replaceChildren();
    const p = r.prediction;
    badge.hidden = !p;
    if (!p) {
      body.replaceChildren(h('p', { class: 'warn', 'data-testid': 'prediction-note' }, r.note ?? 'No prediction for this pair.'));
      return;
    }
    badge.textContent = p.seen ? 'seen in training' : 'never seen in training';
    badge.className = `badge ${p.seen ? 'seen' : 'unseen'}`;
    plot = predictionPlot({ meanPoints: p.meanPoints, geneNames: model.result.geneNames, degs: p.evaluation.degs, title: `Per-gene mean of ${p.cellType} in ${p.targetCondition}: predicted vs real` });
    body.replaceChildren(
      h('p', {}, `${formatInt(p.sourceCells)} ${p.sourceCondition} cells of ${p.cellType} predicted into ${p.targetCondition}, compared with ${formatInt(p.realCells)} real ${p.targetCondition} cells${p.seen ? '' : ' that the model never saw'}${p.sourceSeen ? '' : ' (the source cells were held out of training too)'}; R² averaged over ${p.evaluation.bootstrapSamples} bootstrap resamples.`),
      r2Table(p, modelName),
      plot.element,
      topGenesTable(p),
    );
    download.replaceChildren(downloadLink(metricsFileName(r.pair), predictionMetricsJson(p, modelName), 'application/json'));
    if (r.file) {
      download.append(downloadLink(r.file.name, r.file.bytes, 'application/octet-stream'));
    }
  };
  let asked = 0;
  const choose = async () => {
    label();
    const pair: PredictionPair = { cellType: cellType.control.value, sourceCondition: from.control.value, targetCondition: to.control.value };
    const done = known.get(pairKey(pair));
    const ticket = ++asked;
    if (done) {
      status.textContent = '';
      progress.hidden = true;
      return show(done);
    }
    if (!model.predict) {
      status.textContent = '';
      return show({ pair, note: 'This run\u2019s model is no longer loaded: train again to predict other pairs.' });
    }
    const computing = `Computing ${pair.cellType}: ${pair.sourceCondition} → ${pair.targetCondition}`;
    status.textContent = `${computing}…`;
    status.classList.remove('error');
    progress.hidden = false;
    progress.value = 0;
    body.classList.add('stale');
    try {
      const r = await model.predict(pair, (step, done, total) => {
        if (ticket !== asked) return;
        progress.value = done / total;
        status.textContent = `${computing}: ${step}…`;
      });
      known.set(pairKey(pair), r);
      if (ticket !== asked) return;
      status.textContent = '';
      show(r);
    } catch (e) {
      if (ticket !== asked) return;
      status.textContent = `The prediction failed: ${(e as Error).message}`;
      status.classList.add('error');
    } finally {
      if (ticket === asked) {
        progress.hidden = true;
        body.classList.remove('stale');
      }
    }
  };
  for (const s of [cellType.control, from.control, to.control]) s.addEventListener('change', () => void choose());
  void choose();
  return { element, download };
}

const mimeType = (name: string) => (name.endsWith('.json') ? 'application/json' : name.endsWith('.csv') ? 'text/csv' : 'application/octet-stream');

/** What the cells file says of the MMD layer: in it, left out for size, or none (scGen). */
function cellsMmdNote(results: TrainingResults): string {
  if (!results.mmdLayer) return '';
  return results.mmdLayer.all ? " and obsm['X_trvae_mmd'] (the MMD layer)" : ` (the MMD layer of ${formatInt(results.cells.of)} cells would take more than 256 MB, so it is left out)`;
}

export function renderResults(model: TrainedModel): HTMLElement {
  const { result } = model;
  const results = result.results;
  if (!results) throw new Error('this run has no results to show');
  const grid = h('div', { class: 'results-grid' });
  const downloads = h(
    'div',
    { class: 'downloads', 'data-testid': 'downloads' },
    h('h3', {}, 'Downloads'),
    h('p', {}, 'ONNX graphs with the trained weights embedded (load them with onnxruntime in Python or JS) and model.json with the config, gene list and conditions.'),
    h('p', {}, `The latent space of every cell, in the dataset's order: the .h5ad holds all obs columns with obsm['X_trvae'] (μ)${cellsMmdNote(results)}, so adata.obsm['X_trvae'] = anndata.read_h5ad(file).obsm['X_trvae'] puts it back; the CSV holds μ keyed by obs name.`),
    // The predicted cells follow the pair chosen above.
    ...[...result.files].filter(([name]) => !name.startsWith('predicted_')).map(([name, contents]) => downloadLink(name, contents, mimeType(name))),
  );
  // The latent space, then the counterfactual, each in a task of its own (not when the results were
  // replaced meanwhile).
  void nextTask().then(() => {
    if (!grid.isConnected) return;
    // Disposes itself (worker, WebGL context) when these results leave the page.
    grid.append(renderEmbeddingPanel(results, { seed: model.options.seed, showCells: model.showCells }).element);
    void nextTask().then(() => {
      if (!grid.isConnected) return;
      const counterfactual = counterfactualSection(model, results, model.options.model === 'scgen' ? 'scGen' : 'trVAE');
      grid.append(counterfactual.element);
      downloads.append(counterfactual.download);
    });
  });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'results-title', 'data-testid': 'results-panel' },
    h('h2', { id: 'results-title' }, 'Results'),
    grid,
    downloads,
  );
}
