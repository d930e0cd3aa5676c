// The training loop: epochs of batches through the step runner, validation, early stopping,
// reduce-LR-on-plateau, KL warm-up, NaN/Inf detection, pause/resume/cancel, progress events and
// resumable checkpoints at epoch boundaries.

import type { TrainingBatch } from '../batch.ts';
import type { ModelConfig } from '../definition.ts';
import { modelDefinition } from '../models.ts';
import { cpuBackend, type Backend } from '../runtime.ts';
import { yieldToEventLoop, type TrainingControl } from './control.ts';
import { createEvaluator } from './evaluate-loss.ts';
import { initialModelState, type ModelState } from './state.ts';
import { createStepBatchBuilder } from './step-batches.ts';
import { createStepRunner, NonFiniteLossError, type LossValues, type StepFeeds, type StepRunnerFactory } from './step-runner.ts';

export interface Schedule {
  readonly epochs: number;
  /** Stop when the monitored loss has not improved for this many epochs (0 = never). Default 20. */
  readonly earlyStoppingPatience: number;
  /** Multiply the learning rate by `lrFactor` after this many epochs without improvement (0 = never). Default 10. */
  readonly lrPatience: number;
  readonly lrFactor: number;
  readonly minLearningRate: number;
  /** alpha ramps linearly from alpha/klWarmupEpochs to alpha over this many epochs (0 = off). */
  readonly klWarmupEpochs: number;
  /** Read the loss scalars every this many steps (and at the last step of an epoch). */
  readonly lossEvery: number;
  /** Restore the parameters of the best epoch when training ends (Keras' restore_best_weights). */
  readonly restoreBest: boolean;
}

// Training to convergence: early stopping on the validation loss with the best epoch's parameters
// restored; the LR is reduced only after a long plateau (a short patience stalls small, noisy runs).
// The number of epochs is chosen from a target number of steps by the pipeline (src/model/options.ts).
export const defaultSchedule: Schedule = {
  epochs: 100,
  earlyStoppingPatience: 50,
  lrPatience: 25,
  lrFactor: 0.1,
  minLearningRate: 1e-7,
  klWarmupEpochs: 0,
  lossEvery: 10,
  restoreBest: true,
};

export interface EpochRecord {
  readonly epoch: number;
  readonly learningRate: number;
  readonly alpha: number;
  /** Mean of the losses read during the epoch. */
  readonly train: LossValues;
  readonly validation?: LossValues;
  readonly steps: number;
  /** Wall time of the epoch, validation included. */
  readonly seconds: number;
  /** Of `seconds`, the time the trainer spent with no step to run, waiting for the next training batch. */
  readonly waitSeconds: number;
}

/** Everything needed to continue training exactly where it stopped. */
export interface Checkpoint {
  /** The model's configuration; `config.model` names the model. */
  readonly config: ModelConfig;
  readonly schedule: Schedule;
  readonly state: ModelState;
  /** The next epoch to run. */
  readonly epoch: number;
  readonly learningRate: number;
  readonly best: { readonly monitor: number; readonly epoch: number; readonly sinceImprovement: number; readonly sinceLrChange: number };
  readonly history: readonly EpochRecord[];
}

export type TrainingEvent =
  | { readonly kind: 'step'; readonly epoch: number; readonly step: number; readonly losses?: LossValues }
  | { readonly kind: 'epoch'; readonly record: EpochRecord }
  | { readonly kind: 'lr'; readonly epoch: number; readonly learningRate: number }
  | { readonly kind: 'skipped-batch'; readonly epoch: number; readonly rows: number };

export type StopReason = 'completed' | 'early-stopping' | 'cancelled' | 'non-finite';

export interface TrainResult {
  readonly stopReason: StopReason;
  readonly message?: string;
  readonly checkpoint: Checkpoint;
  /** Wall time of this call and, of it, the time spent waiting for training batches. */
  readonly seconds: number;
  readonly waitSeconds: number;
}

