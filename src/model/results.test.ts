// The results a run hands back: the downloads go back into scanpy (read by Debian's anndata 0.8 and
// compared with what the page shows), the CSV is keyed by obs name with the annotations; any pair's
// counterfactual from the kept sample, with the numbers `trvae-web evaluate` gives.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anndataMissing, python } from '../../test/anndata-python.ts';
import { writeAnnDataStore } from '../convert/anndata-writer.ts';
import { directorySink } from '../convert/sink.ts';
import { openSource } from '../source/index.ts';
import { evaluateHoldout } from './evaluate-holdout.ts';
import { parseModelJson } from './export.ts';
import { defaultTrainingOptions } from './options.ts';
import { haberLikeConditions, perturbationAnnData, simulatePerturbation, type CellTypeSpec } from './perturbation-sim.ts';
import { trainSource } from './pipeline.ts';
import { encodeDataset, latentCsv, shownCells } from './dataset-latent.ts';
import { latentAnnData } from './results-anndata.ts';
import { computeResults, loadResultsSample, metricsFileName, predictionMetricsJson, predictPair } from './results.ts';


const dir = await mkdtemp(join(tmpdir(), 'trvae-results-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('results of a run', async () => {
  const sim = simulatePerturbation({ nCells: 500, nGenes: 40, seed: 9 });
  await writeAnnDataStore(await directorySink(join(dir, 'sim.zarr')), perturbationAnnData(sim));
  const source = await openSource(join(dir, 'sim.zarr'));
  afterAll(() => source.close());
  const options = { ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: 'NK:stimulated', genes: 30, hidden: [32, 16], latent: 6, batchSize: 64, epochs: 3 as const };
  const { plan, run } = await trainSource(source, options);
  const { config, state } = run.checkpoint;
  const dataset = await encodeDataset(source, plan, config, state);
  const results = await computeResults(source, plan, config, state, { dataset, shownCells: 200 });
  const csv = new TextDecoder().decode(results.files.get('latent_mu.csv')).split('\n');

  it('a latent CSV of every cell keyed by obs name with the annotations', () => {
    const lines = csv;
    expect(lines[0]).toBe(['obs_name', 'condition', 'cell_type', ...Array.from({ length: 6 }, (_, i) => `mu${i}`)].join(','));
    expect(lines).toHaveLength(501);
    const first = lines[1].split(',');
    expect(first[0]).toBe('cell0');
    expect(first[1]).toBe(sim.conditions[sim.conditionCodes[0]].name);
    expect(first[2]).toBe(sim.cellTypes[sim.cellTypeCodes[0]].name);
  });

  it('every obs column and the latent arrays of a sample of the cells, for the embedding view', () => {
    const { latent, obs, cells } = results;
    expect(cells).toEqual({ shown: 200, of: 500, available: 500 });
    expect(latent.mu).toHaveLength(200 * latent.width);
    expect(latent.mmd?.values).toHaveLength(200 * (latent.mmd?.width ?? 0));
    const rows = latent.obsNames.map((name) => Number(name.slice('cell'.length)));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    // Each shown cell carries its own row's values: μ as in the CSV, obs as in the dataset.
    const k = 7;
    const csvMu = csv[rows[k] + 1].split(',').slice(3).map(Number);
    Array.from(latent.mu.subarray(k * latent.width, (k + 1) * latent.width)).forEach((v, d) => expect(v).toBeCloseTo(csvMu[d], 4));
    const cellType = obs.find((c) => c.name === 'cell_type');
    if (cellType?.kind !== 'categorical') throw new Error('cell_type should be categorical');
    expect(cellType.categories[cellType.codes[k]]).toBe(sim.cellTypes[sim.cellTypeCodes[rows[k]]].name);
    expect(obs.map((c) => c.name)).toEqual(source.obsColumns.map((c) => c.name));
  });

  it('samples of the embedding are nested (a larger view adds cells) and never exceed the encodable cells', () => {
    const small = shownCells(dataset, 50).latent.obsNames;
    const large = new Set(shownCells(dataset, 300).latent.obsNames);
    expect(small.every((name) => large.has(name))).toBe(true);
    expect(shownCells(dataset, 10_000).cells).toEqual({ shown: 500, of: 500, available: 500 });
  });

  it('past the size limit only the viewable cells keep the MMD layer, with the same values, and the cells file leaves it out', async () => {
    const lean = await encodeDataset(source, plan, config, state, { maxMmdBytes: 1024 });
    expect(lean.mmd?.all).toBe(false);
    expect(dataset.mmd?.all).toBe(true);
    expect(lean.mmd?.values).toHaveLength(500 * 16); // every cell is within the view's 100k
    expect(shownCells(lean, 120).latent.mmd?.values).toEqual(shownCells(dataset, 120).latent.mmd?.values);
    expect(latentAnnData(lean).obsm?.X_trvae_mmd).toBeUndefined();
    expect(latentAnnData(dataset).obsm?.X_trvae_mmd?.width).toBe(16);
  });

  it.skipIf(anndataMissing)(`AnnData downloads that anndata.read_h5ad opens, with the values shown${anndataMissing ? ` — skipped: ${anndataMissing}` : ''}`, async () => {
    const names = [...results.files.keys()].sort();
    expect(names).toEqual(['latent_mu.csv', 'predicted_NK_control_to_stimulated.h5ad', 'trvae_cells.h5ad']);
    for (const [name, bytes] of results.files) await writeFile(join(dir, name), bytes);
    const script = `
import anndata, json, sys, numpy as np
c = anndata.read_h5ad(sys.argv[1]); p = anndata.read_h5ad(sys.argv[2])
print(json.dumps({
  "cells": list(c.shape), "obs_names": list(c.obs_names[:3]), "cell_type": list(c.obs["cell_type"][:3]), "columns": list(c.obs.columns),
  "mu_row0": c.obsm["X_trvae"][0].tolist(), "mmd_shape": list(c.obsm["X_trvae_mmd"].shape),
  "pred": list(p.shape), "var": list(p.var_names[:2]), "pair": [p.obs["source_condition"][0], p.obs["condition"][0], p.obs["cell_type"][0]],
  "source_cell": p.obs["source_cell"][0], "pred_mean": p.X.mean(axis=0).tolist(),
}))`;
    const read = JSON.parse(execFileSync(python, ['-c', script, join(dir, 'trvae_cells.h5ad'), join(dir, 'predicted_NK_control_to_stimulated.h5ad')], { encoding: 'utf8' }));
    expect(read.cells).toEqual([500, 0]);
    expect(read.obs_names).toEqual(['cell0', 'cell1', 'cell2']);
    expect(read.cell_type).toEqual([0, 1, 2].map((i) => sim.cellTypes[sim.cellTypeCodes[i]].name));
    expect(read.columns).toEqual(source.obsColumns.map((c) => c.name));
    const csvMu = csv[1].split(',').slice(3).map(Number);
    read.mu_row0.forEach((v: number, d: number) => expect(v).toBeCloseTo(csvMu[d], 4));
    expect(read.mmd_shape).toEqual([500, 16]);
    const p = results.prediction!;
    expect(read.pred).toEqual([p.sourceCells, 30]);
    expect(read.var).toEqual(plan.geneNames.slice(0, 2));
    expect(read.pair).toEqual(['control', 'stimulated', 'NK']);
    expect(read.source_cell).toMatch(/^cell\d+$/);
    // The page's predicted-vs-real scatter shows these per-gene means.
    read.pred_mean.forEach((m: number, g: number) => expect(m).toBeCloseTo(p.meanPoints[2 * g], 4));
  });
});

