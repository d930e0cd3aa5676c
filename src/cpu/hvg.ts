// Highly variable genes over an out-of-core dataset: per-gene moments accumulated batch by batch
// (Chan et al.'s parallel update, float64), then scanpy's highly_variable_genes(flavor='seurat',
// n_top_genes=N). The moments are of normalised expression on the linear scale (scanpy's expm1 of the
// log data), so counts are normalised on the fly and log1p data is expm1'd.
import { SourceError } from '../source/errors.ts';
import type { CsrBlock } from '../source/types.ts';
import { badValuesError, badValuesOf, createBadValueTally, noteBadValue, type BadValueNames, type BadValueTally } from './bad-values.ts';
import { KernelInputError } from './errors.ts';
import { validateRowIds } from './csr-pool.ts';

/** What the matrix holds: raw counts (normalised here with targetSum) or log1p(normalised) values. */
export type HvgInput = { readonly kind: 'counts'; readonly targetSum: number } | { readonly kind: 'log1p' };

/** Running per-gene count, mean and M2 = Σ (x − mean)² in float64. */
export interface GeneMoments {
  count: number;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
}

export function createGeneMoments(nGenes: number): GeneMoments {
  return { count: 0, mean: new Float64Array(nGenes), m2: new Float64Array(nGenes) };
}

/**
 * Merge a partial (n rows; per-gene mean and M2 read at `stride`·g + `offset`) into `acc`:
 * δ = m_b − m_a, mean = m_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n.
 */
export function mergeMoments(acc: GeneMoments, n: number, mean: ArrayLike<number>, m2: ArrayLike<number>, stride = 1, meanOffset = 0, m2Offset = 0): void {
  if (n === 0) return;
  const na = acc.count;
  const total = na + n;
  const wb = n / total;
  const wab = (na * n) / total;
  for (let g = 0; g < acc.mean.length; g++) {
    const mb = mean[stride * g + meanOffset];
    const delta = mb - acc.mean[g];
    acc.mean[g] += delta * wb;
    acc.m2[g] += m2[stride * g + m2Offset] + delta * delta * wab;
  }
  acc.count = total;
}

/** Sample variance (ddof 1, as scanpy), per gene. */
export function variances(acc: GeneMoments): Float64Array {
  return acc.m2.map((m) => (acc.count > 1 ? m / (acc.count - 1) : NaN));
}

export interface AccumulateOptions extends Omit<BadValueNames, 'kind'> {
  /** Reused buffers of nGenes entries. */
  readonly scratch?: { sum: Float64Array; nnz: Int32Array; dev: Float64Array };
  /** Dataset row of pool row 0, for the bad-values message. */
  readonly firstRow?: number;
}

/**
 * CPU path: moments of one batch of pool rows (two passes over its non-zeros, float64), merged into acc.
 * Zeros count: a gene's M2 adds (rows − nnz_g)·mean² for the cells that lack it. This pass sees
 * every stored value first: NaN, ±Inf or a negative value throws a 'bad-values' SourceError
 * (src/cpu/bad-values.ts) before anything is merged.
 */
export function accumulateCsr(acc: GeneMoments, pool: CsrBlock, rowIds: ArrayLike<number>, input: HvgInput, options: AccumulateOptions = {}): void {
  const { scratch } = options;
  const nGenes = acc.mean.length;
  if (pool.nCols !== nGenes) throw new KernelInputError('pool.nCols', `is ${pool.nCols}, the moments are of ${nGenes} genes`);
  validateRowIds(rowIds, pool.nRows, Number.MAX_SAFE_INTEGER);
  const n = rowIds.length;
  if (n === 0) return;
  const sum = scratch?.sum.fill(0) ?? new Float64Array(nGenes);
  const nnz = scratch?.nnz.fill(0) ?? new Int32Array(nGenes);
  const dev = scratch?.dev.fill(0) ?? new Float64Array(nGenes);
  const { indptr, indices, data } = pool;
  const value = (j: number, factor: number) => (input.kind === 'counts' ? data[j] * factor : Math.expm1(data[j]));
  const factors = new Float64Array(n);
  let bad: BadValueTally | undefined;
  for (let i = 0; i < n; i++) {
    const r = rowIds[i];
    for (let j = indptr[r]; j < indptr[r + 1]; j++) {
      const x = data[j];
      if (!(x >= 0 && x !== Infinity)) noteBadValue((bad ??= createBadValueTally()), (options.firstRow ?? 0) + r, indices[j], x);
    }
  }
  if (bad) throw badValuesError(badValuesOf(bad)!, { ...options, kind: input.kind });
  for (let i = 0; i < n; i++) {
    const r = rowIds[i];
    if (input.kind === 'counts') {
      let total = 0;
      for (let j = indptr[r]; j < indptr[r + 1]; j++) total += data[j];
      factors[i] = total > 0 ? input.targetSum / total : 0;
    }
    for (let j = indptr[r]; j < indptr[r + 1]; j++) {
      sum[indices[j]] += value(j, factors[i]);
      nnz[indices[j]]++;
    }
  }
  for (let g = 0; g < nGenes; g++) sum[g] /= n; // now the batch mean
  for (let i = 0; i < n; i++) {
    const r = rowIds[i];
    for (let j = indptr[r]; j < indptr[r + 1]; j++) {
      const d = value(j, factors[i]) - sum[indices[j]];
      dev[indices[j]] += d * d;
    }
  }
  for (let g = 0; g < nGenes; g++) dev[g] += (n - nnz[g]) * sum[g] * sum[g];
  mergeMoments(acc, n, sum, dev);
}

