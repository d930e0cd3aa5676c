// The one way to train, shared by the CLI, the training worker (app and element), the benchmarks and
// the tests: source → conditions → held-out pair → gene selection → config → batches (in memory when
// they fit, else streamed through the out-of-core loader) → train → export.

import type { RowReader } from '../loader/row-reader.ts';
import type { AnnDataSource } from '../source/types.ts';
import { detectInputKind, heldOutPredicate, highlyVariableGenes, parseHoldout, readCategorical, DatasetError, type CategoricalColumn, type Holdout, type InputKind, type LoadOptions } from './dataset.ts';
import { exportModel } from './export.ts';
import { resolveEpochs, type TrainingOptions } from './options.ts';
import type { Backend } from './runtime.ts';
import type { TrainingControl } from './train/control.ts';
import { openTrainingLoaders } from './train/loader-batches.ts';
import { train, type Checkpoint, type Schedule, type TrainingEvent, type TrainOptions, type TrainResult } from './train/train.ts';
import { ConfigError, makeConfig, type TrvaeConfig } from './trvae/config.ts';

export type PreparePhase = 'reading obs' | 'selecting genes' | 'opening the loader';

/** Gene selection: var indices of the top `nGenes` highly variable genes, in var order. */
export type GeneSelector = (source: AnnDataSource, nGenes: number, options: LoadOptions) => Promise<Int32Array>;

export interface PrepareEnvironment {
  readonly signal?: AbortSignal;
  /** One line per decision (held-out cells, input kind, genes, split), for a log or a status line. */
  readonly onLog?: (line: string) => void;
  readonly onPhase?: (phase: PreparePhase, done: number, total: number) => void;
  /** How the genes are chosen (default: the CPU seurat HVG pass; on WebGPU the WGSL moments kernel). */
  readonly selectGenes?: GeneSelector;
  /** Genes fixed beforehand (e.g. a resumed run's), skipping the selection. */
  readonly genes?: Int32Array;
  /** Where the loader reads pools (e.g. read workers over the chunk cache); default the source. */
  readonly reader?: RowReader;
}

export interface CellCounts {
  readonly train: number;
  readonly validation: number;
  readonly heldOut: number;
  /** Cells whose condition is missing: they cannot be one-hot encoded and are left out. */
  readonly withoutCondition: number;
}

/** Everything decided before the first step, and the batches. */
export interface TrainingPlan {
  readonly options: TrainingOptions;
  readonly config: TrvaeConfig;
  /** The schedule with the epochs resolved (auto → from the target steps). */
  readonly schedule: Partial<Schedule> & { readonly epochs: number };
  readonly stepsPerEpoch: number;
  readonly input: InputKind;
  /** Var indices of the model's genes, in model order, and their names. */
  readonly genes: Int32Array;
  readonly geneNames: readonly string[];
  readonly conditions: CategoricalColumn;
  readonly cellTypes?: CategoricalColumn;
  readonly holdout?: Holdout;
  readonly cells: CellCounts;
  readonly inMemory: boolean;
  readonly batches: TrainOptions['batches'];
  readonly validation?: TrainOptions['validation'];
  close(): Promise<void>;
}

