// Training in a dedicated worker, driven through comlink: start (fresh or resumed from an OPFS
// checkpoint), pause, resume, cancel; a checkpoint is written to OPFS after every epoch.

import * as Comlink from 'comlink';
import { loadCheckpoint, saveCheckpoint } from '../src/model/train/checkpoint-file.ts';
import { createTrainingControl, type TrainingControl } from '../src/model/train/control.ts';
import { memoryBatches, splitRows, type InMemoryDataset } from '../src/model/train/memory-batches.ts';
import { train, type Schedule, type StopReason, type TrainingEvent } from '../src/model/train/train.ts';
import type { ModelState } from '../src/model/train/state.ts';
import { ort, type Backend } from '../src/model/runtime.ts';
import { makeConfig, type TrvaeConfig } from '../src/model/trvae/config.ts';

export interface WorkerTrainRequest {
  readonly dataset: InMemoryDataset;
  /** Model config without nGenes (taken from the dataset). */
  readonly config: Partial<TrvaeConfig> & Pick<TrvaeConfig, 'nConditions'>;
  readonly schedule?: Partial<Schedule>;
  readonly validationFraction?: number;
  readonly backend?: Backend;
  /** OPFS checkpoint name: written after every epoch; with `resume`, training continues from it. */
  readonly checkpointName?: string;
  readonly resume?: boolean;
  /** ONNX Runtime WASM threads (set before the first session of this worker). */
  readonly wasmThreads?: number;
}

export interface WorkerTrainResult {
  readonly stopReason: StopReason;
  readonly message?: string;
  readonly epoch: number;
  readonly state: ModelState;
  readonly history: Awaited<ReturnType<typeof train>>['checkpoint']['history'];
  readonly resumedFromEpoch?: number;
}

let control: TrainingControl | undefined;

const api = {
  async train(request: WorkerTrainRequest, onEvent?: (event: TrainingEvent) => void): Promise<WorkerTrainResult> {
    if (control) throw new Error('this worker is already training; cancel it first');
    if (request.wasmThreads !== undefined) ort.env.wasm.numThreads = request.wasmThreads;
    const config = makeConfig({ ...request.config, nGenes: request.dataset.nGenes });
    const resume = request.resume && request.checkpointName ? await loadCheckpoint(request.checkpointName) : undefined;
    if (request.resume && !resume) throw new Error(`no checkpoint named "${request.checkpointName}" to resume from`);
    const split = splitRows(request.dataset.conditions.length, request.validationFraction ?? 0, config.seed);
    control = createTrainingControl();
    try {
      const result = await train({
        config,
        schedule: request.schedule,
        backend: request.backend,
        resume,
        control,
        batches: (epoch) => memoryBatches(request.dataset, split.train, config.batchSize, { seed: config.seed, epoch }),
        validation: split.validation.length > 0 ? () => memoryBatches(request.dataset, split.validation, config.batchSize, undefined) : undefined,
        onEvent,
        onCheckpoint: request.checkpointName ? async (c) => void (await saveCheckpoint(request.checkpointName as string, c)) : undefined,
      });
      const { checkpoint } = result;
      return { stopReason: result.stopReason, message: result.message, epoch: checkpoint.epoch, state: checkpoint.state, history: checkpoint.history, resumedFromEpoch: resume?.epoch };
    } finally {
      control = undefined;
    }
  },
  pause: () => control?.pause(),
  resume: () => control?.resume(),
  cancel: () => control?.cancel(),
};

export type TrainWorkerApi = typeof api;

Comlink.expose(api);
