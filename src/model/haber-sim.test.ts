import { describe, expect, it } from 'vitest';
import { haberLikeCellTypes, haberLikeConditions, simulatePerturbation } from './perturbation-sim.ts';

describe('Haber-like simulation (4 conditions)', () => {
  const sim = simulatePerturbation({ nCells: 4000, nGenes: 1000, cellTypes: haberLikeCellTypes, conditions: haberLikeConditions, seed: 5 });
  const C = haberLikeConditions.length;
  const code = (name: string) => haberLikeConditions.findIndex((c) => c.name === name);
  const lfc = (t: number, c: string) => sim.truth[t * C + code(c)].logFoldChange;
  /** Response genes of cell type t under `a`, and those whose effect under `b` is `a`'s scaled by the strengths (a shared mechanism). */
  const sharedFraction = (t: number, a: string, b: string) => {
    const ratio = haberLikeConditions[code(b)].strength / haberLikeConditions[code(a)].strength;
    const la = lfc(t, a);
    const lb = lfc(t, b);
    const responding = [...la.keys()].filter((g) => la[g] !== 0);
    return { responding, shared: responding.filter((g) => Math.abs(lb[g] - ratio * la[g]) < 1e-12).length / responding.length };
  };

  it('writes ground truth for every cell type × condition; the control has no response', () => {
    expect(sim.truth).toHaveLength(haberLikeCellTypes.length * C);
    for (let t = 0; t < haberLikeCellTypes.length; t++) expect(lfc(t, 'Control').every((v) => v === 0)).toBe(true);
  });

  it('treatments differ from each other, on the same response genes', () => {
    const tuft = haberLikeCellTypes.findIndex((t) => t.name === 'Tuft');
    const treatments = ['Hpoly.Day3', 'Hpoly.Day10', 'Salmonella'];
    for (const a of treatments) {
      for (const b of treatments) {
        if (a === b) continue;
        const la = lfc(tuft, a);
        const lb = lfc(tuft, b);
        const differing = la.filter((v, g) => Math.abs(v - lb[g]) > 0.1).length;
        expect(differing, `${a} vs ${b}`).toBeGreaterThan(20);
        // The same genes respond (the treatments act on one gene set with different effects).
        expect(la.every((v, g) => (v === 0) === (lb[g] === 0))).toBe(true);
      }
    }
  });

  it("Hpoly.Day10 shares part of Day3's response (overlap); Salmonella almost none", () => {
    for (let t = 0; t < haberLikeCellTypes.length; t++) {
      const day10 = sharedFraction(t, 'Hpoly.Day3', 'Hpoly.Day10');
      expect(day10.responding.length).toBeGreaterThan(50);
      expect(day10.shared).toBeGreaterThan(0.45);
      expect(day10.shared).toBeLessThan(0.75);
      const salmonella = sharedFraction(t, 'Hpoly.Day3', 'Salmonella');
      expect(salmonella.shared).toBeLessThan(0.25);
      // Shared effects are the same genes and sign, scaled by the treatment's strength.
      expect(day10.shared).toBeGreaterThan(salmonella.shared);
    }
  });

  it('Salmonella is the rare condition and Tuft the rare cell type', () => {
    const counts = haberLikeConditions.map((_, c) => sim.conditionCodes.filter((v) => v === c).length);
    expect(counts[code('Salmonella')]).toBeLessThan(0.12 * sim.nCells);
    expect(counts[code('Salmonella')]).toBeGreaterThan(0.03 * sim.nCells);
    expect(Math.min(...counts)).toBe(counts[code('Salmonella')]);
    const tuft = haberLikeCellTypes.findIndex((t) => t.name === 'Tuft');
    expect(sim.cellTypeCodes.filter((v) => v === tuft).length).toBeLessThan(0.05 * sim.nCells);
  });
});
