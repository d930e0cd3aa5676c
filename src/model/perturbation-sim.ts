// A simulated perturbation experiment with known truth, for the demo dataset, the evaluation and the
// tests: raw counts from a negative binomial; cell types in lineages, each with marker programs; a
// control and stimulated conditions whose response has three parts — a shared response whose
// strength differs by cell type (as interferon's does in Kang et al.), a lineage-shared response and
// a cell-type-private one — so that a naive average shift is wrong for some cell types. The true
// per-gene NB mean and variance of every cell type × condition are returned with the counts.

import type { AnnDataInput } from '../convert/anndata-writer.ts';
import type { CsrBlock } from '../source/types.ts';
import { createRng, poisson, type Rng } from '../random.ts';

export interface CellTypeSpec {
  readonly name: string;
  readonly lineage: string;
  /** Relative abundance. */
  readonly weight: number;
  /** Strength of the shared response in this cell type (1 = typical). */
  readonly sharedStrength: number;
}

/** Six PBMC-like cell types in two lineages; NK is the smallest (the paper's held-out type). */
export const defaultCellTypes: readonly CellTypeSpec[] = [
  { name: 'CD4 T', lineage: 'lymphoid', weight: 3, sharedStrength: 0.6 },
  { name: 'CD8 T', lineage: 'lymphoid', weight: 1.5, sharedStrength: 0.8 },
  { name: 'B', lineage: 'lymphoid', weight: 1.2, sharedStrength: 1.0 },
  { name: 'NK', lineage: 'lymphoid', weight: 0.6, sharedStrength: 1.2 },
  { name: 'CD14 Mono', lineage: 'myeloid', weight: 2.2, sharedStrength: 1.6 },
  { name: 'DC', lineage: 'myeloid', weight: 0.8, sharedStrength: 1.3 },
];

export interface ConditionSpec {
  readonly name: string;
  readonly weight: number;
  /** Scales every response part; 0 for the control. */
  readonly strength: number;
  /** Fraction of this condition's response genes taken from the first treatment's (shared mechanism). */
  readonly overlap: number;
}

export const defaultConditions: readonly ConditionSpec[] = [
  { name: 'control', weight: 1, strength: 0, overlap: 0 },
  { name: 'stimulated', weight: 1, strength: 1, overlap: 1 },
];

export interface PerturbationSimOptions {
  readonly nCells: number;
  readonly nGenes: number;
  readonly cellTypes?: readonly CellTypeSpec[];
  readonly conditions?: readonly ConditionSpec[];
  /** Genes in each marker program (per lineage and per cell type). Default 2 % of the genes, at least 3. */
  readonly markersPerProgram?: number;
  /** Genes of each response part: shared, per lineage, per cell type. Defaults 5 %, 2 %, 1.5 % of the genes. */
  readonly sharedResponseGenes?: number;
  readonly lineageResponseGenes?: number;
  readonly privateResponseGenes?: number;
  /** NB inverse dispersion θ (variance μ + μ²/θ). Default 8. */
  readonly theta?: number;
  /** Mean library size factor spread (log-normal σ). Default 0.35. */
  readonly librarySigma?: number;
  readonly seed?: number;
}

export interface GroupTruth {
  readonly cellType: number;
  readonly condition: number;
  /** NB mean and variance of the counts per gene at library factor 1. */
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Log fold change vs the control of the same cell type. */
  readonly logFoldChange: Float64Array;
}

export interface PerturbationSim {
  readonly nCells: number;
  readonly nGenes: number;
  readonly cellTypes: readonly CellTypeSpec[];
  readonly conditions: readonly ConditionSpec[];
  readonly cellTypeCodes: Int32Array;
  readonly conditionCodes: Int32Array;
  readonly library: Float64Array;
  readonly geneNames: readonly string[];
  /** What each gene is, for the var table: 'marker:…', 'response:shared', 'response:lineage:…', 'response:private:…', 'background'. */
  readonly geneRoles: readonly string[];
  readonly truth: readonly GroupTruth[];
  /** Raw counts of rows [from, to) as CSR (generated on demand, deterministic by seed and row). */
  rows(from: number, to: number): CsrBlock;
}

