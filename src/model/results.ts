// What the page shows after training, computed where the model lives (the training worker, or the
// CLI): a sample of cells encoded to μ and projected by PCA, counterfactual predictions with the
// paper's R² table (the held-out pair by default; any cell type × source → target condition on
// demand, from the same sample), and the latent coordinates as CSV. The page only draws.

import type { AnnDataSource } from '../source/types.ts';
import { encodeDataset, latentCsv, shownCells, type DatasetLatent, type ShownCells } from './dataset-latent.ts';
import { DatasetError, loadExpression, type CategoricalColumn, type Holdout } from './dataset.ts';
import { evaluatePrediction, geneMoments, type PredictionEvaluation } from './metrics.ts';
import { h5adBytes } from '../convert/h5ad-bytes.ts';
import { latentAnnData, predictionAnnData, type PredictedCells } from './results-anndata.ts';
import { predictCounterfactual } from './predict.ts';
import { takeRows } from './take-rows.ts';
import type { TrainingPlan } from './pipeline.ts';
import { createRng } from '../random.ts';
import type { Backend } from './runtime.ts';
import type { ModelState } from './train/state.ts';
import type { TrvaeConfig } from './trvae/config.ts';

export interface LabelColumn {
  readonly name: string;
  readonly categories: readonly string[];
  /** One code per shown cell. */
  readonly codes: Int32Array;
}

/** A counterfactual to compute: a cell type's cells of one condition predicted into another. */
export interface PredictionPair {
  readonly cellType: string;
  readonly sourceCondition: string;
  readonly targetCondition: string;
}

/** A pair's prediction (the held-out pair's, or any other's). */
export interface HeldOutPrediction extends PredictionPair {
  /** False when the target pair (cell type × target condition) was held out of training. */
  readonly seen: boolean;
  /** False when the source cells are the held-out pair (treatment → control of the held-out type). */
  readonly sourceSeen: boolean;
  readonly sourceCells: number;
  readonly realCells: number;
  readonly evaluation: PredictionEvaluation;
  /**
   * What a model must beat, on the same cells and DEGs: the source cells as they are, and the
   * population-average shift (source cells + the mean target − source difference of the other cell types).
   */
  readonly baselines: readonly { readonly name: string; readonly evaluation: PredictionEvaluation }[];
  /** Per-gene mean, predicted and real, interleaved [G, 2]. */
  readonly meanPoints: Float32Array;
  /** The genes that respond most in the real cells, with the predicted response next to the real one. */
  readonly topGenes: readonly GeneResponse[];
  readonly degNames: readonly string[];
}

/** A gene's response to the target condition: log fold change (difference of log1p means) from the source cells. */
export interface GeneResponse {
  readonly gene: string;
  readonly real: number;
  readonly predicted: number;
  /** The population-average shift baseline's response. */
  readonly averageShift: number;
}

/** The `count` genes with the largest |real log fold change|, largest first. */
export function topResponders(means: { source: ArrayLike<number>; real: ArrayLike<number>; predicted: ArrayLike<number>; shift: ArrayLike<number> }, geneNames: readonly string[], count: number): GeneResponse[] {
  const order = Array.from(geneNames, (_, g) => g).sort((a, b) => Math.abs(means.real[b] - means.source[b]) - Math.abs(means.real[a] - means.source[a]) || a - b);
  return order.slice(0, count).map((g) => ({ gene: geneNames[g], real: means.real[g] - means.source[g], predicted: means.predicted[g] - means.source[g], averageShift: means.shift[g] }));
}

/** An obs column's values for the shown cells (booleans and strings as categories), to colour and label them. */
export type ShownObsColumn =
  | { readonly name: string; readonly kind: 'categorical'; readonly categories: readonly string[]; readonly codes: Int32Array }
  | { readonly name: string; readonly kind: 'numeric'; readonly values: Float64Array };

