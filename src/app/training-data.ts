// From an opened AnnData to what the training worker takes: obs keys → condition codes, the top-N
// highly variable genes, log-normalised expression of those genes, and the held-out rows.
import type { InMemoryDataset } from '../model/train/memory-batches.ts';
import {
  categoryCode,
  detectInputKind,
  highlyVariableGenes,
  loadExpression,
  readCategorical,
  type CategoricalColumn,
  type Holdout,
  type InputKind,
} from '../model/dataset.ts';
import type { AnnDataSource } from '../source/types.ts';

export interface TrainingChoices {
  readonly conditionKey: string;
  readonly cellTypeKey?: string;
  /** Cells of this cell type in this condition are left out of training (the paper's protocol). */
  readonly holdout?: Holdout;
  readonly nGenes: number;
}

export interface TrainingData {
  readonly dataset: InMemoryDataset;
  /** Rows the model trains on (all, minus the held-out pair). */
  readonly trainRows: readonly number[];
  readonly genes: readonly string[];
  readonly conditions: CategoricalColumn;
  readonly cellTypes?: CategoricalColumn;
  /** What X held: raw counts (normalised here) or log-normalised values (used as they are). */
  readonly input: InputKind;
}

export type PrepareProgress = (phase: string, done: number, total: number) => void;

export async function prepareTrainingData(
  source: AnnDataSource,
  choices: TrainingChoices,
  onProgress: PrepareProgress,
  signal?: AbortSignal,
): Promise<TrainingData> {
  const conditions = await readCategorical(source, choices.conditionKey, 'condition key', signal);
  const cellTypes = choices.cellTypeKey ? await readCategorical(source, choices.cellTypeKey, 'cell type key', signal) : undefined;
  const input = await detectInputKind(source);
  const load = {
    input,
    signal,
    onProgress: (phase: 'genes' | 'expression', done: number, total: number) =>
      onProgress(phase === 'genes' ? 'Selecting highly variable genes' : 'Reading expression', done, total),
  };
  const selected = await highlyVariableGenes(source, choices.nGenes, load);
  const x = await loadExpression(source, selected, load);
  const varNames = await source.varNames();
  let excluded = (_row: number) => false;
  if (choices.holdout) {
    if (!cellTypes) throw new Error('a held-out pair needs a cell type key');
    const ct = categoryCode(cellTypes, choices.holdout.cellType, 'held-out cell type');
    const cond = categoryCode(conditions, choices.holdout.condition, 'held-out condition');
    excluded = (row) => cellTypes.codes[row] === ct && conditions.codes[row] === cond;
  }
  const trainRows: number[] = [];
  for (let row = 0; row < source.nObs; row++) {
    // Cells without a condition cannot be one-hot encoded: they are left out, like the held-out pair.
    if (conditions.codes[row] >= 0 && !excluded(row)) trainRows.push(row);
  }
  return {
    dataset: { x, conditions: conditions.codes, nGenes: selected.length },
    trainRows,
    genes: Array.from(selected, (i) => varNames[i]),
    conditions,
    cellTypes,
    input,
  };
}
