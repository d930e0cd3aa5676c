// The latent space of every cell of the dataset, in the dataset's order: the download that goes
// back into scanpy (`adata.obsm['X_trvae'] = cells.obsm['X_trvae']` needs the same cells in the same
// order) and the pool the embedding view samples from (up to 100k cells, any size on demand).

import type { AnnDataSource, ObsValues } from '../source/types.ts';
import { createRng, shuffleInPlace } from '../random.ts';
import { loadExpression } from './dataset.ts';
import { createInferenceRunner } from './inference.ts';
import { pca2 } from './pca.ts';
import { takeRows } from './take-rows.ts';
import type { TrainingPlan } from './pipeline.ts';
import type { LabelColumn, ShownObsColumn } from './results.ts';
import type { Backend } from './runtime.ts';
import type { ModelState } from './train/state.ts';
import type { TrvaeConfig } from './trvae/config.ts';

/** The most cells the embedding view shows (and keeps the MMD layer of, when not every cell's fits). */
export const maxShownCells = 100_000;
/** The MMD layer of every cell is kept up to this size (256 MB: 500k cells at trVAE's width 128). */
const maxDatasetMmdBytes = 256 * 2 ** 20;
const rowsPerBlock = 4096;

export interface DatasetLatent {
  readonly obsNames: readonly string[];
  /** μ [nObs, width]; a cell whose condition the model does not know has a NaN row. */
  readonly mu: Float32Array;
  readonly width: number;
  /**
   * The MMD layer (trVAE): rows of `values` [kept, width] by dataset row (`index[row]`, -1 when not
   * kept). Every cell's when it fits maxDatasetMmdBytes (`all`), else the first maxShownCells of `order`.
   */
  readonly mmd?: { readonly values: Float32Array; readonly width: number; readonly index: Int32Array; readonly all: boolean };
  /** Every readable obs column over all cells. */
  readonly obs: readonly ShownObsColumn[];
  /** The condition (and cell-type) columns over all cells, in the model's categories. */
  readonly labels: readonly LabelColumn[];
  /** The cells the model can encode, in a seeded random order: a view of m cells shows the first m. */
  readonly order: Int32Array;
}

/** The cells an embedding view shows: a sample of the dataset's latent space with their obs values. */
export interface ShownCells {
  /** Cells shown of all cells, and how many could be shown (the encodable ones, at most maxShownCells). */
  readonly cells: { readonly shown: number; readonly of: number; readonly available: number };
  /** PCA of μ, [shown, 2]. */
  readonly embedding: Float32Array;
  readonly labels: readonly LabelColumn[];
  /** The shown cells' obs names, μ [shown, width] and, for trVAE, the MMD layer [shown, mmd.width]. */
  readonly latent: { readonly obsNames: readonly string[]; readonly mu: Float32Array; readonly width: number; readonly mmd?: { readonly values: Float32Array; readonly width: number } };
  readonly obs: readonly ShownObsColumn[];
}

export interface EncodeDatasetOptions {
  readonly seed?: number;
  readonly backend?: Backend;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /** Every cell's MMD layer is kept up to this many bytes (default 256 MB), else only the view's. */
  readonly maxMmdBytes?: number;
}