export interface TrainingResults extends ShownCells {
  /** The default pair's prediction: the held-out cell type from the first other condition into the held-out one. */
  readonly prediction?: HeldOutPrediction;
  /** A note when the held-out pair cannot be evaluated (no real or no source cells). */
  readonly predictionNote?: string;
  /** The pairs the kept sample allows (for the page's selects), with the default one. */
  readonly pairs: PairOffer;
  /**
   * Files for scanpy: `<model>_cells.h5ad` (every cell of the dataset in its order, all obs columns,
   * obsm X_trvae = μ and, for trVAE, X_trvae_mmd = the MMD layer; `anndata.read_h5ad`),
   * `latent_mu.csv` (μ keyed by obs name with the labels) and, with a held-out pair,
   * `predicted_<cell type>_<source>_to_<target>.h5ad` (the predicted cells × model genes).
   */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Whether the cells file holds every cell's MMD layer (trVAE; left out above 256 MB). */
  readonly mmdLayer?: { readonly all: boolean };
}

export interface ResultsOptions {
  /** Random cells kept for predictions at most, besides every cell of the held-out cell type (default 10,000). */
  readonly maxCells?: number;
  /** Cells the embedding view shows first (default 10,000; at most maxShownCells). */
  readonly shownCells?: number;
  readonly seed?: number;
  readonly backend?: Backend;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /** The kept cells, already loaded (loadResultsSample); loaded here when omitted. */
  readonly sample?: ResultsSample;
  /** Every cell's latent values, already encoded (encodeDataset); encoded here when omitted. */
  readonly dataset?: DatasetLatent;
}

/**
 * The shown cells as the model sees them, kept after training so that any pair can be predicted
 * without reading the dataset again: model inputs, condition and cell-type codes, obs names.
 */
export interface ResultsSample {
  /** Dataset rows of the shown cells, ascending. */
  readonly rows: Int32Array;
  /** Model inputs [n, nGenes]. */
  readonly x: Float32Array;
  readonly nGenes: number;
  readonly geneNames: readonly string[];
  readonly obsNames: readonly string[];
  /** The condition column (the model's conditions, in its one-hot order), one code per shown cell. */
  readonly conditions: LabelColumn;
  readonly cellTypes?: LabelColumn;
  /** The pair the model was trained without. */
  readonly holdout?: Holdout;
}

/** Shown cells per cell type × condition: the pairs on offer. */
export interface PairOffer {
  readonly cellTypes: readonly string[];
  readonly conditions: readonly string[];
  /** cells[t][c]: shown cells of cell type t in condition c. */
  readonly cells: readonly (readonly number[])[];
  /** The held-out cell type, from the first other condition into the held-out condition. */
  readonly default?: PredictionPair;
  readonly holdout?: Holdout;
}

/** Which step of a pair's prediction is running (step `done` of `total`), for a progress bar. */
export type PairProgress = (step: string, done: number, total: number) => void;

/** A pair's prediction, or why there is none (no source or no real target cells among those shown). */
export interface PairResult {
  readonly pair: PredictionPair;
  readonly prediction?: HeldOutPrediction;
  readonly note?: string;
  /** predicted_<cell type>_<source>_to_<target>.h5ad: the predicted cells × model genes. */
  readonly file?: { readonly name: string; readonly bytes: Uint8Array };
}

/** Sorted rows: up to `maxCells` at random (selection sampling) plus every row `always` keeps. */
function sampleRows(nObs: number, maxCells: number, seed: number, always: (row: number) => boolean, usable: (row: number) => boolean): Int32Array {
  const rng = createRng(seed);
  const rows: number[] = [];
  let needed = Math.min(maxCells, nObs);
  for (let row = 0; row < nObs; row++) {
    const pick = needed > 0 && rng.next() * (nObs - row) < needed;
    if (pick) needed--;
    if ((pick || always(row)) && usable(row)) rows.push(row);
  }
  return Int32Array.from(rows);
}

