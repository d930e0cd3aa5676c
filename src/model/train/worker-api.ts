// The training worker's API (workers/train.worker.ts exposes it): open the dataset (URL or OPFS
// copy through read workers over the chunk cache; a dropped .h5ad in this worker), run the one
// training pipeline, checkpoint to OPFS after every epoch (resumable after a reload), and compute
// the results (embedding, held-out prediction, export) here, so the page only draws.

import * as Comlink from 'comlink';
import { requestComputeDevice } from '../../gpu/adapter.ts';
import { gpuHighlyVariableGenes } from '../../gpu/hvg.ts';
import { cacheSettings, spawnReadWorker } from '../../loader/read-workers.ts';
import { defaultWorkerCount, openPooledReader, type PooledReader } from '../../loader/pooled-reader.ts';
import { meteredReader, type ReadMeter } from '../../loader/read-meter.ts';
import type { CacheSettings, ReadWorkerInput } from '../../loader/read-worker.ts';
import { sourceRowReader } from '../../loader/row-reader.ts';
import type { TransferStats } from '../../loader/transfer.ts';
import { openSource } from '../../source/index.ts';
import type { AnnDataSource } from '../../source/types.ts';
import type { TrainingOptions } from '../options.ts';
import { exportRun, prepareTraining, runTraining, type GeneSelector, type PreparePhase } from '../pipeline.ts';
import { encodeDataset, shownCells, type DatasetLatent, type ShownCells } from '../dataset-latent.ts';
import { computeResults, loadResultsSample, predictPair, type PairProgress, type PairResult, type PredictionPair, type ResultsSample, type TrainingResults } from '../results.ts';
import { ort, type Backend } from '../runtime.ts';
import { transferables } from '../../rpc/transferables.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-file.ts';
import { createTrainingControl, type TrainingControl } from './control.ts';
import type { ModelState } from './state.ts';
import type { EpochRecord, StopReason, TrainingEvent } from './train.ts';
import type { TrvaeConfig } from '../trvae/config.ts';

/** A URL (zarr over HTTP), an OPFS copy, or a dropped .h5ad. */
export type TrainingSourceInput = ReadWorkerInput | Blob;

export interface TrainWorkerRequest {
  readonly source: TrainingSourceInput;
  readonly options: TrainingOptions;
  readonly backend?: Backend;
  /** OPFS checkpoint name: written after every epoch; with `resume`, training continues from it. */
  readonly checkpointName?: string;
  readonly resume?: boolean;
  /** ONNX Runtime WASM threads (set before the first session of this worker). */
  readonly wasmThreads?: number;
  /** Read workers for a zarr store (default max(1, min(4, cores − 1)); 0 reads here). */
  readonly readWorkers?: number;
  /** Chunk cache under the readers (default OPFS 'trvae-cache'); false disables it. */
  readonly cache?: CacheSettings | false;
  /** Results computed after training (default: up to 10,000 cells kept for predictions and shown); false: none. */
  readonly results?: { readonly maxCells?: number; readonly shownCells?: number } | false;
}

/** What the page is told while the run is prepared, then every training event. */
export type TrainWorkerEvent =
  | { readonly kind: 'phase'; readonly phase: PreparePhase | 'computing results'; readonly done: number; readonly total: number }
  | { readonly kind: 'plan'; readonly epochs: number; readonly stepsPerEpoch: number; readonly batchSize: number; readonly cells: { readonly train: number; readonly validation: number; readonly heldOut: number }; readonly inMemory: boolean; readonly genes: number; readonly log: readonly string[]; readonly lossWeights: Readonly<Record<string, number>> }
  /** The loader's reads so far (about once a second and after every epoch): cells and busy seconds, bytes by origin. */
  | { readonly kind: 'loader'; readonly read: ReadMeter; readonly transfer: TransferStats; readonly readWorkers: number }
  | TrainingEvent;

export interface TrainWorkerResult {
  readonly stopReason: StopReason;
  readonly message?: string;
  /** Epochs done (the next epoch to run). */
  readonly epoch: number;
  readonly config: TrvaeConfig;
  readonly state: ModelState;
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number;
  readonly resumedFromEpoch?: number;
  readonly geneNames: readonly string[];
  readonly conditions: readonly string[];
  /** The export: trvae_{encode,mmd,predict}.onnx and model.json. */
  readonly files: ReadonlyMap<string, Uint8Array | string>;
  readonly results?: TrainingResults;
}

async function openInput(input: TrainingSourceInput, readWorkers: number | undefined, cache: CacheSettings | false | undefined): Promise<{ source: AnnDataSource; pooled?: PooledReader; close(): Promise<void> }> {
  if (input instanceof Blob) {
    const source = await openSource(input);
    return { source, close: () => source.close() };
  }
  const pooled = await openPooledReader(input, { workers: readWorkers ?? defaultWorkerCount(), cache: cacheSettings(cache), spawnReadWorker: () => spawnReadWorker('training read') });
  return { source: pooled.source, pooled, close: () => pooled.close() };
}

/** Gene selection on the GPU: the streaming gene-moments kernel on a device of its own (ORT has none yet). */
const gpuGeneSelector: GeneSelector = async (source, nGenes, options) => {
  const device = await requestComputeDevice();
  try {
    return await gpuHighlyVariableGenes(device, source, nGenes, options);
  } finally {
    device.destroy();
  }
};

