// The evaluation benchmark's protocol (bench/evaluate-protocol.ts) on a tiny simulation: one seed,
// one held-out cell type, a few optimiser steps. Checks the records' structure and recomputes the
// baselines independently from the simulator's counts (normalize_total 1e4 + log1p by hand).
import { describe, expect, it } from 'vitest';
import { baselineNames, methodNames, runProtocol, summarize, verdicts, type Score } from '../bench/evaluate-protocol.ts';
import { temporaryStores } from '../bench/evaluate-stores.ts';
import { evaluatePrediction, type Cells } from '../src/model/metrics.ts';
import { simulatePerturbation } from '../src/model/perturbation-sim.ts';

const nCells = 600;
const nGenes = 60;
const seed = 5;
const evalOptions = { nGenes, nDegs: 20, bootstrap: 10, energyCells: 100, seed };

/** The simulator's counts as model inputs, without the project's loader. */
function inputsByHand(): { x: Float64Array; types: Int32Array; conditions: Int32Array; typeNames: string[]; conditionNames: string[] } {
  const sim = simulatePerturbation({ nCells, nGenes, seed });
  const csr = sim.rows(0, sim.nCells);
  const x = new Float64Array(sim.nCells * nGenes);
  for (let r = 0; r < sim.nCells; r++) {
    let total = 0;
    for (let k = csr.indptr[r]; k < csr.indptr[r + 1]; k++) total += csr.data[k];
    for (let k = csr.indptr[r]; k < csr.indptr[r + 1]; k++) x[r * nGenes + csr.indices[k]] = Math.log1p((csr.data[k] * 1e4) / total);
  }
  return { x, types: sim.cellTypeCodes, conditions: sim.conditionCodes, typeNames: sim.cellTypes.map((t) => t.name), conditionNames: sim.conditions.map((c) => c.name) };
}

const rowsWhere = (n: number, keep: (i: number) => boolean) => Array.from({ length: n }, (_, i) => i).filter(keep);
const cellsOf = (x: Float64Array, rows: number[], add?: Float64Array): Cells => ({
  x: Float32Array.from({ length: rows.length * nGenes }, (_, k) => x[rows[Math.floor(k / nGenes)] * nGenes + (k % nGenes)] + (add ? add[k % nGenes] : 0)),
  n: rows.length,
});
const meanOf = (x: Float64Array, rows: number[]) => Float64Array.from({ length: nGenes }, (_, g) => rows.reduce((s, r) => s + x[r * nGenes + g], 0) / rows.length);

describe('evaluation protocol (tiny simulation)', () => {
  it('records every method and baseline; the baselines equal an independent computation', async () => {
    const records = await runProtocol({ stores: await temporaryStores(), nCells, seeds: [seed], cellTypes: ['NK'], training: { epochs: 3, batchSize: 128 }, ...evalOptions });
    expect(records.map((r) => r.method).sort()).toEqual([...baselineNames, ...methodNames].sort());
    for (const r of records) {
      expect(r.cellType).toBe('NK');
      expect(r.seed).toBe(seed);
      expect(r.kind === 'model').toBe(r.training !== undefined);
      expect(Number.isFinite(r.score.meanTop)).toBe(true);
      expect(Number.isFinite(r.score.energyTop)).toBe(true);
    }
    for (const r of records.filter((r) => r.training)) {
      expect(r.training!.epochs).toBe(3);
      expect(r.training!.steps).toBeGreaterThan(0);
    }

    // Independent baselines: the NK control cells, shifted by the mean stimulated − control
    // difference of the other five types, and the other types' stimulated cells.
    const d = inputsByHand();
    const nk = d.typeNames.indexOf('NK');
    const [control, stimulated] = [d.conditionNames.indexOf('control'), d.conditionNames.indexOf('stimulated')];
    const n = d.types.length;
    const source = rowsWhere(n, (i) => d.types[i] === nk && d.conditions[i] === control);
    const real = cellsOf(d.x, rowsWhere(n, (i) => d.types[i] === nk && d.conditions[i] === stimulated));
    const shift = new Float64Array(nGenes);
    const others = d.typeNames.map((_, t) => t).filter((t) => t !== nk);
    for (const t of others) {
      const stim = meanOf(d.x, rowsWhere(n, (i) => d.types[i] === t && d.conditions[i] === stimulated));
      const ctrl = meanOf(d.x, rowsWhere(n, (i) => d.types[i] === t && d.conditions[i] === control));
      for (let g = 0; g < nGenes; g++) shift[g] += (stim[g] - ctrl[g]) / others.length;
    }
    const sourceCells = cellsOf(d.x, source);
    const expected: Record<string, Cells> = {
      'control as is': sourceCells,
      'average shift': cellsOf(d.x, source, shift),
      'stimulated train mean': cellsOf(d.x, rowsWhere(n, (i) => d.types[i] !== nk && d.conditions[i] === stimulated)),
    };
    for (const [name, pred] of Object.entries(expected)) {
      const e = evaluatePrediction(pred, real, sourceCells, evalOptions);
      const want: Score = { ...e.bootstrapMean, deltaPearsonTop: e.deltaPearsonTop, energyTop: e.energyTop };
      const got = records.find((r) => r.method === name)!.score;
      for (const [k, v] of Object.entries(want)) {
        if (Number.isNaN(v)) expect(got[k as keyof Score], `${name} ${k}`).toBeNaN();
        else expect(got[k as keyof Score], `${name} ${k}`).toBeCloseTo(v, 4);
      }
    }
    // The control cells predict no change: their delta correlation is undefined; the shift's is not.
    expect(records.find((r) => r.method === 'control as is')!.score.deltaPearsonTop).toBeNaN();
    expect(records.find((r) => r.method === 'average shift')!.score.deltaPearsonTop).toBeGreaterThan(0);

    const summary = summarize([...records, ...records.map((r) => ({ ...r, seed: seed + 1, score: { ...r.score, meanTop: r.score.meanTop + 0.1 } }))]);
    expect(summary).toHaveLength(6);
    const trvae = summary.find((s) => s.method === 'trVAE')!;
    const once = records.find((r) => r.method === 'trVAE')!.score.meanTop;
    expect(trvae.seeds).toBe(2);
    expect(trvae.mean.meanTop).toBeCloseTo(once + 0.05, 12);
    expect(trvae.sd.meanTop).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
    expect(summary.find((s) => s.method === 'control as is')!.mean.deltaPearsonTop).toBeNaN();
    const v = verdicts(summary);
    expect(v.map((x) => x.baseline).sort()).toEqual([...baselineNames].sort());
    for (const x of v) expect(x.beats).toBe(x.margin > 0);
  }, 120_000);
});