const slice = (name: string, column: CategoricalColumn, rows: Int32Array): LabelColumn => ({
  name,
  categories: column.categories,
  codes: Int32Array.from(rows, (r) => column.codes[r]),
});

/** Mean over the cell types other than `exclude` (each with cells in both) of mean(target) − mean(source), per gene. */
export function averageShift(x: Float32Array, conditions: Int32Array, cellTypes: Int32Array, exclude: number, source: number, target: number, G: number): Float64Array {
  const types = new Set(cellTypes);
  const shift = new Float64Array(G);
  let used = 0;
  for (const t of types) {
    if (t === exclude || t < 0) continue;
    const sums = [new Float64Array(G), new Float64Array(G)];
    const counts = [0, 0];
    for (let i = 0; i < conditions.length; i++) {
      if (cellTypes[i] !== t) continue;
      const side = conditions[i] === source ? 0 : conditions[i] === target ? 1 : -1;
      if (side < 0) continue;
      counts[side]++;
      for (let g = 0; g < G; g++) sums[side][g] += x[i * G + g];
    }
    if (counts[0] === 0 || counts[1] === 0) continue;
    used++;
    for (let g = 0; g < G; g++) shift[g] += sums[1][g] / counts[1] - sums[0][g] / counts[0];
  }
  if (used > 0) for (let g = 0; g < G; g++) shift[g] /= used;
  return shift;
}

/** Reads the shown cells (up to `maxCells` at random plus every cell of the held-out cell type) as model inputs. */
export async function loadResultsSample(source: AnnDataSource, plan: TrainingPlan, options: ResultsOptions = {}): Promise<ResultsSample> {
  const { conditions, cellTypes, holdout } = plan;
  const heldOutType = holdout && cellTypes ? cellTypes.categories.indexOf(holdout.cellType) : -1;
  const rows = sampleRows(source.nObs, options.maxCells ?? 10_000, options.seed ?? 0, (r) => heldOutType >= 0 && cellTypes?.codes[r] === heldOutType, (r) => conditions.codes[r] >= 0);
  const x = await loadExpression(source, plan.genes, {
    input: plan.input, layer: plan.options.layer, signal: options.signal, onProgress: (_phase, done, total) => options.onProgress?.(done, total),
  }, rows);
  const allNames = source.obsNames ? await source.obsNames() : undefined;
  return {
    rows, x, nGenes: plan.genes.length, geneNames: plan.geneNames,
    obsNames: Array.from(rows, (r) => allNames?.[r] ?? String(r)),
    conditions: slice(plan.options.conditionKey, conditions, rows),
    cellTypes: cellTypes && plan.options.cellTypeKey ? slice(plan.options.cellTypeKey, cellTypes, rows) : undefined,
    holdout: holdout ? { cellType: holdout.cellType, condition: holdout.condition } : undefined,
  };
}

/** The pairs the sample allows, and the default one (held-out type, first other condition → held-out condition). */
export function pairOffer(sample: ResultsSample): PairOffer {
  const conditions = sample.conditions.categories;
  const cellTypes = sample.cellTypes?.categories ?? [];
  const cells = cellTypes.map(() => conditions.map(() => 0));
  if (sample.cellTypes) {
    const t = sample.cellTypes.codes;
    sample.conditions.codes.forEach((c, i) => {
      if (c >= 0 && t[i] >= 0) cells[t[i]][c]++;
    });
  }
  const { holdout } = sample;
  const heldOut = holdout && cellTypes.includes(holdout.cellType) && conditions.includes(holdout.condition);
  const from = holdout && conditions.find((c) => c !== holdout.condition);
  return {
    cellTypes, conditions, cells, holdout,
    default: heldOut && from !== undefined ? { cellType: holdout.cellType, sourceCondition: from, targetCondition: holdout.condition } : undefined,
  };
}

const safeName = (t: string) => t.replace(/[^\w.-]+/g, '_');

