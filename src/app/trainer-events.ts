// What <trvae-trainer> tells its host: the DOM events (name → CustomEvent with its detail type, one
// map so host code is typed), the typed error its methods reject with, and the progress detail
// derived from the training worker's events.
import { TrvaeError } from '../errors.ts';
import type { PreparePhase } from '../model/pipeline.ts';
import type { EpochRecord, StopReason } from '../model/train/train.ts';
import type { TrainWorkerEvent } from '../model/train/worker-api.ts';
import type { AnnDataSource } from '../source/types.ts';
import { createRunClock, runRate, type RunClock } from './run-clock.ts';
import type { TrainedModel } from './train-panel.ts';

export type TrainerErrorCode =
  /** An attribute's value is not valid for its option, or does not fit the open dataset (see `problems`). */
  | 'invalid-configuration'
  /** The dataset could not be opened (the message says why: CORS, not found, not AnnData, …). */
  | 'open-failed'
  /** train() or exportModel() with no dataset open / no trained model yet. */
  | 'no-dataset'
  | 'no-model'
  /** train() while a run is in progress. */
  | 'busy'
  /** The run failed (worker error, data error) or was cancelled before it had a model. */
  | 'training-failed'
  | 'cancelled'
  /** A loss became NaN/Inf: the run stopped (the message names the term and the step). */
  | 'non-finite';

export class TrainerError extends TrvaeError {
  override readonly name = 'TrainerError';
  constructor(
    readonly code: TrainerErrorCode,
    message: string,
    /** For 'invalid-configuration': each attribute value that was not used, and why. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export type ProgressPhase = PreparePhase | 'training' | 'computing results';

export interface TrainerProgress {
  readonly phase: ProgressPhase;
  /** Preparation phases: cells done of the total (0 of 1 when the phase has no count). */
  readonly done?: number;
  readonly total?: number;
  /** Training: the epoch running (1-based) of all, the optimiser step of all. */
  readonly epoch?: number;
  readonly epochs?: number;
  readonly step?: number;
  readonly steps?: number;
  /** From the steps of this run over their wall time (graph building excluded; a pause counts), once a step is timed. */
  readonly cellsPerSecond?: number;
  readonly etaSeconds?: number;
}

export interface TrainerEpoch {
  /** The finished epoch's record (losses of training and validation, learning rate, timing); `record.epoch` is 0-based. */
  readonly record: EpochRecord;
  readonly epochs: number;
}

export interface TrainerDone {
  readonly model: TrainedModel;
  readonly stopReason: Exclude<StopReason, 'cancelled' | 'non-finite'>;
  /** Epochs trained, and the (0-based) epoch whose parameters are kept. */
  readonly epochs: number;
  readonly bestEpoch: number;
  /** Whether the results (latent space, held-out prediction) were computed, and the files exportModel() returns. */
  readonly hasResults: boolean;
  readonly files: readonly string[];
}

export interface TrainerCancelled {
  /** The model so far (kept; exportModel() returns it), or none when the run was cancelled while preparing. */
  readonly model?: TrainedModel;
  readonly epochs: number;
}

export interface TrainerErrorDetail {
  readonly code: TrainerErrorCode;
  readonly message: string;
  readonly problems: readonly string[];
  readonly error: TrainerError;
}

/** Every event <trvae-trainer> dispatches (CustomEvent, bubbles, composed), by name. */
export interface TrvaeTrainerEventMap {
  /** A dataset opened (the attributes' configuration is applied first). */
  opened: CustomEvent<AnnDataSource>;
  progress: CustomEvent<TrainerProgress>;
  epoch: CustomEvent<TrainerEpoch>;
  /** A run finished (completed, or stopped early with the best epoch's parameters). */
  done: CustomEvent<TrainerDone>;
  cancelled: CustomEvent<TrainerCancelled>;
  error: CustomEvent<TrainerErrorDetail>;
}

export type TrvaeTrainerEventName = keyof TrvaeTrainerEventMap;

/** Turns one run's worker events into progress details (undefined: nothing to tell). */
export function progressTracker(now: () => number = () => performance.now()): (event: TrainWorkerEvent) => TrainerProgress | undefined {
  let plan: Extract<TrainWorkerEvent, { kind: 'plan' }> | undefined;
  let first: { step: number; clock: RunClock } | undefined;
  return (event) => {
    switch (event.kind) {
      case 'phase':
        return { phase: event.phase, done: event.done, total: event.total };
      case 'plan':
        plan = event;
        return { phase: 'training', epoch: 1, epochs: event.epochs, step: 0, steps: event.epochs * event.stepsPerEpoch };
      case 'step': {
        if (!plan) return undefined;
        const steps = plan.epochs * plan.stepsPerEpoch;
        const at = now();
        // The first step's time is the start: building the graph and a resumed run's earlier steps do not count.
        first ??= { step: event.step, clock: createRunClock(at) };
        const { cellsPerSecond, etaSeconds } = runRate(first.clock, at, event.step - first.step, steps - event.step, plan.batchSize);
        return { phase: 'training', epoch: event.epoch + 1, epochs: plan.epochs, step: event.step, steps, ...(etaSeconds === undefined ? {} : { cellsPerSecond, etaSeconds }) };
      }
      default:
        return undefined;
    }
  };
}