export interface TrainOptions {
  /** The model and its hyperparameters: `model: 'scgen'` trains scGen, absent or 'trvae' trVAE (CVAE: beta 0). */
  readonly config: ModelConfig;
  readonly schedule?: Partial<Schedule>;
  readonly backend?: Backend;
  /**
   * Where steps run: this thread by default; in Node, a worker thread (createNodeStepRunner), so the
   * loader works while onnxruntime-node runs a step (on 2 cores the threads then share the cores:
   * less waiting, but no more cells/s, bench:loader-wait).
   */
  readonly stepRunner?: StepRunnerFactory;
  /**
   * Training batches of one epoch (deterministic in `epoch` for resumable runs). Only full batches are
   * used. Pool batches (CSR rows) are normalised by the WGSL kernels on the WebGPU EP.
   */
  readonly batches: (epoch: number) => AsyncIterable<TrainingBatch>;
  /** Validation batches; the monitored loss is their mean total loss (else the training loss). */
  readonly validation?: () => AsyncIterable<TrainingBatch>;
  /** Continue from a checkpoint: its config is used; `schedule` entries given here override its schedule (e.g. more epochs). */
  readonly resume?: Checkpoint;
  readonly control?: TrainingControl;
  readonly onEvent?: (event: TrainingEvent) => void;
  /** Called after every epoch, e.g. to write the checkpoint to OPFS. */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => Promise<void> | void;
}

function meanLosses(terms: readonly string[], list: readonly LossValues[]): LossValues {
  return Object.fromEntries(terms.map((t) => [t, list.length ? list.reduce((s, l) => s + l[t], 0) / list.length : Number.NaN]));
}

/**
 * `source`'s items, reporting for each the seconds spent awaiting it while the trainer had no step
 * to run: `idleSince()` is when the trainer last fell idle (undefined while a step runs), so time
 * a batch took to arrive while a step ran in another thread is not waiting.
 */
