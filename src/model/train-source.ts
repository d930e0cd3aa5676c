// Training on an AnnData source end to end (Node CLI, scripts): read keys, select HVGs, stream
// batches through the annbatch-style loader (held-out cells filtered out, seeded validation split;
// in memory when the data fit its budget), train, and export.

import type { AnnDataSource } from '../source/types.ts';
import { detectInputKind, heldOutPredicate, highlyVariableGenes, readCategorical, DatasetError, type Holdout, type InputKind } from './dataset.ts';
import { exportModel } from './export.ts';
import type { Backend } from './runtime.ts';
import { createTrainingControl } from './train/control.ts';
import { openTrainingLoaders } from './train/loader-batches.ts';
import { train, type Checkpoint, type Schedule, type StopReason, type TrainingEvent } from './train/train.ts';
import { ConfigError, makeConfig, type TrvaeConfig } from './trvae/config.ts';

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
  let heldOut = 0;
  if (options.holdout) {
    if (!options.cellTypeKey) throw new DatasetError('--holdout needs --cell-type-key');
    const cellTypes = await readCategorical(source, options.cellTypeKey, '--cell-type-key', options.signal);
    const isHeldOut = heldOutPredicate(conditions, cellTypes, options.holdout);
    for (let i = 0; i < source.nObs; i++) if (isHeldOut(i)) heldOut++;
    log(`held out ${heldOut} cells (${options.holdout.cellType} × ${options.holdout.condition})`);
  }
  const input = !options.input || options.input === 'auto' ? await detectInputKind(source, options.layer) : options.input;
  if (options.model?.recon === 'nb' && input !== 'counts') {
    throw new ConfigError(`recon 'nb' models raw counts, but ${options.layer ? `layer "${options.layer}"` : 'X'} holds log-normalised values (input ${options.input === 'log1p' ? 'log1p' : 'detected as log1p: not all integers'}); train on a raw-counts matrix (X or --layer NAME holding counts; --input counts) or use --recon sse/mse`);
  }
  log(`input: ${input === 'counts' ? 'raw counts (normalize_total 1e4 + log1p)' : 'log-normalised values (used as given)'}`);
  const genes = await highlyVariableGenes(source, options.nGenes, { input, layer: options.layer, signal: options.signal });
  log(`${genes.length} genes`);
  const varNames = await source.varNames();
  const config = makeConfig({ ...options.model, nGenes: genes.length, nConditions: conditions.categories.length });
  const loaders = await openTrainingLoaders(source, {
    conditionKey: options.conditionKey,
    genes,
    input,
    batchSize: config.batchSize,
    validationFraction: options.validationFraction,
    seed: config.seed,
    holdout: options.holdout && options.cellTypeKey ? { ...options.holdout, cellTypeKey: options.cellTypeKey } : undefined,
    layer: options.layer,
    signal: options.signal,
  });
  const started = performance.now();
  let result: Awaited<ReturnType<typeof train>>;
  try {
    if (loaders.sizes.train < config.batchSize) throw new DatasetError(`${loaders.sizes.train} training cells are fewer than one batch of ${config.batchSize}; lower --batch-size`);
    log(`${loaders.sizes.train} training cells, ${loaders.sizes.validation} validation cells${loaders.train.inMemory ? ' (in memory)' : ' (streamed)'}`);
    result = await train({
      config,
      schedule: options.schedule,
      backend: options.backend,
      batches: loaders.batches,
      validation: loaders.validationBatches,
      control: options.signal ? createTrainingControl(options.signal) : undefined,
      onEvent: options.onEvent,
    });
  } finally {
    await loaders.close();
  }
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
      trainingCells: loaders.sizes.train,
      validationCells: loaders.sizes.validation,
      heldOutCells: heldOut,
    },
  });
  return { files, checkpoint, stopReason: result.stopReason, message: result.message };
}