function gamma(rng: Rng, shape: number): number {
  // Marsaglia–Tsang; shape < 1 boosted by U^(1/shape).
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(rng.next() || 1e-12, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Distinct gene indices drawn from `pool` (removed from it). */
function draw(rng: Rng, pool: number[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n && pool.length > 0; i++) out.push(pool.splice(Math.floor(rng.next() * pool.length), 1)[0]);
  return out;
}

const signedEffect = (rng: Rng, scale: number) => (rng.next() < 0.75 ? 1 : -1) * scale * (0.7 + 0.6 * rng.next());

export function simulatePerturbation(options: PerturbationSimOptions): PerturbationSim {
  const { nCells, nGenes, seed = 0 } = options;
  const cellTypes = options.cellTypes ?? defaultCellTypes;
  const conditions = options.conditions ?? defaultConditions;
  const theta = options.theta ?? 8;
  const rng = createRng(seed);
  const T = cellTypes.length;
  const C = conditions.length;
  const lineages = [...new Set(cellTypes.map((t) => t.lineage))];
  const markers = options.markersPerProgram ?? Math.max(3, Math.round(nGenes * 0.02));
  const nShared = options.sharedResponseGenes ?? Math.max(3, Math.round(nGenes * 0.05));
  const nLineage = options.lineageResponseGenes ?? Math.max(2, Math.round(nGenes * 0.02));
  const nPrivate = options.privateResponseGenes ?? Math.max(2, Math.round(nGenes * 0.015));

  // Baseline log-means: most genes low, a few high (log-normal across genes).
  const base = Float64Array.from({ length: nGenes }, () => -1.2 + 1.3 * rng.normal());
  const roles = new Array<string>(nGenes).fill('background');
  const free = Array.from({ length: nGenes }, (_, g) => g);
  const logMean = Array.from({ length: T }, () => Float64Array.from(base));
  for (const lineage of lineages) {
    for (const g of draw(rng, free, markers)) {
      roles[g] = `marker:${lineage}`;
      const up = 1.5 + rng.next();
      cellTypes.forEach((t, i) => (logMean[i][g] += t.lineage === lineage ? up : 0));
    }
  }
  cellTypes.forEach((t, i) => {
    for (const g of draw(rng, free, markers)) {
      roles[g] = `marker:${t.name}`;
      logMean[i][g] += 2 + rng.next();
    }
  });
  // Response genes: shared by every cell type (strength per type), per lineage, per cell type.
  const shared = draw(rng, free, nShared).map((g) => ((roles[g] = 'response:shared'), { g, lfc: signedEffect(rng, 1.4) }));
  const byLineage = new Map(lineages.map((l) => [l, draw(rng, free, nLineage).map((g) => ((roles[g] = `response:lineage:${l}`), { g, lfc: signedEffect(rng, 1.2) }))]));
  const privateOf = cellTypes.map((t) => draw(rng, free, nPrivate).map((g) => ((roles[g] = `response:private:${t.name}`), { g, lfc: signedEffect(rng, 1.5) })));
  // Further treatments act on the same genes: an `overlap` fraction with the first treatment's
  // effects (a shared mechanism), the rest with effects of their own.
  interface Effect {
    readonly g: number;
    readonly lfc: number;
    /** Who responds: every cell type (scaled by its shared strength), a lineage, or one cell type. */
    readonly shared?: boolean;
    readonly lineage?: string;
    readonly type?: number;
  }
  const responses = conditions.map((cond, c): Effect[] => {
    if (cond.strength === 0) return [];
    const first = c === conditions.findIndex((k) => k.strength !== 0);
    const keep = <E extends { g: number; lfc: number }>(list: readonly E[]) =>
      list.map((e) => (first || rng.next() < cond.overlap ? e : { ...e, lfc: signedEffect(rng, Math.abs(e.lfc)) }));
    return [
      ...keep(shared).map((e) => ({ ...e, shared: true })),
      ...lineages.flatMap((l) => keep(byLineage.get(l) ?? []).map((e) => ({ ...e, lineage: l }))),
      ...privateOf.flatMap((list, t) => keep(list).map((e) => ({ ...e, type: t }))),
    ];
  });

  const truth: GroupTruth[] = [];
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const lfc = new Float64Array(nGenes);
      for (const e of responses[c]) {
        const applies = e.shared ? cellTypes[t].sharedStrength : e.lineage !== undefined ? (e.lineage === cellTypes[t].lineage ? 1 : 0) : e.type === t ? 1 : 0;
        lfc[e.g] += conditions[c].strength * applies * e.lfc;
      }
      const mean = Float64Array.from(logMean[t], (m, g) => Math.exp(m + lfc[g]));
      truth.push({ cellType: t, condition: c, mean, variance: Float64Array.from(mean, (m) => m + (m * m) / theta), logFoldChange: lfc });
    }
  }

  const pick = (weights: readonly number[]) => {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = rng.next() * total;
    for (let i = 0; i < weights.length; i++) if ((u -= weights[i]) < 0) return i;
    return weights.length - 1;
  };
  const cellTypeCodes = new Int32Array(nCells);
  const conditionCodes = new Int32Array(nCells);
  const library = new Float64Array(nCells);
  const sigma = options.librarySigma ?? 0.35;
  for (let i = 0; i < nCells; i++) {
    cellTypeCodes[i] = pick(cellTypes.map((t) => t.weight));
    conditionCodes[i] = pick(conditions.map((c) => c.weight));
    library[i] = Math.exp(sigma * rng.normal());
  }

  return {
    nCells,
    nGenes,
    cellTypes,
    conditions,
    cellTypeCodes,
    conditionCodes,
    library,
    geneNames: Array.from({ length: nGenes }, (_, g) => `gene${String(g).padStart(4, '0')}`),
    geneRoles: roles,
    truth,
    rows(from, to) {
      const indptr = new Int32Array(to - from + 1);
      const indices: number[] = [];
      const data: number[] = [];
      for (let i = from; i < to; i++) {
        // One stream per cell: any block of rows is reproducible on its own.
        const cellRng = createRng((seed * 0x9e3779b1 + i * 0x85ebca6b + 1) >>> 0);
        const mean = truth[cellTypeCodes[i] * C + conditionCodes[i]].mean;
        for (let g = 0; g < nGenes; g++) {
          // NB(μ, θ) as a gamma–Poisson mixture.
          const k = poisson(cellRng, (gamma(cellRng, theta) / theta) * mean[g] * library[i]);
          if (k > 0) {
            indices.push(g);
            data.push(k);
          }
        }
        indptr[i - from + 1] = indices.length;
      }
      return { format: 'csr', nRows: to - from, nCols: nGenes, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
    },
  };
}

/**
 * The simulation as AnnData for the writer: raw counts in X (CSR), obs condition / cell_type /
 * lineage (categoricals), var role and the truth per cell type × condition as var columns
 * `true_mean:<cell type>:<condition>` and `true_var:<cell type>:<condition>` (NB moments at library 1).
 */
export function perturbationAnnData(sim: PerturbationSim, blockRows = 2048): AnnDataInput {
  let nnz = 0;
  const blocks: CsrBlock[] = [];
  for (let s = 0; s < sim.nCells; s += blockRows) {
    const block = sim.rows(s, Math.min(sim.nCells, s + blockRows));
    nnz += block.data.length;
    blocks.push(block);
  }
  const lineages = [...new Set(sim.cellTypes.map((t) => t.lineage))];
  const truthColumns = sim.truth.flatMap((t) => {
    const label = `${sim.cellTypes[t.cellType].name}:${sim.conditions[t.condition].name}`;
    return [
      { name: `true_mean:${label}`, values: { kind: 'numeric' as const, values: Float64Array.from(t.mean) }, dtype: 'float64' },
      { name: `true_var:${label}`, values: { kind: 'numeric' as const, values: Float64Array.from(t.variance) }, dtype: 'float64' },
    ];
  });
  return {
    nObs: sim.nCells,
    nVars: sim.nGenes,
    X: { encoding: 'csr_matrix', nnz, blocks: (async function* () { yield* blocks; })() },
    obs: {
      index: Array.from({ length: sim.nCells }, (_, i) => `cell${i}`),
      columns: [
        { name: 'condition', values: { kind: 'categorical', codes: sim.conditionCodes, categories: sim.conditions.map((c) => c.name) } },
        { name: 'cell_type', values: { kind: 'categorical', codes: sim.cellTypeCodes, categories: sim.cellTypes.map((t) => t.name) } },
        { name: 'lineage', values: { kind: 'categorical', codes: Int32Array.from(sim.cellTypeCodes, (t) => lineages.indexOf(sim.cellTypes[t].lineage)), categories: lineages } },
      ],
    },
    var: {
      index: sim.geneNames,
      columns: [{ name: 'role', values: { kind: 'string', values: sim.geneRoles } }, ...truthColumns],
    },
  };
}

/**
 * Haber et al. 2017's small-intestine design (trVAE's second benchmark), as simulator presets: a
 * control, H. polyginus infection at day 3 and day 10 (day 10 keeps part of day 3's response: a
 * shared mechanism, stronger later) and Salmonella (a response of its own), the rare condition.
 */
export const haberLikeConditions: readonly ConditionSpec[] = [
  { name: 'Control', weight: 3.2, strength: 0, overlap: 0 },
  { name: 'Hpoly.Day3', weight: 2.1, strength: 0.8, overlap: 1 },
  { name: 'Hpoly.Day10', weight: 2.7, strength: 1.2, overlap: 0.6 },
  { name: 'Salmonella', weight: 0.6, strength: 1, overlap: 0.1 },
];

/** Eight epithelial types in absorptive and secretory lineages; Tuft is the rare held-out type (the paper's). */
export const haberLikeCellTypes: readonly CellTypeSpec[] = [
  { name: 'Enterocyte', lineage: 'absorptive', weight: 2.5, sharedStrength: 1.0 },
  { name: 'Enterocyte.Progenitor', lineage: 'absorptive', weight: 1.8, sharedStrength: 0.8 },
  { name: 'Stem', lineage: 'absorptive', weight: 1.8, sharedStrength: 0.6 },
  { name: 'TA', lineage: 'absorptive', weight: 1.5, sharedStrength: 0.7 },
  { name: 'TA.Early', lineage: 'absorptive', weight: 1.6, sharedStrength: 0.7 },
  { name: 'Goblet', lineage: 'secretory', weight: 0.8, sharedStrength: 1.4 },
  { name: 'Tuft', lineage: 'secretory', weight: 0.4, sharedStrength: 1.6 },
  { name: 'Endocrine', lineage: 'secretory', weight: 0.4, sharedStrength: 1.2 },
];
