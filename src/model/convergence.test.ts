// The default schedule trains to convergence: on a small simulated perturbation (the project's
// simulator, NK × stimulated held out), doubling the default budget of optimiser steps does not
// improve the held-out R² of the top-DEG means by more than a small margin — and the default run
// predicts better than the control cells as they are (a model stopped early loses to that).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAnnDataStore } from '../convert/anndata-writer.ts';
import { directorySink } from '../convert/sink.ts';
import { openSource } from '../source/index.ts';
import { defaultTrainingOptions, type TrainingOptions } from './options.ts';
import { perturbationAnnData, simulatePerturbation } from './perturbation-sim.ts';
import { trainSource } from './pipeline.ts';
import { computeResults } from './results.ts';

describe('default schedule', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trvae-convergence-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const sim = simulatePerturbation({ nCells: 2400, nGenes: 300, seed: 11 });
  await writeAnnDataStore(await directorySink(join(dir, 'sim.zarr')), perturbationAnnData(sim));

  const heldOutR2 = async (options: TrainingOptions) => {
    const source = await openSource(join(dir, 'sim.zarr'));
    try {
      const { plan, run } = await trainSource(source, options);
      const results = await computeResults(source, plan, run.checkpoint.config, run.checkpoint.state);
      return { r2: results.prediction!.evaluation.full.meanTop, steps: run.checkpoint.state.step, stop: run.stopReason, results };
    } finally {
      await source.close();
    }
  };

  it('reaches the plateau: twice the steps improve the held-out R² of top-DEG means by < 0.05', async () => {
    const options: TrainingOptions = { ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: 'NK:stimulated', genes: 300 };
    const standard = await heldOutR2(options);
    const longer = await heldOutR2({ ...options, steps: 2 * options.steps });
    console.log(`default: R² ${standard.r2.toFixed(3)} after ${standard.steps} steps (${standard.stop}); 2× budget: R² ${longer.r2.toFixed(3)} after ${longer.steps} steps (${longer.stop})`);
    expect(longer.r2 - standard.r2).toBeLessThan(0.05);
    // The baseline a converged model must beat: the control cells taken as the prediction.
    const asTheyAre = standard.results.prediction!.baselines[0];
    expect(asTheyAre.name).toMatch(/as they are/);
    expect(standard.r2).toBeGreaterThan(asTheyAre.evaluation.full.meanTop);
  }, 600_000);
});