async function* timed<T>(source: AsyncIterable<T>, idleSince: () => number | undefined, onWait: (seconds: number) => void): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const started = performance.now();
      const item = await iterator.next();
      const idle = idleSince();
      if (idle !== undefined) onWait(Math.max(0, performance.now() - Math.max(started, idle)) / 1000);
      if (item.done) {
        done = true;
        return;
      }
      yield item.value;
    }
  } finally {
    // As for-await: an iterator left early is closed.
    if (!done) await iterator.return?.();
  }
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const resume = options.resume;
  const config = resume?.config ?? options.config;
  const lossTerms = modelDefinition(config).lossTerms;
  const runStarted = performance.now();
  let runWaitSeconds = 0;
  const schedule: Schedule = { ...defaultSchedule, ...resume?.schedule, ...options.schedule };
  const backend = options.backend ?? cpuBackend;
  const runner = await (options.stepRunner ?? createStepRunner)(config, resume?.state ?? initialModelState(config), backend);
  // After the runner: on WebGPU its session settles the device the batch kernels run on.
  const stepBatches = createStepBatchBuilder(config, backend);
  const evaluator = options.validation ? await createEvaluator(config, backend) : undefined;
  const history: EpochRecord[] = [...(resume?.history ?? [])];
  let learningRate = resume?.learningRate ?? config.learningRate;
  let best = resume?.best ?? { monitor: Number.POSITIVE_INFINITY, epoch: -1, sinceImprovement: 0, sinceLrChange: 0 };
  let bestState: ModelState | undefined;
  let epoch = resume?.epoch ?? 0;
  const signal = options.control?.signal;
  const emit = options.onEvent ?? (() => {});

  const checkpoint = async (nextEpoch: number): Promise<Checkpoint> => ({
    config, schedule, state: await runner.state(), epoch: nextEpoch, learningRate, best, history: [...history],
  });
  const release = async () => {
    stepBatches.release();
    await runner.release();
    await evaluator?.release();
  };
  const finish = async (stopReason: StopReason, nextEpoch: number, message?: string): Promise<TrainResult> => {
    let result: Checkpoint = await checkpoint(nextEpoch);
    if (schedule.restoreBest && bestState) result = { ...result, state: { ...bestState, step: result.state.step } };
    await release();
    return { stopReason, message, checkpoint: result, seconds: (performance.now() - runStarted) / 1000, waitSeconds: runWaitSeconds };
  };

  try {
    for (; epoch < schedule.epochs; epoch++) {
      const started = performance.now();
      const alpha = schedule.klWarmupEpochs > 0 ? config.alpha * Math.min(1, (epoch + 1) / schedule.klWarmupEpochs) : config.alpha;
      const hyper = { learningRate, alpha, beta: config.beta, eta: config.eta };
      const read: LossValues[] = [];
      let steps = 0;
      // A batch built and waiting for its step (one batch of look-ahead, so that the epoch's last
      // step always reads its losses), and the step submitted last, until it has settled.
      let pending: StepFeeds | undefined;
      let inFlight: Promise<void> | undefined;
      let idleSince: number | undefined = performance.now();
      let nextStep = runner.step;
      let waitSeconds = 0;
      const onWait = (seconds: number) => {
        waitSeconds += seconds;
        runWaitSeconds += seconds;
      };
      const settle = async () => {
        const step = inFlight;
        inFlight = undefined;
        await step;
      };
      const submit = async (isLast: boolean) => {
        if (!pending) return;
        await settle();
        const readNow = isLast || (runner.step + 1) % schedule.lossEvery === 0;
        const batch = pending;
        pending = undefined;
        idleSince = undefined;
        inFlight = runner.run(batch, hyper, readNow)
          .finally(() => (idleSince = performance.now()))
          .then((losses) => {
            steps++;
            if (losses) read.push(losses);
            emit({ kind: 'step', epoch, step: runner.step, losses });
          });
        // settle() rethrows its error; this only keeps a run that ends by another error meanwhile
        // (the loader's) from leaving the step's rejection unhandled
        inFlight.catch(() => {});
        // A runner that has not copied the batch yet still reads its buffers: the next batch is
        // built into them only once the step is done.
        if (!runner.copiesBatch) await settle();
      };
      for await (const raw of timed(options.batches(epoch), () => idleSince, onWait)) {
        if (raw.conditions.length !== config.batchSize) {
          emit({ kind: 'skipped-batch', epoch, rows: raw.conditions.length });
          continue;
        }
        await submit(false);
        if (options.control) {
          await yieldToEventLoop();
          await options.control.whilePaused();
        }
        // A cancelled epoch is not finished: resuming from this result repeats it.
        if (signal?.aborted) {
          await settle();
          return await finish('cancelled', epoch, `cancelled during epoch ${epoch}`);
        }
        // This batch's step (its noise key): the one submitted before it may still be running.
        pending = await stepBatches.build(raw, nextStep++);
      }
      await submit(true);
      await settle();
      if (steps === 0) throw new Error(`epoch ${epoch} had no full batch of ${config.batchSize} cells; lower the batch size or add data`);
      const validation = evaluator && options.validation ? await evaluator.evaluate(await runner.state(), options.validation(), hyper) : undefined;
      const record: EpochRecord = {
        epoch, learningRate, alpha, train: meanLosses(lossTerms, read), validation, steps, seconds: (performance.now() - started) / 1000, waitSeconds,
      };
      history.push(record);
      emit({ kind: 'epoch', record });
      const monitor = (validation ?? record.train).total;
      if (monitor < best.monitor) {
        best = { monitor, epoch, sinceImprovement: 0, sinceLrChange: 0 };
        if (schedule.restoreBest) bestState = await runner.state();
      } else {
        best = { ...best, sinceImprovement: best.sinceImprovement + 1, sinceLrChange: best.sinceLrChange + 1 };
      }
      if (schedule.lrPatience > 0 && best.sinceLrChange >= schedule.lrPatience && learningRate > schedule.minLearningRate) {
        learningRate = Math.max(schedule.minLearningRate, learningRate * schedule.lrFactor);
        best = { ...best, sinceLrChange: 0 };
        emit({ kind: 'lr', epoch, learningRate });
      }
      await options.onCheckpoint?.(await checkpoint(epoch + 1));
      if (schedule.earlyStoppingPatience > 0 && best.sinceImprovement >= schedule.earlyStoppingPatience) {
        return await finish('early-stopping', epoch + 1, `no improvement for ${best.sinceImprovement} epochs (best epoch ${best.epoch})`);
      }
    }
    return await finish('completed', epoch);
  } catch (e) {
    if (e instanceof NonFiniteLossError) return await finish('non-finite', epoch, e.message);
    await release();
    throw e;
  }
}
