// MMD between groups of rows with trVAE's multi-scale RBF kernel, on the CPU (float64): the reference
// for shaders/mmd-tiles.wgsl and the evaluation path without WebGPU. Biased V-statistic summed over
// every pair of groups present: Σ_{g<h} mean(K_gg) + mean(K_hh) − 2·mean(K_gh).
import { KernelInputError } from './errors.ts';

/** σ of the kernel, used as a variance: k = (1/19) Σ_s exp(−‖a − b‖² / (2σ_s)). */
export const MMD_SIGMAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 5, 10, 15, 20, 25, 30, 35, 100, 1e3, 1e4, 1e5, 1e6] as const;

export interface MmdResult {
  /** Σ over pairs g < h of groups both present of MMD²(g, h); 0 when fewer than two groups are present. */
  readonly total: number;
  /** [nGroups, nGroups]: MMD²(g, h) for g ≠ h both present, else 0 (symmetric). */
  readonly pairs: Float64Array;
  /** Rows per group (rows with code −1 are ignored). */
  readonly counts: Int32Array;
}

export function validateMmdInput(y: { length: number } | number, rows: number, dims: number, codes: ArrayLike<number>, nGroups: number): void {
  if (!(Number.isInteger(dims) && dims > 0)) throw new KernelInputError('dims', `must be a positive integer; got ${dims}`);
  if (!(Number.isInteger(nGroups) && nGroups > 0)) throw new KernelInputError('nGroups', `must be a positive integer; got ${nGroups}`);
  if (codes.length !== rows) throw new KernelInputError('codes', `has ${codes.length} entries for ${rows} rows`);
  const length = typeof y === 'number' ? y : y.length;
  if (length < rows * dims) throw new KernelInputError('y', `holds ${length} values, fewer than ${rows} rows × ${dims} dims`);
  for (let i = 0; i < rows; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < -1 || c >= nGroups) {
      throw new KernelInputError('codes', `entry ${i} is ${c}, not a group in [0, ${nGroups}) or −1 (ignored)`);
    }
  }
}

const inverseTwoSigma = MMD_SIGMAS.map((sigma) => 1 / (2 * sigma));

/** (1/19) Σ_s (exp(−d / (2σ_s)) − 1): the kernel minus its constant 1, exact near d = 0. */
export function kernelMinusOne(squaredDistance: number): number {
  let sum = 0;
  for (const beta of inverseTwoSigma) {
    const u = squaredDistance * beta;
    // Past u = 40, e^{−u} < 2^−57 and expm1(−u) rounds to −1 in float64: skip the call.
    sum += u > 40 ? -1 : Math.expm1(-u);
  }
  return sum / MMD_SIGMAS.length;
}

/**
 * MMD from group sums S[g, h] = Σ_{a∈g, b∈h} (k(a, b) − 1) (ordered pairs) and group sizes. The 1s
 * cancel in mean(K_gg) + mean(K_hh) − 2·mean(K_gh), so the large-σ terms survive.
 */
export function mmdFromKernelSums(sums: Float64Array, counts: Int32Array): MmdResult {
  const n = counts.length;
  const pairs = new Float64Array(n * n);
  let total = 0;
  for (let g = 0; g < n; g++) {
    for (let h = g + 1; h < n; h++) {
      if (counts[g] === 0 || counts[h] === 0) continue;
      const m =
        sums[g * n + g] / (counts[g] * counts[g]) + sums[h * n + h] / (counts[h] * counts[h]) - (2 * sums[g * n + h]) / (counts[g] * counts[h]);
      pairs[g * n + h] = pairs[h * n + g] = m;
      total += m;
    }
  }
  return { total, pairs, counts };
}

/** Rows per group, ignoring −1. */
export function groupCounts(codes: ArrayLike<number>, nGroups: number): Int32Array {
  const counts = new Int32Array(nGroups);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) counts[codes[i]]++;
  return counts;
}

/** MMD of `rows` rows of y ([rows, dims] row-major) grouped by `codes` (−1 = ignored). O(rows² · dims). */
export function mmd(y: Float32Array | Float64Array, rows: number, dims: number, codes: ArrayLike<number>, nGroups: number, signal?: AbortSignal): MmdResult {
  validateMmdInput(y, rows, dims, codes, nGroups);
  const sums = new Float64Array(nGroups * nGroups);
  for (let a = 0; a < rows; a++) {
    if (a % 256 === 0) signal?.throwIfAborted();
    const ga = codes[a];
    if (ga < 0) continue;
    for (let b = a + 1; b < rows; b++) {
      const gb = codes[b];
      if (gb < 0) continue;
      let d = 0;
      for (let k = 0, ia = a * dims, ib = b * dims; k < dims; k++) {
        const diff = y[ia + k] - y[ib + k];
        d += diff * diff;
      }
      const k1 = kernelMinusOne(d);
      sums[ga * nGroups + gb] += k1;
      sums[gb * nGroups + ga] += k1;
    }
  }
  return mmdFromKernelSums(sums, groupCounts(codes, nGroups));
}
