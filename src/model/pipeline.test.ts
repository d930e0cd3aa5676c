// The training pipeline's decisions and refusals, on stores written by the project's writer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAnnDataStore, type AnnDataInput } from '../convert/anndata-writer.ts';
import { directorySink } from '../convert/sink.ts';
import { isTrvaeError } from '../errors.ts';
import { openSource } from '../source/index.ts';
import type { CsrBlock } from '../source/types.ts';
import { defaultTrainingOptions, optionsUsage, resolveEpochs, trainingOptionsFrom, type TrainingOptions } from './options.ts';
import { perturbationAnnData, simulatePerturbation } from './perturbation-sim.ts';
import { prepareTraining } from './pipeline.ts';

const dir = await mkdtemp(join(tmpdir(), 'trvae-pipeline-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function store(name: string, input: AnnDataInput): Promise<string> {
  const path = join(dir, name);
  await writeAnnDataStore(await directorySink(path), input);
  return path;
}

const sim = simulatePerturbation({ nCells: 600, nGenes: 50, seed: 3 });
const options = (extra: Partial<TrainingOptions> = {}): TrainingOptions => ({ ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', genes: 30, batchSize: 64, ...extra });

async function prepare(path: string, extra: Partial<TrainingOptions> = {}) {
  const source = await openSource(path);
  const log: string[] = [];
  try {
    const plan = await prepareTraining(source, options(extra), { onLog: (line) => log.push(line) });
    await plan.close();
    return { plan, log };
  } finally {
    await source.close();
  }
}

/** The simulation with its X blocks replaced (e.g. a NaN put in). */
function withBlocks(transform: (block: CsrBlock) => CsrBlock, conditionCodes?: Int32Array): AnnDataInput {
  const input = perturbationAnnData(sim);
  const blocks = input.X.blocks as AsyncIterable<CsrBlock>;
  return {
    ...input,
    X: { ...input.X, blocks: (async function* () { for await (const b of blocks) yield transform(b); })() } as AnnDataInput['X'],
    obs: conditionCodes
      ? { ...input.obs, columns: input.obs.columns.map((c) => (c.name === 'condition' && c.values.kind === 'categorical' ? { ...c, values: { ...c.values, codes: conditionCodes } } : c)) }
      : input.obs,
  };
}

describe('prepareTraining', () => {
  it('decides the config, the split and the epochs from the options (auto: ~steps optimiser steps)', async () => {
    const { plan, log } = await prepare(await store('plain.zarr', perturbationAnnData(sim)), { holdout: 'NK:stimulated' });
    expect(plan.genes).toHaveLength(30);
    expect(plan.config).toMatchObject({ nGenes: 30, nConditions: 2, batchSize: 64, hidden: defaultTrainingOptions.hidden });
    const heldOut = Array.from(sim.cellTypeCodes).filter((t, i) => sim.cellTypes[t].name === 'NK' && sim.conditionCodes[i] === 1).length;
    expect(plan.cells.heldOut).toBe(heldOut);
    expect(plan.cells.train + plan.cells.validation).toBe(600 - heldOut);
    expect(plan.stepsPerEpoch).toBe(Math.floor(plan.cells.train / 64));
    expect(plan.schedule.epochs).toBe(Math.ceil(defaultTrainingOptions.steps / plan.stepsPerEpoch));
    expect(log.join('\n')).toContain(`held out ${heldOut} cells (NK × stimulated)`);
  });

  it('drops cells without a condition with a printed count', async () => {
    const codes = Int32Array.from(sim.conditionCodes, (c, i) => (i % 10 === 0 ? -1 : c));
    const { plan, log } = await prepare(await store('missing.zarr', withBlocks((b) => b, codes)));
    expect(plan.cells.withoutCondition).toBe(60);
    expect(plan.cells.train + plan.cells.validation).toBe(540);
    expect(log.join('\n')).toContain('60 cells have no "condition" value and are left out');
  });

  it('refuses NaN in X before training, naming the first cell and gene', async () => {
    const path = await store('nan.zarr', withBlocks((b) => (b.indptr[0] === 0 && b.nRows > 0 ? { ...b, data: Float32Array.from(b.data, (v, k) => (k === 3 ? Number.NaN : v)) } : b)));
    const error = await prepare(path).catch((e: unknown) => e);
    expect(isTrvaeError(error, 'bad-values')).toBe(true);
    expect((error as Error).message).toMatch(/NaN/);
    expect((error as Error).message).toMatch(/cell/);
  });

  it('refuses a held-out pair that leaves a condition without training cells, and a condition with one category', async () => {
    const oneType = simulatePerturbation({ nCells: 300, nGenes: 30, seed: 4, cellTypes: [{ name: 'only', lineage: 'x', weight: 1, sharedStrength: 1 }] });
    const path = await store('one-type.zarr', perturbationAnnData(oneType));
    await expect(prepare(path, { holdout: 'only:stimulated' })).rejects.toThrow(/condition "stimulated" has no training cells once only × stimulated is held out/);
    const single = simulatePerturbation({ nCells: 300, nGenes: 30, seed: 4, conditions: [{ name: 'control', weight: 1, strength: 0, overlap: 0 }] });
    await expect(prepare(await store('single.zarr', perturbationAnnData(single)))).rejects.toThrow(/has 1 category \(control\); trVAE needs at least 2 conditions/);
  });
});

describe('condition-balanced batches', () => {
  it('keep a rare condition in every training batch when asked', async () => {
    const conditions = [
      { name: 'control', weight: 1, strength: 0, overlap: 0 },
      { name: 'day3', weight: 1, strength: 0.6, overlap: 1 },
      { name: 'day10', weight: 1, strength: 1, overlap: 0.5 },
      { name: 'rare', weight: 0.04, strength: 1, overlap: 0 },
    ];
    const rareSim = simulatePerturbation({ nCells: 1200, nGenes: 30, seed: 8, conditions });
    const path = await store('rare.zarr', perturbationAnnData(rareSim));
    const rareCode = 3;
    const batchesWithRare = async (balance: TrainingOptions['balance']) => {
      const source = await openSource(path);
      try {
        const plan = await prepareTraining(source, options({ balance, genes: 20 }));
        let withRare = 0;
        let total = 0;
        for await (const batch of plan.batches(0)) {
          total++;
          if (batch.conditions.includes(rareCode)) withRare++;
        }
        await plan.close();
        return { withRare, total };
      } finally {
        await source.close();
      }
    };
    const plain = await batchesWithRare('none');
    const balanced = await batchesWithRare('conditions');
    expect(balanced.withRare).toBe(balanced.total);
    expect(plain.withRare).toBeLessThan(plain.total);
  });
});

describe('training options', () => {
  it('parse from text with their defaults; a half-set or unknown option is an error', () => {
    const parsed = trainingOptionsFrom({ conditionKey: 'condition', epochs: 'auto', hidden: '64, 32', lr: '3e-4', holdout: 'NK:stim', cellTypeKey: 'cell_type' });
    expect(parsed).toMatchObject({ epochs: 'auto', hidden: [64, 32], lr: 3e-4, genes: defaultTrainingOptions.genes, validation: defaultTrainingOptions.validation });
    expect(() => trainingOptionsFrom({ conditionKey: 'c', holdout: 'NK:' , cellTypeKey: 't' })).toThrow(/both set/);
    expect(() => trainingOptionsFrom({ conditionKey: 'c', holdout: 'NK:stim' })).toThrow(/--holdout needs --cell-type-key/);
    expect(() => trainingOptionsFrom({ conditionKey: 'c', genes: '1.5' })).toThrow(/--genes needs an integer/);
    expect(() => trainingOptionsFrom({ conditionKey: 'c', recon: 'l1' })).toThrow(/--recon needs one of sse, mse, nb/);
    expect(() => trainingOptionsFrom({ conditionKey: 'c', ['nope' as 'genes']: '1' })).toThrow(/unknown option "nope"/);
    expect(() => trainingOptionsFrom({})).toThrow(/--condition-key is required/);
    expect(resolveEpochs({ epochs: 'auto', steps: 2000 }, 9)).toBe(223);
    expect(resolveEpochs({ epochs: 7, steps: 2000 }, 9)).toBe(7);
  });

  it('generate the CLI help with every flag and its default', () => {
    const usage = optionsUsage();
    for (const flag of ['--condition-key', '--holdout', '--epochs N|auto', '--steps', '--patience', '--model trvae|scgen', '--hidden W1,W2,…']) expect(usage).toContain(flag);
    expect(usage).toContain(`(default ${defaultTrainingOptions.validation})`);
  });
});
