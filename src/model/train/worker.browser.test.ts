import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { TrainWorkerApi, WorkerTrainRequest } from '../../../workers/train.worker.ts';
import { normalizedRows, poolInput } from '../dataset.ts';
import { simulateDataset } from '../simulate.ts';
import { deleteCheckpoint, loadCheckpoint } from './checkpoint-file.ts';
import type { TrainingEvent } from './train.ts';

function startWorker() {
  const worker = new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: Comlink.wrap<TrainWorkerApi>(worker) };
}

const sim = simulateDataset({ nCells: 200, nGenes: 24, seed: 3 });
const x = normalizedRows({ format: 'dense', nRows: sim.nCells, nCols: sim.nGenes, values: sim.counts }, poolInput(sim.nGenes, Array.from({ length: sim.nGenes }, (_, i) => i), 'counts'));
const request = (epochs: number, extra: Partial<WorkerTrainRequest> = {}): WorkerTrainRequest => ({
  dataset: { x, conditions: sim.conditions, nGenes: sim.nGenes },
  config: { nConditions: 2, hidden: [16, 8], latent: 4, batchSize: 32, dropout: 0.1, recon: 'mse', alpha: 0.1, beta: 1, eta: 1, seed: 7 },
  schedule: { epochs, lossEvery: 2, earlyStoppingPatience: 0, lrPatience: 0 },
  validationFraction: 0.2,
  wasmThreads: 1,
  ...extra,
});

describe('training worker (comlink) with OPFS checkpoints', () => {
  it('cancel from the page, checkpoint in OPFS → new worker (reload) → resume continues the same trajectory as an uninterrupted run', async () => {
    await deleteCheckpoint('worker-test');
    const straight = startWorker();
    const full = await straight.api.train(request(4));
    straight.worker.terminate();
    expect(full.stopReason).toBe('completed');
    expect(full.history).toHaveLength(4);

    // First session: cancelled from the page once epoch 1 is done (checkpointed to OPFS after each
    // epoch); then the worker goes away.
    const first = startWorker();
    let cancelled = false;
    const part = await first.api.train(
      request(50, { checkpointName: 'worker-test' }),
      Comlink.proxy((e: TrainingEvent) => {
        if (e.kind === 'epoch' && e.record.epoch === 1 && !cancelled) {
          cancelled = true;
          void first.api.cancel();
        }
      }),
    );
    first.worker.terminate();
    expect(part.stopReason).toBe('cancelled');
    const stored = await loadCheckpoint('worker-test');
    expect(stored?.epoch).toBeGreaterThanOrEqual(2);
    expect(stored?.epoch).toBeLessThan(4);

    // "Reload": a fresh worker resumes from OPFS to epoch 4.
    const second = startWorker();
    const resumed = await second.api.train(request(4, { checkpointName: 'worker-test', resume: true, schedule: { epochs: 4 } }));
    second.worker.terminate();
    expect(resumed.resumedFromEpoch).toBe(stored?.epoch);
    expect(resumed.history.map((h) => h.train)).toEqual(full.history.map((h) => h.train));
    expect(resumed.history.map((h) => h.validation)).toEqual(full.history.map((h) => h.validation));
    for (const [name, v] of full.state.params) expect(resumed.state.params.get(name), name).toEqual(v);
    await deleteCheckpoint('worker-test');
  });

  it('trains from a dropped .h5ad (Blob) through the loader, holding a cell type × condition out', async () => {
    const blob = await (await fetch(new URL('../fixtures/sim.h5ad', import.meta.url))).blob();
    const { worker, api } = startWorker();
    const result = await api.train({
      dataset: { source: new File([blob], 'sim.h5ad'), conditionKey: 'condition', holdout: { cellTypeKey: 'cell_type', cellType: 'C', condition: 'stim' }, nGenes: 20 },
      config: { nConditions: 2, hidden: [16, 8], latent: 4, batchSize: 32, recon: 'mse', alpha: 0.1, beta: 1, eta: 1, seed: 1 },
      schedule: { epochs: 2, earlyStoppingPatience: 0, lrPatience: 0 },
      validationFraction: 0.2,
      wasmThreads: 1,
    });
    worker.terminate();
    expect(result.stopReason).toBe('completed');
    expect(result.genes).toHaveLength(20);
    expect(result.history).toHaveLength(2);
    expect(result.history[1].validation!.total).toBeGreaterThan(0);
    expect(result.state.params.get('enc.0.w')!.length).toBe((20 + 2) * 16);
  });
});
