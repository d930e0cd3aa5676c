// From an opened AnnData to what training and the results need: obs keys → condition codes, the
// top-N highly variable genes, log-normalised expression of those genes, and the held-out rows.
// Small datasets are read whole (in-memory training); for large ones the worker streams batches
// through the loader and the page reads only a sample of cells for the results.
import type { InMemoryDataset } from '../model/train/memory-batches.ts';
import {
  detectInputKind,
  heldOutPredicate,
  highlyVariableGenes,
  loadExpression,
  readCategorical,
  type CategoricalColumn,
  type Holdout,
  type InputKind,
} from '../model/dataset.ts';
import { createRng } from '../model/random.ts';
import type { AnnDataSource } from '../source/types.ts';

export interface TrainingChoices {
  readonly conditionKey: string;
  readonly cellTypeKey?: string;
  /** Cells of this cell type in this condition are left out of training (the paper's protocol). */
  readonly holdout?: Holdout;
  readonly nGenes: number;
}

/** Expression and labels of a set of cells, all in the same (local) row order. */
export interface TrainingData {
  readonly dataset: InMemoryDataset;
  /** Local rows the model trains on (all, minus the held-out pair and cells without a condition). */
  readonly trainRows: readonly number[];
  readonly genes: readonly string[];
  readonly conditions: CategoricalColumn;
  readonly cellTypes?: CategoricalColumn;
  /** What X held: raw counts (normalised here) or log-normalised values (used as they are). */
  readonly input: InputKind;
  /** Some cells only (out-of-core training): how many of how many. */
  readonly sample?: { readonly cells: number; readonly of: number };
}

export type PrepareProgress = (phase: string, done: number, total: number) => void;

/** Bytes of the dense expression matrix the in-memory path would hold. */
export const inMemoryBytes = (source: AnnDataSource, nGenes: number): number => source.nObs * Math.min(nGenes, source.nVars) * 4;

interface Labels {
  readonly conditions: CategoricalColumn;
  readonly cellTypes?: CategoricalColumn;
  readonly excluded: (row: number) => boolean;
}

async function readLabels(source: AnnDataSource, choices: TrainingChoices, signal?: AbortSignal): Promise<Labels> {
  const conditions = await readCategorical(source, choices.conditionKey, 'condition key', signal);
  const cellTypes = choices.cellTypeKey ? await readCategorical(source, choices.cellTypeKey, 'cell type key', signal) : undefined;
  const { holdout } = choices;
  if (!holdout) return { conditions, cellTypes, excluded: (row) => conditions.codes[row] < 0 };
  if (!cellTypes) throw new Error('a held-out pair needs a cell type key');
  const isHeldOut = heldOutPredicate(conditions, cellTypes, holdout);
  // Cells without a condition cannot be one-hot encoded: they are left out, like the held-out pair.
  return { conditions, cellTypes, excluded: (row) => conditions.codes[row] < 0 || isHeldOut(row) };
}

const slice = (column: CategoricalColumn, rows: Int32Array): CategoricalColumn => ({
  categories: column.categories,
  codes: Int32Array.from(rows, (r) => column.codes[r]),
});

async function assemble(
  source: AnnDataSource,
  labels: Labels,
  genes: Int32Array,
  input: InputKind,
  rows: Int32Array | undefined,
  onProgress: PrepareProgress,
  signal?: AbortSignal,
): Promise<TrainingData> {
  const x = await loadExpression(source, genes, { input, signal, onProgress: (_phase, done, total) => onProgress('Reading expression', done, total) }, rows);
  const varNames = await source.varNames();
  const local = rows ?? Int32Array.from({ length: source.nObs }, (_, i) => i);
  const conditions = rows ? slice(labels.conditions, rows) : labels.conditions;
  const trainRows: number[] = [];
  local.forEach((row, i) => {
    if (!labels.excluded(row)) trainRows.push(i);
  });
  return {
    dataset: { x, conditions: conditions.codes, nGenes: genes.length },
    trainRows,
    genes: Array.from(genes, (i) => varNames[i]),
    conditions,
    cellTypes: labels.cellTypes && rows ? slice(labels.cellTypes, rows) : labels.cellTypes,
    input,
    sample: rows ? { cells: rows.length, of: source.nObs } : undefined,
  };
}

/** The whole dataset in memory: HVG pass, then the expression of the selected genes. */
export async function prepareTrainingData(
  source: AnnDataSource,
  choices: TrainingChoices,
  onProgress: PrepareProgress,
  signal?: AbortSignal,
): Promise<TrainingData> {
  const labels = await readLabels(source, choices, signal);
  const input = await detectInputKind(source);
  const genes = await highlyVariableGenes(source, choices.nGenes, {
    input,
    signal,
    onProgress: (_phase, done, total) => onProgress('Selecting highly variable genes', done, total),
  });
  return assemble(source, labels, genes, input, undefined, onProgress, signal);
}

/**
 * After out-of-core training: up to `maxCells` random cells, plus every cell of the held-out cell
 * type (the prediction compares all of them), read for the latent view and the counterfactual.
 */
export async function sampleForResults(
  source: AnnDataSource,
  choices: TrainingChoices,
  genes: Int32Array,
  onProgress: PrepareProgress,
  options: { readonly maxCells?: number; readonly seed?: number; readonly signal?: AbortSignal } = {},
): Promise<TrainingData> {
  const labels = await readLabels(source, choices, options.signal);
  const input = await detectInputKind(source);
  const heldOutType = choices.holdout && labels.cellTypes ? labels.cellTypes.categories.indexOf(choices.holdout.cellType) : -1;
  const keep = new Uint8Array(source.nObs);
  if (heldOutType >= 0) labels.cellTypes?.codes.forEach((code, row) => (keep[row] = code === heldOutType ? 1 : 0));
  const rng = createRng(options.seed ?? 0);
  const want = Math.min(options.maxCells ?? 5000, source.nObs);
  // Selection sampling (Knuth's algorithm S): each row is kept with the probability that fills the quota exactly.
  for (let row = 0, needed = want; row < source.nObs && needed > 0; row++) {
    if (rng.next() * (source.nObs - row) < needed) {
      keep[row] = 1;
      needed -= 1;
    }
  }
  const rows = Int32Array.from(keep.reduce<number[]>((acc, k, row) => (k ? (acc.push(row), acc) : acc), []));
  return assemble(source, labels, genes, input, rows, onProgress, options.signal);
}