const pairStem = (p: PredictionPair) => `${safeName(p.cellType)}_${safeName(p.sourceCondition)}_to_${safeName(p.targetCondition)}`;

/** The download name of a pair's predicted cells. */
export const predictedFileName = (p: PredictionPair) => `predicted_${pairStem(p)}.h5ad`;

/** The download name of a pair's metrics. */
export const metricsFileName = (p: PredictionPair) => `metrics_${pairStem(p)}.json`;

/** A pair's metrics as JSON for a notebook: the model's R² tables (all cells, bootstrap mean and sd), delta Pearson and energy distance, each baseline's, the DEGs and the top responders. */
export function predictionMetricsJson(p: HeldOutPrediction, model: string): string {
  const scores = (evaluation: PredictionEvaluation) => ({
    full: evaluation.full, bootstrapMean: evaluation.bootstrapMean, bootstrapStd: evaluation.bootstrapStd, bootstrapSamples: evaluation.bootstrapSamples,
    deltaPearsonTop: evaluation.deltaPearsonTop, energyTop: evaluation.energyTop,
  });
  return JSON.stringify({
    cellType: p.cellType, sourceCondition: p.sourceCondition, targetCondition: p.targetCondition,
    seenInTraining: p.seen, sourceSeenInTraining: p.sourceSeen, sourceCells: p.sourceCells, realCells: p.realCells,
    methods: [{ name: model, ...scores(p.evaluation) }, ...p.baselines.map((b) => ({ name: b.name, ...scores(b.evaluation) }))],
    topDegs: p.degNames, topResponders: p.topGenes,
  }, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
}

/**
 * One pair's counterfactual from the shown cells, with the protocol of `trvae-web evaluate`
 * (evaluate-holdout.ts: the same prediction code, z from the same Philox stream, 100 bootstrap
 * resamples, Wilcoxon top-100 DEGs) and two baselines that use no model: the source cells as they
 * are, and the population-average shift of the other cell types. A pair without source or real
 * target cells among those shown gets a note, not an error.
 */
export async function predictPair(sample: ResultsSample, config: TrvaeConfig, state: ModelState, pair: PredictionPair, backend?: Backend, onProgress?: PairProgress): Promise<PairResult> {
  const { x, conditions, cellTypes, holdout } = sample;
  const G = sample.nGenes;
  if (!cellTypes) throw new DatasetError('predictions need a cell-type key (train with a cell-type key)');
  const code = (column: LabelColumn, value: string, what: string) => {
    const c = column.categories.indexOf(value);
    if (c < 0) throw new DatasetError(`${what} "${value}" is not one of ${column.name}'s (${column.categories.join(', ')})`);
    return c;
  };
  const type = code(cellTypes, pair.cellType, 'cell type');
  const from = code(conditions, pair.sourceCondition, 'condition');
  const to = code(conditions, pair.targetCondition, 'condition');
  if (from === to) return { pair, note: `Choose two different conditions: ${pair.sourceCondition} → ${pair.sourceCondition} changes nothing.` };
  const n = conditions.codes.length;
  const pick = (condition: number) => {
    const local: number[] = [];
    for (let i = 0; i < n; i++) if (cellTypes.codes[i] === type && conditions.codes[i] === condition) local.push(i);
    return local;
  };
  const gather = (local: readonly number[]) => ({ x: takeRows(x, G, local), n: local.length });
  const sourceRows = pick(from);
  const realRows = pick(to);
  if (sourceRows.length === 0 || realRows.length === 0) {
    const missing = [sourceRows.length === 0 ? `no ${pair.sourceCondition} cells to predict from` : '', realRows.length === 0 ? `no real ${pair.targetCondition} cells to compare with` : ''].filter(Boolean).join(' and ');
    return { pair, note: `${pair.cellType} has ${missing} among the shown cells.` };
  }
  const isHeldOut = (t: number, c: number) => holdout !== undefined && cellTypes.categories[t] === holdout.cellType && conditions.categories[c] === holdout.condition;
  const sourceCells = gather(sourceRows);
  const realCells = gather(realRows);
  const steps = ['predicting', 'scoring the prediction', 'scoring the baselines', 'writing the predicted cells'];
  const step = (i: number) => onProgress?.(steps[i], i, steps.length);
  step(0);
  const xhat = await predictCounterfactual(config, { state }, {
    x: sourceCells.x, sourceCondition: from, targetCondition: to,
    // scGen's δ comes from the training cells among those shown (all cells when the data are small).
    training: () => {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (!isHeldOut(cellTypes.codes[i], conditions.codes[i])) rows.push(i);
      return Promise.resolve({ x: gather(rows).x, conditions: Int32Array.from(rows, (i) => conditions.codes[i]) });
    },
  }, backend);
  const pred = { x: xhat, n: sourceCells.n };
  step(1);
  const evaluation = evaluatePrediction(pred, realCells, sourceCells, { nGenes: G, nDegs: Math.min(100, G), bootstrap: 100 });
  // The same DEGs (real vs source cells) for the baselines: the Wilcoxon test runs once.
  const evaluate = (cells: { x: Float32Array; n: number }) => evaluatePrediction(cells, realCells, sourceCells, { nGenes: G, bootstrap: 100, degs: evaluation.degs });
  step(2);
  const shift = averageShift(x, conditions.codes, cellTypes.codes, type, from, to, G);
  const shifted = Float32Array.from(sourceCells.x, (v, i) => v + shift[i % G]);
  const baselines = [
    { name: `${pair.sourceCondition} cells as they are`, evaluation: evaluate(sourceCells) },
    { name: 'population-average shift', evaluation: evaluate({ x: shifted, n: sourceCells.n }) },
  ];
  const p = geneMoments(pred, G).mean;
  const r = geneMoments(realCells, G).mean;
  const topGenes = topResponders({ source: geneMoments(sourceCells, G).mean, real: r, predicted: p, shift }, sample.geneNames, Math.min(20, G));
  const meanPoints = new Float32Array(G * 2);
  for (let g = 0; g < G; g++) meanPoints.set([p[g], r[g]], 2 * g);
  step(3);
  const predictedCells: PredictedCells = { sourceObsNames: sourceRows.map((i) => sample.obsNames[i]), ...pair, x: xhat, geneNames: sample.geneNames };
  return {
    pair,
    prediction: {
      ...pair,
      seen: !isHeldOut(type, to),
      sourceSeen: !isHeldOut(type, from),
      sourceCells: sourceCells.n,
      realCells: realCells.n,
      evaluation,
      baselines,
      meanPoints,
      topGenes,
      degNames: evaluation.degs.map((g) => sample.geneNames[g]),
    },
    file: { name: predictedFileName(pair), bytes: await h5adBytes(predictionAnnData(predictedCells)) },
  };
}

export async function computeResults(source: AnnDataSource, plan: TrainingPlan, config: TrvaeConfig, state: ModelState, options: ResultsOptions = {}): Promise<TrainingResults> {
  const sample = options.sample ?? await loadResultsSample(source, plan, options);
  const dataset = options.dataset ?? await encodeDataset(source, plan, config, state, options);
  const pairs = pairOffer(sample);
  const held = pairs.default ? await predictPair(sample, config, state, pairs.default, options.backend) : undefined;
  const files = new Map<string, Uint8Array>();
  files.set(`${config.model ?? 'trvae'}_cells.h5ad`, await h5adBytes(latentAnnData(dataset)));
  files.set('latent_mu.csv', latentCsv(dataset));
  if (held?.file) files.set(held.file.name, held.file.bytes);
  return { ...shownCells(dataset, options.shownCells ?? 10_000), prediction: held?.prediction, predictionNote: held?.note, pairs, files, mmdLayer: dataset.mmd && { all: dataset.mmd.all } };
}