export async function prepareTraining(source: AnnDataSource, options: TrainingOptions, env: PrepareEnvironment = {}): Promise<TrainingPlan> {
  const log = env.onLog ?? (() => {});
  const { signal } = env;
  env.onPhase?.('reading obs', 0, 1);
  const conditions = await readCategorical(source, options.conditionKey, '--condition-key', signal);
  if (conditions.categories.length < 2) {
    throw new DatasetError(`--condition-key: obs column "${options.conditionKey}" has ${conditions.categories.length} category (${conditions.categories.join(', ')}); trVAE needs at least 2 conditions`);
  }
  const holdout = options.holdout !== undefined ? parseHoldout(options.holdout) : undefined;
  if (holdout && !options.cellTypeKey) throw new ConfigError('--holdout needs --cell-type-key');
  const cellTypes = options.cellTypeKey ? await readCategorical(source, options.cellTypeKey, '--cell-type-key', signal) : undefined;
  const isHeldOut = holdout && cellTypes ? heldOutPredicate(conditions, cellTypes, holdout) : () => false;
  let heldOut = 0;
  let withoutCondition = 0;
  const perCondition = new Array<number>(conditions.categories.length).fill(0);
  for (let row = 0; row < source.nObs; row++) {
    const code = conditions.codes[row];
    if (code < 0) withoutCondition++;
    else if (isHeldOut(row)) heldOut++;
    else perCondition[code]++;
  }
  if (withoutCondition > 0) log(`${withoutCondition} cells have no "${options.conditionKey}" value and are left out`);
  if (holdout) log(`held out ${heldOut} cells (${holdout.cellType} × ${holdout.condition}) from training and validation`);
  const empty = perCondition.findIndex((n) => n === 0);
  if (empty >= 0) {
    throw new DatasetError(`condition "${conditions.categories[empty]}" has no training cells${holdout ? ` once ${holdout.cellType} × ${holdout.condition} is held out` : ''}; every condition needs cells to learn from`);
  }
  const trainable = perCondition.reduce((a, b) => a + b, 0);

  const input = options.input === 'auto' ? await detectInputKind(source, options.layer) : options.input;
  if (options.recon === 'nb' && input !== 'counts') {
    throw new ConfigError(`recon 'nb' models raw counts, but ${options.layer ? `layer "${options.layer}"` : 'X'} holds log-normalised values (input ${options.input === 'log1p' ? 'log1p' : 'detected as log1p: not all integers'}); train on a raw-counts matrix (X or --layer NAME holding counts; --input counts) or use --recon sse/mse`);
  }
  log(`input: ${input === 'counts' ? 'raw counts (normalize_total 1e4 + log1p)' : 'log-normalised values (used as given)'}${options.layer ? ` from layer "${options.layer}"` : ''}`);

  let genes = env.genes;
  if (!genes) {
    const nGenes = Math.min(options.genes, source.nVars);
    env.onPhase?.('selecting genes', 0, source.nObs);
    genes = await (env.selectGenes ?? highlyVariableGenes)(source, nGenes, {
      input, layer: options.layer, signal, onProgress: (_phase, done, total) => env.onPhase?.('selecting genes', done, total),
    });
  }
  const varNames = await source.varNames();
  const geneNames = Array.from(genes, (g) => varNames[g]);
  log(`${genes.length} genes${env.genes ? ' (given)' : ' (highly variable)'}`);

  // Small data still get full batches: the batch never exceeds the expected training cells.
  const expectedTrain = Math.floor(trainable * (1 - options.validation));
  if (expectedTrain < 2) throw new DatasetError(`only ${expectedTrain} cells are left for training after the held-out pair and the validation split`);
  const batchSize = Math.min(options.batchSize, expectedTrain);
  if (batchSize < options.batchSize) log(`batch size lowered to ${batchSize}: there are only about ${expectedTrain} training cells`);
  const config = makeConfig({
    nGenes: genes.length,
    nConditions: conditions.categories.length,
    hidden: options.hidden,
    latent: options.latent,
    dropout: options.dropout,
    alpha: options.alpha,
    beta: options.beta,
    eta: options.eta,
    recon: options.recon,
    model: options.model,
    learningRate: options.lr,
    batchSize,
    seed: options.seed,
  });

  env.onPhase?.('opening the loader', 0, 1);
  // The signal cancels opening (an in-memory load reads everything) but not the epochs' reads: a
  // cancelled run ends at the next step boundary with its state kept (train() checks the control),
  // and closing the plan stops the loader. An abort inside an epoch's read would lose the run.
  const opening = new AbortController();
  const forward = () => opening.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  const loaders = await openTrainingLoaders(source, {
    conditionKey: options.conditionKey,
    genes,
    input,
    batchSize: config.batchSize,
    validationFraction: options.validation,
    seed: config.seed,
    holdout: holdout && options.cellTypeKey ? { ...holdout, cellTypeKey: options.cellTypeKey } : undefined,
    layer: options.layer,
    memoryBudgetBytes: options.memoryMb * 2 ** 20,
    balanceConditions: options.balance === 'conditions',
    counts: options.recon === 'nb', // the NB loss reads raw counts and library sizes
    reader: env.reader,
    signal: opening.signal,
  }).finally(() => signal?.removeEventListener('abort', forward));
  if (loaders.sizes.train < config.batchSize) {
    await loaders.close();
    throw new DatasetError(`${loaders.sizes.train} training cells are fewer than one batch of ${config.batchSize}; lower --batch-size`);
  }
  const stepsPerEpoch = Math.floor(loaders.sizes.train / config.batchSize);
  const epochs = resolveEpochs(options, stepsPerEpoch);
  log(`${loaders.sizes.train} training cells, ${loaders.sizes.validation} validation cells (${loaders.train.inMemory ? 'in memory' : 'streamed'}${options.balance === 'conditions' ? ', condition-balanced batches' : ''}); ${epochs} epochs × ${stepsPerEpoch} steps${options.epochs === 'auto' ? ` (auto: ~${options.steps} steps)` : ''}, early stopping after ${options.patience} epochs without improvement`);
  return {
    options,
    config,
    schedule: { epochs, earlyStoppingPatience: options.patience, lrPatience: options.lrPatience, klWarmupEpochs: options.klWarmup },
    stepsPerEpoch,
    input,
    genes,
    geneNames,
    conditions,
    cellTypes,
    holdout,
    cells: { train: loaders.sizes.train, validation: loaders.sizes.validation, heldOut, withoutCondition },
    inMemory: loaders.train.inMemory,
    batches: loaders.batches,
    validation: loaders.validationBatches,
    close: () => loaders.close(),
  };
}

