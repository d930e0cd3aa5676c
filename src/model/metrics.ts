// The paper's evaluation of a counterfactual prediction: R² (squared Pearson r, i.e. the R² of a
// linear regression of real on predicted) of per-gene means and per-gene variances (ddof 0), on all
// genes and on the top DEGs by a Wilcoxon rank-sum test (target vs source, scanpy's scores without
// tie correction), averaged over bootstrap resamples of the cells. Besides the paper's R², the two
// metrics of recent benchmarks (scPerturBench) on the top DEGs: the Pearson correlation of the
// predicted vs the real change from the source cells, and the energy distance between the predicted
// and the real cells.

import { createRng, type Rng } from '../random.ts';

export interface Cells {
  /** Row-major [n, nGenes]. */
  readonly x: Float32Array;
  readonly n: number;
}

/** Pearson r; NaN when either side is constant (e.g. a prediction that changes nothing). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Number.NaN;
}

export function pearsonR2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(a, b) ** 2;
}

/** Per-gene mean and variance (ddof 0) over the given rows (all rows when omitted). */
export function geneMoments(cells: Cells, nGenes: number, rows?: ArrayLike<number>): { mean: Float64Array; variance: Float64Array } {
  const n = rows ? rows.length : cells.n;
  const mean = new Float64Array(nGenes);
  const sq = new Float64Array(nGenes);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    const off = r * nGenes;
    for (let g = 0; g < nGenes; g++) {
      const v = cells.x[off + g];
      mean[g] += v;
      sq[g] += v * v;
    }
  }
  const variance = new Float64Array(nGenes);
  for (let g = 0; g < nGenes; g++) {
    mean[g] /= n;
    variance[g] = Math.max(0, sq[g] / n - mean[g] * mean[g]);
  }
  return { mean, variance };
}

/** Wilcoxon rank-sum z-scores of `group` vs `reference`, per gene (scanpy: ranks with ties averaged, no tie correction). */
export function wilcoxonScores(group: Cells, reference: Cells, nGenes: number): Float64Array {
  const n1 = group.n;
  const n2 = reference.n;
  const n = n1 + n2;
  const scores = new Float64Array(nGenes);
  const values = new Float64Array(n);
  const order = new Uint32Array(n);
  const sd = Math.sqrt((n1 * n2 * (n + 1)) / 12);
  for (let g = 0; g < nGenes; g++) {
    for (let i = 0; i < n1; i++) values[i] = group.x[i * nGenes + g];
    for (let i = 0; i < n2; i++) values[n1 + i] = reference.x[i * nGenes + g];
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => values[a] - values[b]);
    let rankSum = 0;
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
      const rank = (i + j) / 2 + 1;
      for (let k = i; k <= j; k++) if (order[k] < n1) rankSum += rank;
      i = j + 1;
    }
    scores[g] = (rankSum - (n1 * (n + 1)) / 2) / sd;
  }
  return scores;
}

/** Indices of the `k` highest scores, highest first. */
export function topIndices(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, Math.min(k, scores.length));
}

/**
 * Pearson r of the predicted change mean(pred) − mean(source) vs the real change mean(real) −
 * mean(source), over the given genes. NaN when the prediction changes every gene equally (the
 * source cells as they are).
 */
export function deltaCorrelation(pred: Cells, real: Cells, source: Cells, nGenes: number, genes: readonly number[]): number {
  const p = geneMoments(pred, nGenes).mean;
  const r = geneMoments(real, nGenes).mean;
  const s = geneMoments(source, nGenes).mean;
  return pearson(genes.map((g) => p[g] - s[g]), genes.map((g) => r[g] - s[g]));
}

/** Up to `max` distinct row indices of `n`, drawn without replacement (all rows when n ≤ max). */
function subsampleRows(n: number, max: number, rng: Rng): Uint32Array {
  const rows = Uint32Array.from({ length: n }, (_, i) => i);
  if (n <= max) return rows;
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(n - i);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows.slice(0, max);
}

/**
 * Energy distance 2·E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Euclidean) between two sets of cells on the
 * given genes, each side subsampled to at most `maxCells` cells. The within-set means leave out the
 * pairs of a cell with itself (U-statistics), so that two samples of one distribution score ≈ 0.
 */