describe('cells without a condition', async () => {
  const sim = simulatePerturbation({ nCells: 300, nGenes: 30, seed: 2 });
  const input = perturbationAnnData(sim);
  const missing = [3, 10, 299];
  const conditionCodes = Int32Array.from(sim.conditionCodes, (c, i) => (missing.includes(i) ? -1 : c));
  const columns = input.obs.columns.map((c) => (c.name === 'condition' && c.values.kind === 'categorical' ? { ...c, values: { ...c.values, codes: conditionCodes } } : c));
  await writeAnnDataStore(await directorySink(join(dir, 'missing.zarr')), { ...input, obs: { ...input.obs, columns } });
  const source = await openSource(join(dir, 'missing.zarr'));
  afterAll(() => source.close());
  const options = { ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: undefined, genes: 20, hidden: [16, 8], latent: 4, batchSize: 64, epochs: 2 as const };
  const { plan, run } = await trainSource(source, options);
  const dataset = await encodeDataset(source, plan, run.checkpoint.config, run.checkpoint.state);

  it('keep their row, with NaN latent values, empty CSV values and no place in the embedding view', () => {
    expect(dataset.mu).toHaveLength(300 * 4);
    for (let row = 0; row < 300; row++) {
      const values = Array.from(dataset.mu.subarray(row * 4, (row + 1) * 4));
      expect(values.every(Number.isNaN)).toBe(missing.includes(row));
    }
    const csv = new TextDecoder().decode(latentCsv(dataset)).split('\n');
    expect(csv[11]).toMatch(/^cell10,,[^,]+,,,,$/);
    const shown = shownCells(dataset, 1000);
    expect(shown.cells).toEqual({ shown: 297, of: 300, available: 297 });
    expect(shown.latent.obsNames).not.toContain('cell10');
    expect(shown.latent.mu.every(Number.isFinite)).toBe(true);
  });
});

