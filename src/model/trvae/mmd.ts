// MMD between the MMD-layer outputs of every pair of conditions in the batch, with trVAE's
// 19-scale Gaussian kernel and the biased (V-statistic) estimator, written so that f32 stays exact
// where it matters: self distances are exactly 0, kernel values are accumulated as e^{−u} − 1 (the
// constant 1 cancels in the estimator and would swamp the large-σ terms; computed through tanh, which
// keeps full relative precision for small u), and empty groups give 0.

import { constant, type Tensor } from '../onnx/ir.ts';
import {
  add, cast, clip, div, gemm, greater, mul, neg, reduceSum, relu, reshape, scalar, sub, sumAll, tanh, transpose,
} from '../onnx/ops.ts';

/** σ of the kernel, used as a variance: k = (1/19) Σ_s exp(−‖a − b‖² / (2σ_s)). */
// trVAE's 19 kernel scales: one definition, shared with the evaluation kernels.
import { MMD_SIGMAS } from '../../cpu/mmd.ts';

export { MMD_SIGMAS };

/**
 * (e^{−2v} − 1) / 2 = −tanh(v) / (1 + tanh(v)) for v ≥ 0: accurate near 0 (where Exp(−u) − 1 would
 * lose every digit), −½ for large v, and only a few elementwise passes over the [σ, B, B] tensor.
 */
function halfExpm1NegTwice(v: Tensor): Tensor {
  const t = tanh(v);
  return neg(div(t, add(t, scalar(t, 1))));
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
  const [b] = y.shape;
  const nConditions = onehot.shape[1];
  const d = reshape(pairwiseSquaredDistances(y), [1, b, b]);
  // e^{−d/(2σ)} − 1 = 2 · halfExpm1NegTwice(d/(4σ))
  const inv4Sigma = constant(y.graph, y.dtype, [MMD_SIGMAS.length, 1, 1], MMD_SIGMAS.map((s) => 1 / (4 * s)));
  const kernelMinusOne = mul(reduceSum(halfExpm1NegTwice(mul(d, inv4Sigma)), [0]), scalar(y, 2 / MMD_SIGMAS.length));
  // Group sums S = Cᵀ K C and sizes n: S_ij / (n_i n_j) is the mean kernel between groups i and j.
  const sums = gemm(onehot, gemm(kernelMinusOne, onehot), { transA: true });
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

