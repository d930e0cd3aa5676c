import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { isTrvaeError } from '../../errors.ts';
import { registerErrorClasses } from '../../rpc/errors.ts';
import { wrapWorkerApi } from '../../rpc/expose.ts';
import { DatasetError } from '../dataset.ts';
import { writeAnnDataStore } from '../../convert/anndata-writer.ts';
import { opfsSink } from '../../convert/sink.ts';
import { opfsStoresFolder } from '../../source/opfs-store.ts';
import { defaultTrainingOptions, type TrainingOptions } from '../options.ts';
import { perturbationAnnData, simulatePerturbation } from '../perturbation-sim.ts';
import { deleteCheckpoint, loadCheckpoint } from './checkpoint-file.ts';
import type { TrainWorkerApi, TrainWorkerEvent, TrainWorkerRequest } from './worker-api.ts';

function startWorker() {
  const worker = new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: wrapWorkerApi<TrainWorkerApi>(worker) };
}

// sim.h5ad: 360 cells (3 cell types × 2 conditions), 60 genes of raw counts, written by anndata 0.8.
const fixture = async () => new File([await (await fetch(new URL('../fixtures/sim.h5ad', import.meta.url))).blob()], 'sim.h5ad');

const options = (extra: Partial<TrainingOptions> = {}): TrainingOptions => ({
  ...defaultTrainingOptions,
  conditionKey: 'condition',
  cellTypeKey: 'cell_type',
  genes: 20,
  hidden: [16, 8],
  latent: 4,
  batchSize: 32,
  dropout: 0.1,
  recon: 'mse',
  alpha: 0.1,
  beta: 1,
  eta: 1,
  seed: 7,
  patience: 0,
  lrPatience: 0,
  ...extra,
});

const request = async (extra: Partial<TrainWorkerRequest> & { readonly options?: TrainingOptions } = {}): Promise<TrainWorkerRequest> => ({
  source: await fixture(),
  options: options({ epochs: 4 }),
  wasmThreads: 1,
  results: false,
  ...extra,
});

registerErrorClasses({ DatasetError });

