// Training on an AnnData source end to end (Node CLI, scripts): read keys, drop the held-out
// (cell type × condition) cells, select HVGs, load the expression, train, and export.

import type { AnnDataSource } from '../source/types.ts';
import { categoryCode, detectInputKind, highlyVariableGenes, loadExpression, readCategorical, DatasetError, type Holdout, type InputKind } from './dataset.ts';
import { exportModel } from './export.ts';
import type { Backend } from './runtime.ts';
import { createTrainingControl } from './train/control.ts';
import { memoryBatches, splitRows } from './train/memory-batches.ts';
import { train, type Checkpoint, type Schedule, type StopReason, type TrainingEvent } from './train/train.ts';
import { makeConfig, type TrvaeConfig } from './trvae/config.ts';

export interface TrainSourceOptions {
  readonly conditionKey: string;
  readonly cellTypeKey?: string;
  readonly holdout?: Holdout;
  readonly nGenes: number;
  readonly input?: InputKind | 'auto';
  readonly layer?: string;
  readonly validationFraction: number;
  readonly model?: Partial<Omit<TrvaeConfig, 'nGenes' | 'nConditions'>>;
  readonly schedule?: Partial<Schedule>;
  readonly backend?: Backend;
  readonly signal?: AbortSignal;
  readonly onLog?: (line: string) => void;
  readonly onEvent?: (event: TrainingEvent) => void;
}

export interface TrainSourceResult {
  readonly files: Map<string, Uint8Array | string>;
  readonly checkpoint: Checkpoint;
  readonly stopReason: StopReason;
  readonly message?: string;
}

export async function trainFromSource(source: AnnDataSource, options: TrainSourceOptions): Promise<TrainSourceResult> {
  const log = options.onLog ?? (() => {});
  const conditions = await readCategorical(source, options.conditionKey, '--condition-key', options.signal);
  if (conditions.categories.length < 2) throw new DatasetError(`--condition-key: "${options.conditionKey}" has ${conditions.categories.length} category; trVAE needs at least 2 conditions`);
  let keep = Array.from({ length: source.nObs }, (_, i) => i).filter((i) => conditions.codes[i] >= 0);
  if (options.holdout) {
    if (!options.cellTypeKey) throw new DatasetError('--holdout needs --cell-type-key');
    const cellTypes = await readCategorical(source, options.cellTypeKey, '--cell-type-key', options.signal);
    const t = categoryCode(cellTypes, options.holdout.cellType, 'held-out cell type');
    const c = categoryCode(conditions, options.holdout.condition, 'held-out condition');
    const before = keep.length;
    keep = keep.filter((i) => !(cellTypes.codes[i] === t && conditions.codes[i] === c));
    log(`held out ${before - keep.length} cells (${options.holdout.cellType} × ${options.holdout.condition})`);
  }
  const input = !options.input || options.input === 'auto' ? await detectInputKind(source, options.layer) : options.input;
  log(`input: ${input === 'counts' ? 'raw counts (normalize_total 1e4 + log1p)' : 'log-normalised values (used as given)'}`);
  const loadOptions = { input, layer: options.layer, signal: options.signal };
  const genes = await highlyVariableGenes(source, options.nGenes, loadOptions);
  log(`${genes.length} genes`);
  const varNames = await source.varNames();
  const x = await loadExpression(source, genes, loadOptions);
  const config = makeConfig({ ...options.model, nGenes: genes.length, nConditions: conditions.categories.length });
  if (keep.length < config.batchSize) throw new DatasetError(`${keep.length} training cells are fewer than one batch of ${config.batchSize}; lower --batch-size`);
  const split = splitRows(source.nObs, options.validationFraction, config.seed, keep);
  log(`${split.train.length} training cells, ${split.validation.length} validation cells`);
  const dataset = { x, conditions: conditions.codes, nGenes: genes.length };
  const started = performance.now();
  const result = await train({
    config,
    schedule: options.schedule,
    backend: options.backend,
    batches: (epoch) => memoryBatches(dataset, split.train, config.batchSize, { seed: config.seed, epoch }),
    validation: split.validation.length > 0 ? () => memoryBatches(dataset, split.validation, config.batchSize, undefined) : undefined,
    control: options.signal ? createTrainingControl(options.signal) : undefined,
    onEvent: options.onEvent,
  });
  const seconds = (performance.now() - started) / 1000;
  const { checkpoint } = result;
  const last = checkpoint.history[checkpoint.history.length - 1];
  const files = exportModel(config, checkpoint.state, {
    genes: Array.from(genes, (g) => varNames[g]),
    conditions: conditions.categories,
    conditionKey: options.conditionKey,
    cellTypeKey: options.cellTypeKey,
    holdout: options.holdout,
    input,
    layer: options.layer,
    history: checkpoint.history,
    metrics: {
      stopReason: result.stopReason,
      ...(result.message ? { message: result.message } : {}),
      epochs: checkpoint.history.length,
      steps: checkpoint.state.step,
      seconds,
      cellsPerSecond: (checkpoint.state.step * config.batchSize) / seconds,
      finalTrainLoss: last?.train,
      finalValidationLoss: last?.validation,
      trainingCells: split.train.length,
      validationCells: split.validation.length,
    },
  });
  return { files, checkpoint, stopReason: result.stopReason, message: result.message };
}