/** Every obs column the source can read, over all cells (strings and booleans as categories); one that cannot be read is left out. */
async function readObsColumns(source: AnnDataSource, signal?: AbortSignal): Promise<ShownObsColumn[]> {
  const out: ShownObsColumn[] = [];
  const n = source.nObs;
  for (const { name } of source.obsColumns) {
    let values: ObsValues;
    try {
      values = await source.readObs(name, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      continue;
    }
    if (values.kind === 'categorical') out.push({ name, kind: 'categorical', categories: values.categories, codes: Int32Array.from(values.codes) });
    else if (values.kind === 'numeric') out.push({ name, kind: 'numeric', values: Float64Array.from({ length: n }, (_, r) => (values.mask?.[r] ? Number.NaN : values.values[r])) });
    else {
      const text = (r: number) => (values.kind === 'boolean' ? (values.mask?.[r] ? null : values.values[r] ? 'True' : 'False') : values.values[r]);
      const categories: string[] = [];
      const index = new Map<string, number>();
      const codes = Int32Array.from({ length: n }, (_, r) => {
        const v = text(r);
        if (v === null) return -1;
        let code = index.get(v);
        if (code === undefined) index.set(v, (code = categories.push(v) - 1));
        return code;
      });
      out.push({ name, kind: 'categorical', categories, codes });
    }
  }
  return out;
}

/** μ (and the MMD layer) of every cell, read block by block through the model's gene selection. */
export async function encodeDataset(source: AnnDataSource, plan: TrainingPlan, config: TrvaeConfig, state: ModelState, options: EncodeDatasetOptions = {}): Promise<DatasetLatent> {
  const obs = await readObsColumns(source, options.signal);
  const nObs = source.nObs;
  const codes = plan.conditions.codes;
  const usable = Int32Array.from({ length: nObs }, (_, r) => r).filter((r) => codes[r] >= 0);
  const order = shuffleInPlace(usable.slice(), createRng(options.seed ?? 0));
  const withMmd = config.model !== 'scgen';
  const mmdWidth = config.hidden.at(-1) ?? 0;
  const allMmd = withMmd && usable.length * mmdWidth * 4 <= (options.maxMmdBytes ?? maxDatasetMmdBytes);
  // Kept rows are indexed in dataset order, so a block's MMD rows land in order.
  const mmdIndex = new Int32Array(nObs).fill(-1);
  if (withMmd) for (const row of allMmd ? usable : order.subarray(0, maxShownCells)) mmdIndex[row] = 0;
  let kept = 0;
  for (let row = 0; row < nObs; row++) if (mmdIndex[row] >= 0) mmdIndex[row] = kept++;
  const mu = new Float32Array(nObs * config.latent).fill(Number.NaN);
  const mmd = withMmd ? new Float32Array(kept * mmdWidth) : undefined;

  const encoder = await createInferenceRunner('encode', config, { state }, options.backend);
  const mmdRunner = withMmd ? await createInferenceRunner('mmd', config, { state }, options.backend) : undefined;
  try {
    let done = 0;
    for (let start = 0; start < usable.length; start += rowsPerBlock) {
      options.signal?.throwIfAborted();
      const rows = usable.subarray(start, Math.min(usable.length, start + rowsPerBlock));
      const x = await loadExpression(source, plan.genes, { input: plan.input, layer: plan.options.layer, signal: options.signal }, rows);
      const conditions = Int32Array.from(rows, (r) => codes[r]);
      const { mu: blockMu } = await encoder.run({ x, conditions });
      rows.forEach((row, i) => mu.set(blockMu.subarray(i * config.latent, (i + 1) * config.latent), row * config.latent));
      // The MMD layer of the block's cells that keep it (all of them, or those in the view's prefix).
      const picks = Int32Array.from(rows.keys()).filter((i) => mmdIndex[rows[i]] >= 0);
      if (mmdRunner && mmd && picks.length > 0) {
        const c = picks.length === rows.length ? conditions : Int32Array.from(picks, (i) => conditions[i]);
        const { y } = await mmdRunner.run({ x: picks.length === rows.length ? x : takeRows(x, plan.genes.length, picks), conditions: c, target: c });
        picks.forEach((i, k) => mmd.set(y.subarray(k * mmdWidth, (k + 1) * mmdWidth), mmdIndex[rows[i]] * mmdWidth));
      }
      done += rows.length;
      options.onProgress?.(done, usable.length);
    }
  } finally {
    await encoder.release();
    await mmdRunner?.release();
  }
  const names = source.obsNames ? await source.obsNames() : undefined;
  const labels: LabelColumn[] = [{ name: plan.options.conditionKey, categories: plan.conditions.categories, codes: plan.conditions.codes }];
  if (plan.cellTypes && plan.options.cellTypeKey) labels.push({ name: plan.options.cellTypeKey, categories: plan.cellTypes.categories, codes: plan.cellTypes.codes });
  return {
    obsNames: names ? [...names] : Array.from({ length: nObs }, (_, r) => String(r)),
    mu, width: config.latent,
    mmd: mmd ? { values: mmd, width: mmdWidth, index: mmdIndex, all: allMmd } : undefined,
    obs, labels, order,
  };
}

/** The first `count` cells of the dataset's random order (sorted by row), with their latent values and obs. */
export function shownCells(dataset: DatasetLatent, count: number): ShownCells {
  const available = Math.min(dataset.order.length, maxShownCells);
  const rows = dataset.order.slice(0, Math.max(0, Math.min(count, available))).sort();
  const n = rows.length;
  const w = dataset.width;
  const mu = takeRows(dataset.mu, w, rows);
  const mmd = dataset.mmd && { values: takeRows(dataset.mmd.values, dataset.mmd.width, rows, dataset.mmd.index), width: dataset.mmd.width };
  const pick = (codes: Int32Array) => Int32Array.from(rows, (r) => codes[r]);
  return {
    cells: { shown: n, of: dataset.mu.length / w, available },
    embedding: pca2(mu, n, w),
    labels: dataset.labels.map((l) => ({ ...l, codes: pick(l.codes) })),
    latent: { obsNames: Array.from(rows, (r) => dataset.obsNames[r]), mu, width: w, mmd },
    obs: dataset.obs.map((c) => (c.kind === 'categorical' ? { ...c, codes: pick(c.codes) } : { ...c, values: Float64Array.from(rows, (r) => c.values[r]) })),
  };
}

/** μ of every cell keyed by obs name with the label columns, so it joins back onto adata.obs (NaN cells: empty). */
export function latentCsv(dataset: DatasetLatent): Uint8Array {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const w = dataset.width;
  const lines = [['obs_name', ...dataset.labels.map((l) => l.name), ...Array.from({ length: w }, (_, i) => `mu${i}`)].map(quote).join(',')];
  dataset.obsNames.forEach((name, row) => {
    const annotations = dataset.labels.map((l) => quote(l.codes[row] >= 0 ? l.categories[l.codes[row]] : ''));
    const values = Array.from(dataset.mu.subarray(row * w, (row + 1) * w), (v) => (Number.isNaN(v) ? '' : v.toPrecision(6)));
    lines.push([quote(name), ...annotations, ...values].join(','));
  });
  return new TextEncoder().encode(lines.join('\n'));
}
