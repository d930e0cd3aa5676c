// A small simulated single-cell dataset with known structure (cell types × conditions, with a
// condition effect on a subset of genes that differs by cell type), for tests, demos and benchmarks.

import { createRng, poisson } from '../random.ts';

export interface SimulatedData {
  readonly nCells: number;
  readonly nGenes: number;
  /** Raw counts, dense row-major [nCells, nGenes]. */
  readonly counts: Float32Array;
  readonly conditions: Int32Array;
  readonly cellTypes: Int32Array;
  readonly conditionNames: readonly string[];
  readonly cellTypeNames: readonly string[];
  /** Genes whose mean changes with the condition. */
  readonly responsiveGenes: readonly number[];
}

export interface SimulationOptions {
  readonly nCells: number;
  readonly nGenes: number;
  readonly nCellTypes?: number;
  readonly nConditions?: number;
  /** Fraction of genes that respond to the condition (default 0.2). */
  readonly responsiveFraction?: number;
  readonly seed?: number;
}

export function simulateDataset(options: SimulationOptions): SimulatedData {
  const { nCells, nGenes, nCellTypes = 3, nConditions = 2, responsiveFraction = 0.2, seed = 1 } = options;
  const rng = createRng(seed);
  const base = Array.from({ length: nCellTypes }, () => Float64Array.from({ length: nGenes }, () => Math.exp(rng.normal() * 1.2)));
  const nResponsive = Math.max(1, Math.round(nGenes * responsiveFraction));
  const responsiveGenes = Array.from({ length: nResponsive }, (_, i) => i);
  // log-fold change per (condition, cell type, gene): condition 0 is the control.
  const effect = Array.from({ length: nConditions }, (_, c) =>
    Array.from({ length: nCellTypes }, (_, t) => Float64Array.from({ length: nGenes }, (_, g) => (c > 0 && g < nResponsive ? (1 + 0.5 * t) * (g % 2 ? 1 : -1) : 0))),
  );
  const counts = new Float32Array(nCells * nGenes);
  const conditions = new Int32Array(nCells);
  const cellTypes = new Int32Array(nCells);
  for (let i = 0; i < nCells; i++) {
    const t = i % nCellTypes;
    const c = Math.floor(i / nCellTypes) % nConditions;
    cellTypes[i] = t;
    conditions[i] = c;
    const library = Math.exp(0.3 * rng.normal());
    for (let g = 0; g < nGenes; g++) counts[i * nGenes + g] = poisson(rng, base[t][g] * Math.exp(effect[c][t][g]) * library);
  }
  return {
    nCells,
    nGenes,
    counts,
    conditions,
    cellTypes,
    conditionNames: Array.from({ length: nConditions }, (_, c) => (c === 0 ? 'control' : `stim${c}`)),
    cellTypeNames: Array.from({ length: nCellTypes }, (_, t) => `type${t}`),
    responsiveGenes,
  };
}