export interface RunOptions {
  readonly backend?: Backend;
  readonly stepRunner?: TrainOptions['stepRunner'];
  readonly resume?: Checkpoint;
  readonly control?: TrainingControl;
  readonly onEvent?: (event: TrainingEvent) => void;
  readonly onCheckpoint?: TrainOptions['onCheckpoint'];
}

/** A finished run: its stop reason, checkpoint (the best epoch's parameters), time and time waiting for batches. */
export type TrainedRun = TrainResult;

/** Trains on a plan's batches with its config and schedule. */
export async function runTraining(plan: TrainingPlan, run: RunOptions = {}): Promise<TrainedRun> {
  return train({
    config: plan.config,
    schedule: plan.schedule,
    backend: run.backend,
    stepRunner: run.stepRunner,
    resume: run.resume,
    control: run.control,
    batches: plan.batches,
    validation: plan.validation,
    onEvent: run.onEvent,
    onCheckpoint: run.onCheckpoint,
  });
}

/** The export (ONNX graphs + model.json) of a trained run, with its metrics. */
export function exportRun(plan: TrainingPlan, run: TrainedRun): Map<string, Uint8Array | string> {
  const { checkpoint } = run;
  const last = checkpoint.history[checkpoint.history.length - 1];
  const best = checkpoint.best.epoch;
  return exportModel(checkpoint.config, checkpoint.state, {
    genes: plan.geneNames,
    conditions: plan.conditions.categories,
    conditionKey: plan.options.conditionKey,
    cellTypeKey: plan.options.cellTypeKey,
    holdout: plan.holdout,
    input: plan.input,
    layer: plan.options.layer,
    history: checkpoint.history,
    metrics: {
      stopReason: run.stopReason,
      ...(run.message ? { message: run.message } : {}),
      epochs: checkpoint.history.length,
      bestEpoch: best >= 0 ? best + 1 : undefined,
      steps: checkpoint.state.step,
      seconds: run.seconds,
      waitingForBatchesFraction: run.seconds > 0 ? run.waitSeconds / run.seconds : 0,
      cellsPerSecond: (checkpoint.state.step * checkpoint.config.batchSize) / run.seconds,
      finalTrainLoss: last?.train,
      finalValidationLoss: last?.validation,
      trainingCells: plan.cells.train,
      validationCells: plan.cells.validation,
      heldOutCells: plan.cells.heldOut,
      cellsWithoutCondition: plan.cells.withoutCondition,
    },
  });
}

/** prepare → train → export in one call (CLI, benchmarks, tests); the batches are closed after training. */
export async function trainSource(source: AnnDataSource, options: TrainingOptions, env: PrepareEnvironment & RunOptions = {}): Promise<{ plan: TrainingPlan; run: TrainedRun; files: Map<string, Uint8Array | string> }> {
  const plan = await prepareTraining(source, options, env);
  let run: TrainedRun;
  try {
    run = await runTraining(plan, env);
  } finally {
    await plan.close();
  }
  return { plan, run, files: exportRun(plan, run) };
}
