// Training in a dedicated worker, driven through comlink: start (fresh or resumed from an OPFS
// checkpoint), pause, resume, cancel; a checkpoint is written to OPFS after every epoch. Data come
// from an in-memory dataset or from an AnnData source (URL or dropped .h5ad) through the loader.

import * as Comlink from 'comlink';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { defaultWorkerCount, openPooledReader, type PooledReader } from '../src/loader/pooled-reader.ts';
import type { CacheSettings, ReadWorkerApi, ReadWorkerInput } from '../src/loader/read-worker.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/model/train/checkpoint-file.ts';
import { createTrainingControl, type TrainingControl } from '../src/model/train/control.ts';
import { memoryBatches, splitRows, type InMemoryDataset } from '../src/model/train/memory-batches.ts';
import { train, type Schedule, type StopReason, type TrainingEvent, type TrainOptions } from '../src/model/train/train.ts';
import { openTrainingLoaders } from '../src/model/train/loader-batches.ts';
import { detectInputKind, highlyVariableGenes, type Holdout, type InputKind } from '../src/model/dataset.ts';
import { openSource } from '../src/source/index.ts';
import type { ModelState } from '../src/model/train/state.ts';
import { ort, type Backend } from '../src/model/runtime.ts';
import { makeConfig, type TrvaeConfig } from '../src/model/trvae/config.ts';

/** An AnnData read through the loader (out of core): a URL or a dropped .h5ad File/Blob. */
export interface WorkerSourceData {
  readonly source: string | Blob | { readonly opfs: string };
  readonly conditionKey: string;
  readonly holdout?: Holdout & { readonly cellTypeKey: string };
  /** Var indices of the genes to train on (e.g. from the GPU HVG kernels); else the top `nGenes` HVGs. */
  readonly genes?: Int32Array;
  readonly nGenes?: number;
  readonly input?: InputKind;
  readonly layer?: string;
  /**
   * Read workers for a zarr store (URL or OPFS copy), each reading through the chunk cache; default
   * max(1, min(4, cores − 1)); 0 reads in this worker. A dropped .h5ad is always read here.
   */
  readonly readWorkers?: number;
  /** Chunk cache under the readers (default OPFS 'trvae-cache', 2 GiB); false disables it. */
  readonly cache?: CacheSettings | false;
}

export interface WorkerTrainRequest {
  /** An in-memory dataset, or an AnnData source streamed through the loader. */
  readonly dataset: InMemoryDataset | WorkerSourceData;
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
  /** Var indices of the genes trained on (source data). */
  readonly genes?: Int32Array;
}

// Obs, metadata and (without read workers) X are decoded in this thread: use the fast blosc codec.
installFastBlosc();

function openPooledZarr(input: ReadWorkerInput, data: WorkerSourceData): Promise<PooledReader> {
  return openPooledReader(input, {
    workers: data.readWorkers ?? defaultWorkerCount(),
    cache: data.cache === false ? undefined : (data.cache ?? { kind: 'opfs', location: 'trvae-cache' }),
    spawnReadWorker: () => {
      const worker = new Worker(new URL('./loader-read.worker.ts', import.meta.url), { type: 'module', name: 'training read' });
      return { api: Comlink.wrap<ReadWorkerApi>(worker), terminate: () => worker.terminate() };
    },
  });
}

let control: TrainingControl | undefined;

const api = {
  async train(request: WorkerTrainRequest, onEvent?: (event: TrainingEvent) => void): Promise<WorkerTrainResult> {
    if (control) throw new Error('this worker is already training; cancel it first');
    if (request.wasmThreads !== undefined) ort.env.wasm.numThreads = request.wasmThreads;
    const resume = request.resume && request.checkpointName ? await loadCheckpoint(request.checkpointName) : undefined;
    if (request.resume && !resume) throw new Error(`no checkpoint named "${request.checkpointName}" to resume from`);
    control = createTrainingControl();
    const data = request.dataset;
    let close = async () => {};
    try {
      let config: TrvaeConfig;
      let batches: TrainOptions['batches'];
      let validation: TrainOptions['validation'];
      let genes: Int32Array | undefined;
      if ('x' in data) {
        config = makeConfig({ ...request.config, nGenes: data.nGenes });
        const split = splitRows(data.conditions.length, request.validationFraction ?? 0, config.seed);
        batches = (epoch) => memoryBatches(data, split.train, config.batchSize, { seed: config.seed, epoch });
        validation = split.validation.length > 0 ? () => memoryBatches(data, split.validation, config.batchSize, undefined) : undefined;
      } else {
        const pooled = data.source instanceof Blob ? undefined : await openPooledZarr(data.source, data);
        const source = pooled ? pooled.source : await openSource(data.source);
        close = () => (pooled ? pooled.close() : source.close());
        const input = data.input ?? (await detectInputKind(source, data.layer));
        genes = data.genes ?? (await highlyVariableGenes(source, data.nGenes ?? 2000, { input, layer: data.layer, signal: control.signal }));
        config = makeConfig({ ...request.config, nGenes: genes.length });
        const loaders = await openTrainingLoaders(source, {
          conditionKey: data.conditionKey, genes, input, batchSize: config.batchSize, validationFraction: request.validationFraction ?? 0,
          seed: config.seed, holdout: data.holdout, layer: data.layer, reader: pooled?.reader, signal: control.signal,
        });
        const closeSource = close;
        close = async () => {
          await loaders.close();
          await closeSource();
        };
        batches = loaders.batches;
        validation = loaders.validationBatches;
      }
      const result = await train({
        config,
        schedule: request.schedule,
        backend: request.backend,
        resume,
        control,
        batches,
        validation,
        onEvent,
        onCheckpoint: request.checkpointName ? async (c) => void (await saveCheckpoint(request.checkpointName as string, c)) : undefined,
      });
      const { checkpoint } = result;
      return { stopReason: result.stopReason, message: result.message, epoch: checkpoint.epoch, state: checkpoint.state, history: checkpoint.history, resumedFromEpoch: resume?.epoch, genes };
    } finally {
      control = undefined;
      await close();
    }
  },
  pause: () => control?.pause(),
  resume: () => control?.resume(),
  cancel: () => control?.cancel(),
};

export type TrainWorkerApi = typeof api;

Comlink.expose(api);