describe('any pair from the kept sample: control → treatment, treatment → treatment, treatment → control', async () => {
  const cellTypes: CellTypeSpec[] = [
    { name: 'Enterocyte', lineage: 'absorptive', weight: 1, sharedStrength: 1 },
    { name: 'Stem', lineage: 'absorptive', weight: 1, sharedStrength: 0.6 },
    { name: 'Tuft', lineage: 'secretory', weight: 1, sharedStrength: 1.6 },
  ];
  const sim = simulatePerturbation({ nCells: 900, nGenes: 40, cellTypes, conditions: haberLikeConditions, seed: 4 });
  await writeAnnDataStore(await directorySink(join(dir, 'haber.zarr')), perturbationAnnData(sim));
  const source = await openSource(join(dir, 'haber.zarr'));
  afterAll(() => source.close());
  const options = { ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: 'Tuft:Hpoly.Day10', genes: 30, hidden: [32, 16], latent: 6, batchSize: 64, epochs: 3 as const };
  const { plan, run, files } = await trainSource(source, options);
  const { config, state } = run.checkpoint;
  const sample = await loadResultsSample(source, plan);
  const results = await computeResults(source, plan, config, state, { sample });
  const model = parseModelJson(files.get('model.json') as string);
  const graphs = Object.fromEntries(Object.entries(model.graphs).map(([kind, g]) => [kind, files.get(g.file) as Uint8Array]));
  const cli = (cellType: string, from: string, to: string) => evaluateHoldout(source, model, graphs, { holdout: { cellType, condition: to }, sourceCondition: from });

  it('offers every cell type × condition with its shown cells, the held-out pair by default', () => {
    const { pairs } = results;
    expect(pairs.cellTypes).toEqual(['Enterocyte', 'Stem', 'Tuft']);
    expect(pairs.conditions).toEqual(haberLikeConditions.map((c) => c.name));
    expect(pairs.default).toEqual({ cellType: 'Tuft', sourceCondition: 'Control', targetCondition: 'Hpoly.Day10' });
    const counted = cellTypes.map((_, t) => haberLikeConditions.map((_, c) => sim.cellTypeCodes.filter((v, i) => v === t && sim.conditionCodes[i] === c).length));
    expect(pairs.cells).toEqual(counted);
    expect(results.prediction).toMatchObject({ cellType: 'Tuft', sourceCondition: 'Control', targetCondition: 'Hpoly.Day10', seen: false, sourceSeen: true });
  });

  it('the held-out pair has the figures `trvae-web evaluate` prints for the exported model', async () => {
    const p = results.prediction!;
    const e = await cli('Tuft', 'Control', 'Hpoly.Day10');
    expect(e.heldOut).toBe(true);
    expect(p.degNames).toEqual(e.degNames);
    expect([p.sourceCells, p.realCells]).toEqual([e.cells.source, e.cells.target]);
    for (const key of ['meanAll', 'meanTop', 'varianceAll', 'varianceTop'] as const) {
      expect(p.evaluation.bootstrapMean[key]).toBeCloseTo(e.bootstrapMean[key], 5);
      expect(p.evaluation.full[key]).toBeCloseTo(e.full[key], 5);
    }
  });

  it('treatment → treatment on a seen pair: marked seen, the CLI\'s figures, baselines on the same cells', async () => {
    const steps: string[] = [];
    const { prediction: p, file } = await predictPair(sample, config, state, { cellType: 'Stem', sourceCondition: 'Hpoly.Day3', targetCondition: 'Salmonella' }, undefined, (step, done, total) => steps.push(`${done}/${total} ${step}`));
    if (!p) throw new Error('expected a prediction');
    expect(steps).toEqual(['0/4 predicting', '1/4 scoring the prediction', '2/4 scoring the baselines', '3/4 writing the predicted cells']);
    expect(p).toMatchObject({ seen: true, sourceSeen: true, sourceCondition: 'Hpoly.Day3', targetCondition: 'Salmonella' });
    expect(p.baselines.map((b) => b.name)).toEqual(['Hpoly.Day3 cells as they are', 'population-average shift']);
    expect(p.baselines[0].evaluation.degs).toEqual(p.evaluation.degs);
    const e = await cli('Stem', 'Hpoly.Day3', 'Salmonella');
    expect(e.heldOut).toBe(false);
    expect(p.evaluation.bootstrapMean.meanAll).toBeCloseTo(e.bootstrapMean.meanAll, 5);
    expect(p.evaluation.bootstrapMean.varianceTop).toBeCloseTo(e.bootstrapMean.varianceTop, 5);
    expect(file?.name).toBe('predicted_Stem_Hpoly.Day3_to_Salmonella.h5ad');
    expect(p.meanPoints).toHaveLength(2 * 30);
    expect(p.topGenes).toHaveLength(20);
  });

  it('treatment → control: from the held-out cells of Tuft (a seen target), and into the held-out pair from another treatment', async () => {
    const back = (await predictPair(sample, config, state, { cellType: 'Tuft', sourceCondition: 'Hpoly.Day10', targetCondition: 'Control' })).prediction;
    expect(back).toMatchObject({ seen: true, sourceSeen: false });
    const e = await cli('Tuft', 'Hpoly.Day10', 'Control');
    expect(back!.evaluation.bootstrapMean.meanAll).toBeCloseTo(e.bootstrapMean.meanAll, 5);
    const into = (await predictPair(sample, config, state, { cellType: 'Tuft', sourceCondition: 'Salmonella', targetCondition: 'Hpoly.Day10' })).prediction;
    expect(into).toMatchObject({ seen: false, sourceSeen: true });
    // The prediction is the model's: a different source gives different predicted means.
    expect(into!.meanPoints).not.toEqual(results.prediction!.meanPoints);
  });

  it('a pair\'s metrics JSON holds the R² tables of the model and each baseline, the DEG names and the top responders', () => {
    const p = results.prediction!;
    expect(metricsFileName(p)).toBe('metrics_Tuft_Control_to_Hpoly.Day10.json');
    const json = JSON.parse(predictionMetricsJson(p, 'trVAE'));
    expect(json).toMatchObject({ cellType: 'Tuft', sourceCondition: 'Control', targetCondition: 'Hpoly.Day10', seenInTraining: false, sourceCells: p.sourceCells, realCells: p.realCells });
    expect(json.methods.map((m: { name: string }) => m.name)).toEqual(['trVAE', ...p.baselines.map((b) => b.name)]);
    expect(json.methods[0].full).toEqual(p.evaluation.full);
    expect(json.methods[0].bootstrapMean).toEqual(p.evaluation.bootstrapMean);
    expect(json.methods[1].full).toEqual(p.baselines[0].evaluation.full);
    expect(json.topDegs).toEqual(p.degNames);
    expect(json.topResponders).toEqual(p.topGenes);
  });

  it('a pair without source or target cells is explained, not an error; an unknown name is one', async () => {
    const few = { ...sample, conditions: { ...sample.conditions, codes: sample.conditions.codes.map((c, i) => (c === 3 && sample.cellTypes!.codes[i] === 1 ? 0 : c)) } };
    const none = await predictPair(few, config, state, { cellType: 'Stem', sourceCondition: 'Salmonella', targetCondition: 'Control' });
    expect(none.prediction).toBeUndefined();
    expect(none.note).toBe('Stem has no Salmonella cells to predict from among the shown cells.');
    const same = await predictPair(sample, config, state, { cellType: 'Stem', sourceCondition: 'Control', targetCondition: 'Control' });
    expect(same.note).toMatch(/two different conditions/);
    await expect(predictPair(sample, config, state, { cellType: 'Paneth', sourceCondition: 'Control', targetCondition: 'Salmonella' })).rejects.toThrow(/cell type "Paneth" is not one of cell_type's/);
  });
});