export function createTrainWorkerApi() {
  let control: TrainingControl | undefined;
  // The last run's kept cells, every cell's latent values and the model: other pairs' predictions and
  // other samples of the embedding are computed from them on demand.
  let held: { readonly sample: ResultsSample; readonly dataset: DatasetLatent; readonly config: TrvaeConfig; readonly state: ModelState } | undefined;
  return {
    async train(request: TrainWorkerRequest, onEvent?: (event: TrainWorkerEvent) => void): Promise<TrainWorkerResult> {
      if (control) throw new Error('this worker is already training; cancel it first');
      if (request.wasmThreads !== undefined) ort.env.wasm.numThreads = request.wasmThreads;
      const emit = onEvent ?? (() => {});
      const resume = request.resume && request.checkpointName ? await loadCheckpoint(request.checkpointName) : undefined;
      if (request.resume && !resume) throw new Error(`no checkpoint named "${request.checkpointName}" to resume from`);
      control = createTrainingControl();
      const opened = await openInput(request.source, request.readWorkers, request.cache);
      try {
        const log: string[] = [];
        const { options } = request;
        // On WebGPU (chosen for a real adapter) the moments pass over every cell runs on the GPU too.
        const onGpu = request.backend === 'webgpu';
        const reader = meteredReader(opened.pooled?.reader ?? sourceRowReader(opened.source));
        let loaderShown = 0;
        const emitLoader = () => {
          loaderShown = performance.now();
          emit({ kind: 'loader', read: reader.meter(), transfer: reader.transfer(), readWorkers: opened.pooled?.workers ?? 0 });
        };
        if (onGpu) log.push('highly variable genes selected on the GPU (gene-moments kernel)');
        const plan = await prepareTraining(opened.source, options, {
          selectGenes: onGpu ? gpuGeneSelector : undefined,
          signal: control.signal,
          reader,
          onLog: (line) => log.push(line),
          onPhase: (phase, done, total) => emit({ kind: 'phase', phase, done, total }),
        });
        let run;
        try {
          emit({ kind: 'plan', epochs: plan.schedule.epochs, stepsPerEpoch: plan.stepsPerEpoch, batchSize: plan.config.batchSize, cells: plan.cells, inMemory: plan.inMemory, genes: plan.genes.length, log,
            lossWeights: { recon: plan.config.eta, kl: plan.config.alpha, mmd: plan.config.beta } });
          run = await runTraining(plan, {
            backend: request.backend,
            resume,
            control,
            onEvent: (e) => {
              emit(e);
              if (e.kind === 'epoch' || performance.now() - loaderShown > 1000) emitLoader();
            },
            onCheckpoint: request.checkpointName ? async (c) => void (await saveCheckpoint(request.checkpointName as string, c)) : undefined,
          });
        } finally {
          await plan.close();
        }
        const { checkpoint } = run;
        // An untrained model has nothing to show: results only after at least one finished epoch.
        held = undefined;
        let results: TrainingResults | undefined;
        if (request.results !== false && checkpoint.history.length > 0 && run.stopReason !== 'non-finite') {
          // A cancelled run keeps its model, so its results are computed under a fresh control; a second
          // cancel stops them and the run ends without results.
          if (run.stopReason === 'cancelled') control = createTrainingControl();
          const { signal } = control;
          const resultsOptions = {
            maxCells: request.results?.maxCells,
            shownCells: request.results?.shownCells,
            seed: checkpoint.config.seed,
            signal,
            onProgress: (done: number, total: number) => emit({ kind: 'phase', phase: 'computing results', done, total }),
          };
          try {
            const sample = await loadResultsSample(opened.source, plan, resultsOptions);
            const dataset = await encodeDataset(opened.source, plan, checkpoint.config, checkpoint.state, resultsOptions);
            results = await computeResults(opened.source, plan, checkpoint.config, checkpoint.state, { ...resultsOptions, sample, dataset });
            held = { sample, dataset, config: checkpoint.config, state: checkpoint.state };
          } catch (error) {
            if (!signal.aborted) throw error;
            results = undefined;
          }
        }
        const files = new Map([...exportRun(plan, run), ...(results?.files ?? [])]);
        // The files and results move to the page (tens of MB: transferred, not copied, so their
        // arrival does not hold the page); the state is copied, as this worker keeps it for predictions.
        const moved = transferables([[...files.values()], results && { embedding: results.embedding, latent: results.latent, obs: results.obs }]);
        return Comlink.transfer({
          stopReason: run.stopReason,
          message: run.message,
          epoch: checkpoint.epoch,
          config: checkpoint.config,
          state: checkpoint.state,
          history: checkpoint.history,
          bestEpoch: checkpoint.best.epoch,
          resumedFromEpoch: resume?.epoch,
          geneNames: plan.geneNames,
          conditions: plan.conditions.categories,
          files,
          results,
        }, moved);
      } finally {
        control = undefined;
        await opened.close();
      }
    },
    pause: () => control?.pause(),
    resume: () => control?.resume(),
    cancel: () => control?.cancel(),
    /** A pair's counterfactual from the last run's shown cells and model (see results.ts predictPair). */
    async predict(pair: PredictionPair, onProgress?: PairProgress): Promise<PairResult> {
      if (!held) throw new Error('this worker holds no trained model: predictions need a finished run with results');
      // On the CPU, as the results above (computeResults' default backend).
      return predictPair(held.sample, held.config, held.state, pair, undefined, onProgress);
    },
    /** Another sample of the last run's latent space for the embedding view: the first `count` of its random order (at most maxShownCells). */
    showCells(count: number): ShownCells {
      if (!held) throw new Error('this worker holds no trained model: the embedding needs a finished run with results');
      const shown = shownCells(held.dataset, count);
      return Comlink.transfer(shown, transferables([shown]));
    },
  };
}

export type TrainWorkerApi = ReturnType<typeof createTrainWorkerApi>;