export function energyDistance(a: Cells, b: Cells, nGenes: number, genes: readonly number[], maxCells = 500, seed = 0): number {
  const rng = createRng(seed, 1);
  const pick = (cells: Cells) => {
    const rows = subsampleRows(cells.n, maxCells, rng);
    const k = genes.length;
    const out = new Float64Array(rows.length * k);
    rows.forEach((r, i) => genes.forEach((g, j) => (out[i * k + j] = cells.x[r * nGenes + g])));
    return { v: out, n: rows.length };
  };
  const x = pick(a);
  const y = pick(b);
  const k = genes.length;
  const meanDistance = (p: typeof x, q: typeof x, same: boolean) => {
    let sum = 0;
    for (let i = 0; i < p.n; i++) {
      for (let j = same ? i + 1 : 0; j < q.n; j++) {
        let d = 0;
        for (let g = 0; g < k; g++) {
          const t = p.v[i * k + g] - q.v[j * k + g];
          d += t * t;
        }
        sum += Math.sqrt(d);
      }
    }
    const pairs = same ? (p.n * (p.n - 1)) / 2 : p.n * q.n;
    return pairs > 0 ? sum / pairs : 0;
  };
  if (x.n === 0 || y.n === 0) return Number.NaN;
  return 2 * meanDistance(x, y, false) - meanDistance(x, x, true) - meanDistance(y, y, true);
}

export interface R2Table {
  readonly meanAll: number;
  readonly varianceAll: number;
  readonly meanTop: number;
  readonly varianceTop: number;
}

function r2Table(pred: Cells, real: Cells, nGenes: number, top: readonly number[], predRows?: ArrayLike<number>, realRows?: ArrayLike<number>): R2Table {
  const p = geneMoments(pred, nGenes, predRows);
  const r = geneMoments(real, nGenes, realRows);
  const pick = (a: Float64Array) => top.map((g) => a[g]);
  return {
    meanAll: pearsonR2(r.mean, p.mean),
    varianceAll: pearsonR2(r.variance, p.variance),
    meanTop: pearsonR2(pick(r.mean), pick(p.mean)),
    varianceTop: pearsonR2(pick(r.variance), pick(p.variance)),
  };
}

export interface PredictionEvaluation {
  /** On all cells, no resampling. */
  readonly full: R2Table;
  /** Mean and standard deviation over bootstrap resamples. */
  readonly bootstrapMean: R2Table;
  readonly bootstrapStd: R2Table;
  readonly bootstrapSamples: number;
  /** Gene indices of the top DEGs (target vs source), highest score first. */
  readonly degs: readonly number[];
  /** Pearson r of predicted vs real change from the source cells on the top DEGs (NaN: no predicted change). */
  readonly deltaPearsonTop: number;
  /** Energy distance between predicted and real cells on the top DEGs (subsampled to `energyCells`). */
  readonly energyTop: number;
}

export interface EvaluationOptions {
  readonly nGenes: number;
  readonly nDegs?: number;
  readonly bootstrap?: number;
  readonly seed?: number;
  /** Cells per side at most for the energy distance (default 500). */
  readonly energyCells?: number;
  /** The top DEGs when already known (they depend on the real and source cells only, not on the prediction). */
  readonly degs?: readonly number[];
}

/** Evaluates predicted target cells against the real target cells; `source` defines the DEGs. */
export function evaluatePrediction(pred: Cells, real: Cells, source: Cells, options: EvaluationOptions): PredictionEvaluation {
  const { nGenes, nDegs = 100, bootstrap = 100, seed = 0, energyCells = 500 } = options;
  if (pred.n === 0 || real.n === 0 || source.n === 0) throw new Error(`evaluation needs cells in each group (predicted ${pred.n}, real ${real.n}, source ${source.n})`);
  const degs = options.degs ?? topIndices(wilcoxonScores(real, source, nGenes), nDegs);
  const full = r2Table(pred, real, nGenes, degs);
  const rng = createRng(seed);
  const samples: R2Table[] = [];
  for (let b = 0; b < bootstrap; b++) {
    const pr = Uint32Array.from({ length: pred.n }, () => Math.floor(rng.next() * pred.n));
    const rr = Uint32Array.from({ length: real.n }, () => Math.floor(rng.next() * real.n));
    samples.push(r2Table(pred, real, nGenes, degs, pr, rr));
  }
  const keys = ['meanAll', 'varianceAll', 'meanTop', 'varianceTop'] as const;
  const avg = (k: (typeof keys)[number]) => samples.reduce((s, t) => s + t[k], 0) / Math.max(1, samples.length);
  const bootstrapMean = Object.fromEntries(keys.map((k) => [k, samples.length ? avg(k) : full[k]])) as unknown as R2Table;
  const bootstrapStd = Object.fromEntries(
    keys.map((k) => [k, samples.length > 1 ? Math.sqrt(samples.reduce((s, t) => s + (t[k] - bootstrapMean[k]) ** 2, 0) / (samples.length - 1)) : 0]),
  ) as unknown as R2Table;
  return {
    full,
    bootstrapMean,
    bootstrapStd,
    bootstrapSamples: bootstrap,
    degs,
    deltaPearsonTop: deltaCorrelation(pred, real, source, nGenes, degs),
    energyTop: energyDistance(pred, real, nGenes, degs, energyCells, seed),
  };
}
