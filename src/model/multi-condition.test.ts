// Four conditions end to end through the CLI: a Haber-like simulation written as zarr, `trvae-web
// train` with one cell type × treatment held out, then `evaluate --json` from every other condition
// into the held-out pair and between seen pairs (control → treatment, treatment → treatment,
// treatment → control), for trVAE and for an scGen export (encode/decode graphs, latent arithmetic).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { writeAnnDataStore } from '../convert/anndata-writer.ts';
import { directorySink } from '../convert/sink.ts';
import { loadExpression } from './dataset.ts';
import { parseModelJson } from './export.ts';
import { evaluatePrediction } from './metrics.ts';
import { scgenLatentMeans, scgenPredict } from './scgen.ts';
import { openSource } from '../source/index.ts';
import { haberLikeConditions, perturbationAnnData, simulatePerturbation, type CellTypeSpec } from './perturbation-sim.ts';

const cellTypes: CellTypeSpec[] = [
  { name: 'Enterocyte', lineage: 'absorptive', weight: 1, sharedStrength: 1 },
  { name: 'Stem', lineage: 'absorptive', weight: 1, sharedStrength: 0.6 },
  { name: 'Tuft', lineage: 'secretory', weight: 1, sharedStrength: 1.6 },
];
const sim = simulatePerturbation({ nCells: 1500, nGenes: 80, cellTypes, conditions: haberLikeConditions, seed: 11 });
const conditionNames = haberLikeConditions.map((c) => c.name);
const count = (cellType: string, condition: string) => {
  const t = cellTypes.findIndex((c) => c.name === cellType);
  const c = conditionNames.indexOf(condition);
  return sim.cellTypeCodes.filter((v, i) => v === t && sim.conditionCodes[i] === c).length;
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('4 conditions: train, then predict between any two conditions (CLI)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trvae-multi-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const data = join(dir, 'haber-like.zarr');
  await writeAnnDataStore(await directorySink(data), perturbationAnnData(sim));
  const holdout = 'Tuft:Hpoly.Day10';
  const train = (out: string, extra: string[] = []) => cli([
    'train', data, '--condition-key', 'condition', '--cell-type-key', 'cell_type', '--holdout', holdout, '--genes', '50',
    '--epochs', '3', '--batch-size', '128', '--hidden', '32,16', '--latent', '6', '--seed', '2', '--threads', '1', '--out', out, ...extra,
  ]);
  const evaluate = async (model: string, pair: string, from: string) => {
    const r = await cli(['evaluate', data, '--model', model, '--holdout', pair, '--source-condition', from, '--degs', '20', '--bootstrap', '5', '--json']);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out);
  };
  const expectFiniteMetrics = (result: { full: Record<string, number>; bootstrapMean: Record<string, number>; deltaPearsonTop: number; energyTop: number }) => {
    for (const table of [result.full, result.bootstrapMean]) {
      for (const k of ['meanAll', 'varianceAll', 'meanTop', 'varianceTop']) {
        expect(Number.isFinite(table[k]), k).toBe(true);
        expect(table[k]).toBeGreaterThanOrEqual(0);
        expect(table[k]).toBeLessThanOrEqual(1);
      }
    }
    expect(Number.isFinite(result.deltaPearsonTop)).toBe(true);
    expect(result.energyTop).toBeGreaterThanOrEqual(0);
  };

  const trvaeDir = join(dir, 'trvae');
  it('trains trVAE on the 4 conditions with the pair held out', async () => {
    const r = await train(trvaeDir);
    expect(r.code, r.err).toBe(0);
    expect(await readdir(trvaeDir)).toContain('trvae_predict.onnx');
  });

  it('predicts the held-out pair from each other condition', async () => {
    for (const from of ['Control', 'Hpoly.Day3', 'Salmonella']) {
      const result = await evaluate(trvaeDir, holdout, from);
      expect(result).toMatchObject({ model: 'trvae', heldOut: true, sourceCondition: from, holdout: { cellType: 'Tuft', condition: 'Hpoly.Day10' } });
      expect(result.cells).toEqual({ source: count('Tuft', from), target: count('Tuft', 'Hpoly.Day10') });
      expect(result.degNames).toHaveLength(20);
      expectFiniteMetrics(result);
    }
  });

  it('predicts between seen pairs: control → treatment, treatment → treatment, treatment → control', async () => {
    const cases: [string, string, string][] = [['Enterocyte', 'Control', 'Hpoly.Day10'], ['Stem', 'Hpoly.Day3', 'Salmonella'], ['Tuft', 'Hpoly.Day3', 'Control']];
    for (const [cellType, from, to] of cases) {
      const result = await evaluate(trvaeDir, `${cellType}:${to}`, from);
      expect(result).toMatchObject({ heldOut: false, sourceCondition: from });
      expect(result.cells).toEqual({ source: count(cellType, from), target: count(cellType, to) });
      expectFiniteMetrics(result);
    }
  });

  it("defaults to the model's held-out pair; refuses a source equal to the target and an unknown condition", async () => {
    const r = await cli(['evaluate', data, '--model', trvaeDir, '--degs', '20', '--bootstrap', '2']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/trvae · Tuft: Control → Hpoly\.Day10, held-out pair/);
    expect(r.out).toMatch(/energy distance \d/);
    const same = await cli(['evaluate', data, '--model', trvaeDir, '--source-condition', 'Hpoly.Day10']);
    expect(same.code).toBe(1);
    expect(same.err).toMatch(/the source condition is the target condition "Hpoly.Day10"/);
    const unknown = await cli(['evaluate', data, '--model', trvaeDir, '--source-condition', 'Day99']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/condition "Day99" is not one the model was trained on \(Control, Hpoly\.Day3, Hpoly\.Day10, Salmonella\)/);
  });

  it('evaluates an scGen export (encode/decode graphs) into the held-out pair and between seen conditions', async () => {
    const scgenDir = join(dir, 'scgen');
    const r = await train(scgenDir, ['--model', 'scgen']);
    expect(r.code, r.err).toBe(0);
    const files = await readdir(scgenDir);
    expect(files).toContain('scgen_decode.onnx');
    expect(files.some((f) => f.endsWith('predict.onnx'))).toBe(false);
    const held = await evaluate(scgenDir, holdout, 'Hpoly.Day3');
    expect(held).toMatchObject({ model: 'scgen', heldOut: true });
    expect(held.cells).toEqual({ source: count('Tuft', 'Hpoly.Day3'), target: count('Tuft', 'Hpoly.Day10') });
    expectFiniteMetrics(held);
    // The same prediction from the exported graphs, with scGen's latent means over every cell but
    // the held-out pair (rows chosen here from the simulation's own codes).
    const model = parseModelJson(await readFile(join(scgenDir, 'model.json'), 'utf8'));
    const weights = { encode: new Uint8Array(await readFile(join(scgenDir, model.graphs.encode.file))), decode: new Uint8Array(await readFile(join(scgenDir, model.graphs.decode.file))) };
    const source = await openSource(data);
    const genes = model.genes.map((g) => sim.geneNames.indexOf(g));
    const tuft = cellTypes.findIndex((c) => c.name === 'Tuft');
    const [day3, day10] = ['Hpoly.Day3', 'Hpoly.Day10'].map((c) => conditionNames.indexOf(c));
    const rows = (keep: (i: number) => boolean) => Int32Array.from({ length: sim.nCells }, (_, i) => i).filter(keep);
    const load = (r: Int32Array) => loadExpression(source, genes, { input: 'counts' }, r);
    const heldOutPair = (i: number) => sim.cellTypeCodes[i] === tuft && sim.conditionCodes[i] === day10;
    const trainRows = rows((i) => !heldOutPair(i));
    const toModel = (code: number) => model.conditions.indexOf(conditionNames[code]);
    const means = await scgenLatentMeans(model.config, weights, await load(trainRows), Int32Array.from(trainRows, (i) => toModel(sim.conditionCodes[i])));
    const sourceRows = rows((i) => sim.cellTypeCodes[i] === tuft && sim.conditionCodes[i] === day3);
    const xSource = await load(sourceRows);
    const prediction = await scgenPredict(model.config, weights, means, { x: xSource, source: toModel(day3), target: toModel(day10) });
    const realRows = rows(heldOutPair);
    const expected = evaluatePrediction({ x: prediction.xhat, n: sourceRows.length }, { x: await load(realRows), n: realRows.length }, { x: xSource, n: sourceRows.length }, { nGenes: 50, nDegs: 20, bootstrap: 5, seed: 0 });
    for (const k of ['meanAll', 'varianceAll', 'meanTop', 'varianceTop'] as const) expect(held.full[k]).toBeCloseTo(expected.full[k], 6);
    // Means that included the held-out cells would give another δ: the check can tell them apart.
    const allRows = rows(() => true);
    const leaky = await scgenLatentMeans(model.config, weights, await load(allRows), Int32Array.from(allRows, (i) => toModel(sim.conditionCodes[i])));
    expect(Math.max(...leaky.means.map((v, k) => Math.abs(v - means.means[k])))).toBeGreaterThan(1e-4);
    await source.close();
    const seen = await evaluate(scgenDir, 'Stem:Control', 'Salmonella');
    expect(seen).toMatchObject({ model: 'scgen', heldOut: false });
    expect(seen.cells).toEqual({ source: count('Stem', 'Salmonella'), target: count('Stem', 'Control') });
    expectFiniteMetrics(seen);
  });
});
