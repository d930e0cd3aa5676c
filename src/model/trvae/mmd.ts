// MMD between the MMD-layer outputs of every pair of conditions in the batch, with trVAE's
// 19-scale Gaussian kernel and the biased (V-statistic) estimator, written so that f32 stays exact
// where it matters: self distances are exactly 0, kernel values are accumulated as e^{−u} − 1 (the
// constant 1 cancels in the estimator and would swamp the large-σ terms; computed through tanh, which
// keeps full relative precision for small u), and empty groups give 0.

import { constant, customGradient, type Tensor } from '../onnx/ir.ts';
import {
  add, cast, clip, div, gather, gemm, greater, mul, reduceSum, relu, reshape, scalar, slice, sub, sumAll, tanh, transpose,
} from '../onnx/ops.ts';

/** σ of the kernel, used as a variance: k = (1/19) Σ_s exp(−‖a − b‖² / (2σ_s)). */
// trVAE's 19 kernel scales: one definition, shared with the evaluation kernels.
import { MMD_SIGMAS } from '../../cpu/mmd.ts';

export { MMD_SIGMAS };

/**
 * K = (1/19) Σ_s (e^{−d/(2σ_s)} − 1) for a symmetric [B, B] matrix of squared distances with a zero
 * diagonal, with a hand-written gradient. Each term is −2q with q = (1 − e^{−2v})/2 =
 * tanh(v)/(1 + tanh(v)), v = d/(4σ): accurate near 0, where Exp(−u) − 1 would lose every digit.
 * dK/dd = (1/19) Σ_s (4/(4σ_s))·q_s − (1/19) Σ_s 2/(4σ_s), so one Gemm over the [19, ·] tensor gives
 * the kernel and its slope together; the chain rule through tanh and the division would cost a dozen
 * more passes over it. The elementwise chain over 19 scales was most of the step's non-GEMM time on
 * ORT-web's WASM EP (bench/train-profile.ts), so it runs on the upper triangle only (d[0, 0] = 0 and
 * the pairs i < j, packed) and a Gather spreads the kernel and slope back over [B, B]: entry (j, i)
 * takes the value of (i, j), which equals it up to rounding.
 */
function kernelMinusOne(d: Tensor): Tensor {
  const [b] = d.shape;
  const n = MMD_SIGMAS.length;
  const { packed, spread } = upperTriangle(b);
  const inv4Sigma = MMD_SIGMAS.map((s) => 1 / (4 * s));
  const dPacked = reshape(gather(reshape(d, [b * b]), packed, 0), [1, packed.length]);
  const t = tanh(mul(dPacked, constant(d.graph, d.dtype, [n, 1], inv4Sigma)));
  const q = div(t, add(t, scalar(t, 1)));
  const weights = constant(d.graph, d.dtype, [2, n], [...inv4Sigma.map(() => -2 / n), ...inv4Sigma.map((w) => (4 * w) / n)]);
  const sums = gather(gemm(weights, q), spread, 1);
  const kernel = reshape(slice(sums, [0], [1], [0]), [b, b]);
  const slopeConstant = -(2 / n) * inv4Sigma.reduce((a, w) => a + w, 0);
  const slope = add(reshape(slice(sums, [1], [2], [0]), [b, b]), scalar(d, slopeConstant));
  return customGradient(kernel, [d], ([gk]) => [gk && mul(gk, slope)]);
}

/**
 * For a symmetric [b, b] matrix with a zero diagonal: `packed`, the flat indices of entry (0, 0) and
 * of the pairs i < j; `spread`, for each flat index of [b, b], its place in `packed` ((j, i) that of
 * (i, j), every diagonal entry that of (0, 0)).
 */
function upperTriangle(b: number): { packed: number[]; spread: number[] } {
  const packed = [0];
  const place = new Int32Array(b * b);
  for (let i = 0; i < b; i++) {
    for (let j = i + 1; j < b; j++) {
      place[i * b + j] = place[j * b + i] = packed.length;
      packed.push(i * b + j);
    }
  }
  return { packed, spread: Array.from(place) };
}

/** Squared Euclidean distances [B, B] with an exactly-zero diagonal and no negative entries. */
export function pairwiseSquaredDistances(y: Tensor): Tensor {
  const [b] = y.shape;
  const norms = reduceSum(mul(y, y), [1], true);
  const gram = gemm(y, y, { transB: true, alpha: -2 });
  const d = relu(add(add(gram, norms), transpose(norms, [1, 0])));
  const offDiagonal = Array.from({ length: b * b }, (_, i) => (Math.floor(i / b) === i % b ? 0 : 1));
  return mul(d, constant(y.graph, y.dtype, [b, b], offDiagonal));
}

/** Σ over pairs i < j of conditions, both present in the batch, of MMD²(y | c = i, y | c = j). */
export function mmdAllPairs(y: Tensor, onehot: Tensor): Tensor {
  const nConditions = onehot.shape[1];
  const kernel = kernelMinusOne(pairwiseSquaredDistances(y));
  // Group sums S = Cᵀ K C and sizes n: S_ij / (n_i n_j) is the mean kernel between groups i and j.
  const sums = gemm(onehot, gemm(kernel, onehot), { transA: true });
  const counts = reduceSum(onehot, [0], true);
  const pairCounts = gemm(counts, counts, { transA: true });
  const means = div(sums, clip(pairCounts, 1, Number.MAX_VALUE));
  const identity = constant(y.graph, y.dtype, [nConditions, nConditions], Array.from({ length: nConditions ** 2 }, (_, i) => (Math.floor(i / nConditions) === i % nConditions ? 1 : 0)));
  const diagonal = reduceSum(mul(means, identity), [1], true);
  const pairMmd = sub(add(diagonal, transpose(diagonal, [1, 0])), mul(means, scalar(means, 2)));
  const present = cast(greater(counts, scalar(counts, 0)), y.dtype);
  const bothPresent = gemm(present, present, { transA: true });
  return mul(sumAll(mul(pairMmd, bothPresent)), scalar(y, 0.5));
}

