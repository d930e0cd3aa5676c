// The negative-binomial reconstruction term on raw counts (scArches-style), built from ONNX primitives:
// ONNX (opset ≤ 20) has no Lgamma, so log Γ is a shift recurrence plus Stirling's series, and its
// gradient (digamma) comes from autodiff of those primitives.

import type { Tensor } from '../onnx/ir.ts';
import { add, div, exp, log, matmul, mul, neg, reduceMax, reduceSum, relu, reshape, scalar, stopGradient, sub, sumAll } from '../onnx/ops.ts';

/** Shift of the recurrence: Stirling's series is evaluated at x + LGAMMA_SHIFT ≥ 6. */
const LGAMMA_SHIFT = 6;
/** Keeps the logs finite where μ or θ underflow (scArches uses the same 1e-8). */
const NB_EPS = 1e-8;

/**
 * log Γ(x) for x > 0: lgamma(x) = lgamma(x + 6) − log(x(x+1)·…·(x+5)), the product taken in pairs
 * (so that it stays finite in float32 for counts up to ~1e19), and Stirling's series at z = x + 6:
 * (z − ½)·log z − z + ½·log 2π + 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷), whose truncation
 * error at z ≥ 6 is below 1e-10.
 */
export function lgamma(x: Tensor): Tensor {
  const c = (v: number) => scalar(x, v);
  let shiftLog: Tensor | undefined;
  for (let k = 0; k < LGAMMA_SHIFT; k += 2) {
    const pair = log(mul(add(x, c(k)), add(x, c(k + 1))));
    shiftLog = shiftLog ? add(shiftLog, pair) : pair;
  }
  const z = add(x, c(LGAMMA_SHIFT));
  const inv = div(c(1), z);
  const inv2 = mul(inv, inv);
  // 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷) in Horner form.
  const series = mul(inv, add(c(1 / 12), mul(inv2, add(c(-1 / 360), mul(inv2, add(c(1 / 1260), mul(inv2, c(-1 / 1680))))))));
  const stirling = add(sub(mul(sub(z, c(0.5)), log(z)), z), add(c(0.5 * Math.log(2 * Math.PI)), series));
  return sub(stirling, shiftLog as Tensor);
}

/**
 * log of the NB mean's share of the library, [B, G]: a softmax of the decoder's logits over the model
 * genes plus one fixed-zero logit for every other gene of the cell. The size factors count all genes
 * (the library the inputs are normalised by), while the model sees a gene subset; the extra logit lets
 * the model genes' means sum to less than the library, as their counts do. The shift max(0, max logit)
 * is exact for any value, so it carries no gradient. No node depends on the batch size (the predict
 * graph is exported with a symbolic batch).
 */
export function logLibraryShare(logits: Tensor): Tensor {
  const shift = stopGradient(relu(reduceMax(logits, [1], true)));
  const sum = add(reduceSum(exp(sub(logits, shift)), [1], true), exp(neg(shift)));
  return sub(logits, add(shift, log(sum)));
}

/**
 * NB negative log-likelihood summed over genes and averaged over cells:
 * μ = share · size factor, θ = exp(log_theta) of the cell's condition (one-hot c [B, C] · [C, G]),
 * log NB(x | μ, θ) = lgamma(x+θ) − lgamma(θ) − lgamma(x+1) + θ·(log θ − log(θ+μ)) + x·(log μ − log(θ+μ)).
 */
export function negativeBinomialLoss(counts: Tensor, sizeFactors: Tensor, logShare: Tensor, condition: Tensor, logTheta: Tensor): Tensor {
  const [b] = counts.shape;
  const c = (v: number) => scalar(counts, v);
  // size_factors [B] → [B, 1]; log(s + eps) keeps empty cells finite (their counts are all 0).
  const logMu = add(logShare, log(add(reshape(sizeFactors, [b, 1]), c(NB_EPS))));
  const mu = exp(logMu);
  const theta = matmul(condition, exp(logTheta));
  const logThetaCell = log(add(theta, c(NB_EPS)));
  const logThetaMu = log(add(add(theta, mu), c(NB_EPS)));
  const logNb = add(
    sub(sub(lgamma(add(counts, theta)), lgamma(theta)), lgamma(add(counts, c(1)))),
    add(mul(theta, sub(logThetaCell, logThetaMu)), mul(counts, sub(logMu, logThetaMu))),
  );
  return mul(sumAll(logNb), c(-1 / b));
}