/** A simulated store as a local OPFS copy (read in the worker without the network or h5wasm). */
async function opfsSimulation(name: string) {
  const stores = await (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
  await stores.removeEntry(name, { recursive: true }).catch(() => {});
  const sim = simulatePerturbation({ nCells: 400, nGenes: 40, seed: 2 });
  await writeAnnDataStore(opfsSink(await stores.getDirectoryHandle(name, { create: true })), perturbationAnnData(sim));
  return { opfs: name };
}

describe('training worker (one pipeline, comlink) with OPFS checkpoints', () => {
  it('cancel from the page, checkpoint in OPFS → new worker (reload) → resume continues the same trajectory as an uninterrupted run', async () => {
    await deleteCheckpoint('worker-test');
    const source = await opfsSimulation('worker-test-sim.zarr');
    const straight = startWorker();
    const full = await straight.api.train(await request({ source }));
    straight.worker.terminate();
    expect(full.stopReason).toBe('completed');
    expect(full.history).toHaveLength(4);

    // First session: cancelled from the page once epoch 1 is done (checkpointed after each epoch).
    const first = startWorker();
    let cancelled = false;
    const part = await first.api.train(
      await request({ source, options: options({ epochs: 50 }), checkpointName: 'worker-test', results: { maxCells: 100 } }),
      Comlink.proxy((e: TrainWorkerEvent) => {
        if (e.kind === 'epoch' && e.record.epoch === 1 && !cancelled) {
          cancelled = true;
          void first.api.cancel();
        }
      }),
    );
    first.worker.terminate();
    expect(part.stopReason).toBe('cancelled');
    // The model so far is kept, and shown: the cancel does not stop the results computed after it.
    expect(part.results?.cells.shown).toBeGreaterThan(0);
    const stored = await loadCheckpoint('worker-test');
    expect(stored?.epoch).toBeGreaterThanOrEqual(2);
    expect(stored?.epoch).toBeLessThan(4);

    // "Reload": a fresh worker resumes from OPFS to epoch 4.
    const second = startWorker();
    const resumed = await second.api.train(await request({ source, checkpointName: 'worker-test', resume: true }));
    second.worker.terminate();
    expect(resumed.resumedFromEpoch).toBe(stored?.epoch);
    expect(resumed.history.map((h) => h.train)).toEqual(full.history.map((h) => h.train));
    expect(resumed.history.map((h) => h.validation)).toEqual(full.history.map((h) => h.validation));
    for (const [name, v] of full.state.params) expect(resumed.state.params.get(name), name).toEqual(v);
    await deleteCheckpoint('worker-test');
  }, 240_000);

  it('trains from a dropped .h5ad holding a cell type × condition out, and computes the results in the worker', async () => {
    const { worker, api } = startWorker();
    const events: string[] = [];
    const result = await api.train(
      await request({ options: options({ epochs: 2, holdout: 'C:stim' }), results: {} }),
      Comlink.proxy((e: TrainWorkerEvent) => void events.push(e.kind)),
    );
    worker.terminate();
    expect(result.stopReason).toBe('completed');
    expect(result.geneNames).toHaveLength(20);
    expect(result.history).toHaveLength(2);
    expect(result.history[1].validation!.total).toBeGreaterThan(0);
    expect(result.state.params.get('enc.0.w')!.length).toBe((20 + 2) * 16);
    expect(events).toContain('plan');
    expect(events).toContain('phase');
    expect([...result.files.keys()].sort()).toEqual(['latent_mu.csv', 'model.json', 'predicted_C_control_to_stim.h5ad', 'trvae_cells.h5ad', 'trvae_encode.onnx', 'trvae_mmd.onnx', 'trvae_predict.onnx']);
    const results = result.results!;
    expect(results.cells).toEqual({ shown: 360, of: 360, available: 360 });
    expect(results.embedding).toHaveLength(360 * 2);
    expect(results.labels.map((l) => l.name)).toEqual(['condition', 'cell_type']);
    expect(results.prediction).toMatchObject({ cellType: 'C', sourceCondition: 'control', targetCondition: 'stim', sourceCells: 60, realCells: 60 });
    expect(results.prediction!.meanPoints).toHaveLength(40);
    expect(new TextDecoder().decode(result.files.get('latent_mu.csv') as Uint8Array).split('\n')).toHaveLength(361);
  }, 180_000);

  it('on WebGPU, the genes are selected with the gene-moments kernel and the run trains on the GPU', async () => {
    const stores = await (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
    await stores.removeEntry('worker-gpu-sim.zarr', { recursive: true }).catch(() => {});
    await writeAnnDataStore(opfsSink(await stores.getDirectoryHandle('worker-gpu-sim.zarr', { create: true })), perturbationAnnData(simulatePerturbation({ nCells: 2000, nGenes: 240, seed: 5 })));
    const { worker, api } = startWorker();
    let log: readonly string[] = [];
    const result = await api.train(
      await request({ source: { opfs: 'worker-gpu-sim.zarr' }, backend: 'webgpu', options: options({ epochs: 1, genes: 200, batchSize: 256 }) }),
      Comlink.proxy((e: TrainWorkerEvent) => void (e.kind === 'plan' && (log = e.log))),
    );
    worker.terminate();
    expect(result.stopReason).toBe('completed');
    expect(result.geneNames).toHaveLength(200);
    expect(log.join('\n')).toContain('selected on the GPU');
    await stores.removeEntry('worker-gpu-sim.zarr', { recursive: true });
  }, 300_000);

  it('an error thrown in the pipeline reaches the page as the same kind of error, with its code and message', async () => {
    const { worker, api } = startWorker();
    const error = await api.train(await request({ options: options({ conditionKey: 'no_such_column' }) })).catch((e: unknown) => e);
    worker.terminate();
    expect(isTrvaeError(error, 'invalid-dataset')).toBe(true);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain('obs has no column "no_such_column"');
  });
});
