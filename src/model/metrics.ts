// The paper's evaluation of a counterfactual prediction: R² (squared Pearson r, i.e. the R² of a
// linear regression of real on predicted) of per-gene means and per-gene variances (ddof 0), on all
// genes and on the top DEGs by a Wilcoxon rank-sum test (target vs source, scanpy's scores without
// tie correction), averaged over bootstrap resamples of the cells.

import { createRng } from './random.ts';

export interface Cells {
  /** Row-major [n, nGenes]. */
  readonly x: Float32Array;
  readonly n: number;
}

export function pearsonR2(a: ArrayLike<number>, b: ArrayLike<number>): number {
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
  return saa > 0 && sbb > 0 ? (sab * sab) / (saa * sbb) : Number.NaN;
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
}

export interface EvaluationOptions {
  readonly nGenes: number;
  readonly nDegs?: number;
  readonly bootstrap?: number;
  readonly seed?: number;
}

/** Evaluates predicted target cells against the real target cells; `source` defines the DEGs. */
export function evaluatePrediction(pred: Cells, real: Cells, source: Cells, options: EvaluationOptions): PredictionEvaluation {
  const { nGenes, nDegs = 100, bootstrap = 100, seed = 0 } = options;
  if (pred.n === 0 || real.n === 0 || source.n === 0) throw new Error(`evaluation needs cells in each group (predicted ${pred.n}, real ${real.n}, source ${source.n})`);
  const degs = topIndices(wilcoxonScores(real, source, nGenes), nDegs);
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
  return { full, bootstrapMean, bootstrapStd, bootstrapSamples: bootstrap, degs };
}