export interface SeuratHvg {
  /** log1p of the mean (scanpy's `means`). */
  readonly means: Float64Array;
  /** log of var/mean; NaN where the variance is 0 (scanpy's `dispersions`). */
  readonly dispersions: Float64Array;
  /** z-score of the dispersion within its mean bin (scanpy's `dispersions_norm`). */
  readonly dispersionsNorm: Float64Array;
  readonly highlyVariable: Uint8Array;
  /** Var indices of the highly variable genes, in var order (scanpy's subset order). */
  readonly selected: Int32Array;
}

/** Sample mean and std (ddof 1) of the non-NaN values, as pandas' groupby mean/std. */
function meanStd(values: number[]): [number, number] {
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return [mean, NaN];
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return [mean, Math.sqrt(ss / (n - 1))];
}

/**
 * scanpy's highly_variable_genes(flavor='seurat', n_top_genes=nTop, n_bins) from per-gene mean and
 * variance (ddof 1) of the normalised linear-scale expression.
 */
export function seuratHvg(mean: ArrayLike<number>, variance: ArrayLike<number>, nTop: number, nBins = 20): SeuratHvg {
  const nGenes = mean.length;
  if (variance.length !== nGenes) throw new KernelInputError('variance', `has ${variance.length} entries for ${nGenes} means`);
  if (!(Number.isInteger(nTop) && nTop > 0)) throw new KernelInputError('nTop', `must be a positive integer; got ${nTop}`);
  if (!(Number.isInteger(nBins) && nBins > 0)) throw new KernelInputError('nBins', `must be a positive integer; got ${nBins}`);
  if (nGenes === 0) throw new SourceError('malformed', 'X', 'X has 0 genes (var is empty): there are no genes to select from.');
  for (let g = 0; g < nGenes; g++) {
    // Moments from the GPU path, or merged ones, may carry a NaN the CPU pass would have refused.
    if (!(Number.isFinite(mean[g]) && Number.isFinite(variance[g]) && mean[g] >= 0)) {
      throw new SourceError('bad-values', 'X', `gene ${g} has mean ${mean[g]} and variance ${variance[g]}: X holds NaN, ±Inf or negative values. Training needs finite, non-negative counts or log-normalised values.`);
    }
  }
  const means = new Float64Array(nGenes);
  const dispersions = new Float64Array(nGenes);
  for (let g = 0; g < nGenes; g++) {
    const m = mean[g] === 0 ? 1e-12 : mean[g];
    const d = variance[g] / m;
    dispersions[g] = d === 0 ? NaN : Math.log(d);
    means[g] = Math.log1p(m);
  }
  // pd.cut(means, nBins): equal-width edges from min to max (numpy linspace), first edge lowered by
  // 0.1% of the range, intervals closed on the right.
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of means) {
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  const edges = new Float64Array(nBins + 1);
  if (lo === hi) {
    const adj = lo === 0 ? 0.001 : 0.001 * Math.abs(lo);
    const step = (hi + adj - (lo - adj)) / nBins;
    for (let i = 0; i <= nBins; i++) edges[i] = i * step + (lo - adj);
    edges[nBins] = hi + adj;
  } else {
    const step = (hi - lo) / nBins;
    for (let i = 0; i <= nBins; i++) edges[i] = i * step + lo;
    edges[nBins] = hi;
    edges[0] -= (hi - lo) * 0.001;
  }
  const bin = new Int32Array(nGenes);
  for (let g = 0; g < nGenes; g++) {
    // searchsorted(edges, x, side='left') − 1.
    let k = 0;
    while (k <= nBins && edges[k] < means[g]) k++;
    bin[g] = k - 1;
  }
  const members: number[][] = Array.from({ length: nBins }, () => []);
  for (let g = 0; g < nGenes; g++) if (!Number.isNaN(dispersions[g])) members[bin[g]].push(dispersions[g]);
  const avg = new Float64Array(nBins);
  const dev = new Float64Array(nBins);
  for (let b = 0; b < nBins; b++) {
    const [m, s] = meanStd(members[b]);
    // A bin with one gene has no std: scanpy sets that gene's normalised dispersion to 1.
    [avg[b], dev[b]] = Number.isNaN(s) ? [0, m] : [m, s];
  }
  const dispersionsNorm = dispersions.map((d, g) => (d - avg[bin[g]]) / dev[bin[g]]);
  // Genes at or above the nTop-th highest normalised dispersion (NaN never; ties may add genes).
  const finite = dispersionsNorm.filter((v) => !Number.isNaN(v)).sort().reverse();
  if (finite.length === 0) {
    throw new SourceError('bad-values', 'X', `none of the ${nGenes} genes varies across cells (every gene's variance is 0): is X all zeros, or constant per gene?`);
  }
  const highlyVariable = new Uint8Array(nGenes);
  const cut = finite[Math.min(nTop, finite.length) - 1];
  for (let g = 0; g < nGenes; g++) highlyVariable[g] = dispersionsNorm[g] >= cut ? 1 : 0;
  const selected: number[] = [];
  highlyVariable.forEach((h, g) => h && selected.push(g));
  return { means, dispersions, dispersionsNorm, highlyVariable, selected: Int32Array.from(selected) };
}
