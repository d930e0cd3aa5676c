// The trVAE forward pass and loss terms, built into a graph from tensors for parameters and batch.

import type { Tensor } from '../onnx/ir.ts';
import {
  add, clip, concat, div, exp, gemm, leakyRelu, log, matmul, meanAll, mul, reduceMean, relu, scalar, sqrt, sub, sumAll,
} from '../onnx/ops.ts';
import type { TrvaeConfig } from './config.ts';
import { mmdAllPairs } from './mmd.ts';
import { logLibraryShare, negativeBinomialLoss } from './nb.ts';
import { NB_LOG_THETA, type HiddenBlockNames, type Layout } from './params.ts';

/** The library size NB predictions are normalised to (scanpy's normalize_total default, as the inputs). */
export const NB_PREDICT_TARGET_SUM = 1e4;

export type Tensors = ReadonlyMap<string, Tensor>;

/** Training: batch statistics (and their running averages as extra outputs); inference: running statistics. */
export type Mode = { readonly training: true; readonly masks: Tensors } | { readonly training: false };

export interface BlockResult {
  readonly output: Tensor;
  /** Before dropout (the MMD layer y is the first decoder block's). */
  readonly activation: Tensor;
  readonly statUpdates: [string, Tensor][];
}

function get(map: Tensors, name: string): Tensor {
  const t = map.get(name);
  if (!t) throw new Error(`trVAE graph: missing tensor "${name}"`);
  return t;
}

/** Keras BatchNormalization from primitives: biased batch variance to normalise, Bessel-corrected for the running average. */
function batchNorm(h: Tensor, names: HiddenBlockNames, params: Tensors, stats: Tensors, config: TrvaeConfig, training: boolean) {
  const gamma = get(params, names.gamma);
  const beta = get(params, names.beta);
  const eps = scalar(h, config.bnEpsilon);
  if (!training) {
    const scale = mul(gamma, sqrtInv(add(get(stats, names.runningVar), eps)));
    return { out: add(mul(sub(h, get(stats, names.runningMean)), scale), beta), updates: [] as [string, Tensor][] };
  }
  const n = h.shape[0];
  const mean = reduceMean(h, [0]);
  const centred = sub(h, mean);
  const variance = reduceMean(mul(centred, centred), [0]);
  const out = add(mul(centred, mul(gamma, sqrtInv(add(variance, eps)))), beta);
  const m = config.bnMomentum;
  const unbiased = mul(variance, scalar(h, n / (n - (1 + config.bnEpsilon))));
  const ema = (old: Tensor, batch: Tensor) => add(mul(old, scalar(old, m)), mul(batch, scalar(batch, 1 - m)));
  return {
    out,
    updates: [
      [names.runningMean, ema(get(stats, names.runningMean), mean)],
      [names.runningVar, ema(get(stats, names.runningVar), unbiased)],
    ] as [string, Tensor][],
  };
}

const sqrtInv = (t: Tensor) => div(scalar(t, 1), sqrt(t));

/** Dense (no bias) → BatchNorm → LeakyReLU → Dropout. */
function hiddenBlock(h: Tensor, names: HiddenBlockNames, params: Tensors, stats: Tensors, config: TrvaeConfig, mode: Mode): BlockResult {
  const bn = batchNorm(matmul(h, get(params, names.weight)), names, params, stats, config, mode.training);
  const activation = leakyRelu(bn.out, config.leakySlope);
  const output = mode.training && config.dropout > 0 ? mul(activation, get(mode.masks, names.mask)) : activation;
  return { output, activation, statUpdates: bn.updates };
}

export interface EncoderResult {
  readonly mu: Tensor;
  readonly logvar: Tensor;
  readonly z: Tensor;
  readonly statUpdates: [string, Tensor][];
}

/** `condition` (one-hot) is concatenated to the input of the first block; scGen has none. */
export function encode(x: Tensor, condition: Tensor | undefined, eps: Tensor, lay: Layout, params: Tensors, stats: Tensors, config: TrvaeConfig, mode: Mode): EncoderResult {
  let h = condition ? concat([x, condition], 1) : x;
  const statUpdates: [string, Tensor][] = [];
  for (const names of lay.encoder) {
    const r = hiddenBlock(h, names, params, stats, config, mode);
    h = r.output;
    statUpdates.push(...r.statUpdates);
  }
  const mu = gemm(h, get(params, 'enc.mu.w'), { c: get(params, 'enc.mu.b') });
  const logvar = clip(gemm(h, get(params, 'enc.logvar.w'), { c: get(params, 'enc.logvar.b') }), config.logvarMin, config.logvarMax);
  const z = add(mu, mul(exp(mul(logvar, scalar(logvar, 0.5))), eps));
  return { mu, logvar, z, statUpdates };
}

export interface DecoderResult {
  readonly y: Tensor;
  /** The last layer before its activation. */
  readonly logits: Tensor;
  /**
   * The reconstruction on the inputs' scale: ReLU of the logits for MSE/SSE; for NB, the mean's
   * share of the library normalised like counts inputs, log1p(share · 1e4) (normalize_total 1e4 +
   * log1p), so predictions compare with log-normalised data without knowing the cell's library size.
   */
  readonly xhat: Tensor;
  readonly statUpdates: [string, Tensor][];
}

export function decode(z: Tensor, condition: Tensor | undefined, lay: Layout, params: Tensors, stats: Tensors, config: TrvaeConfig, mode: Mode): DecoderResult {
  let h = condition ? concat([z, condition], 1) : z;
  let y: Tensor | undefined;
  const statUpdates: [string, Tensor][] = [];
  for (const names of lay.decoder) {
    const r = hiddenBlock(h, names, params, stats, config, mode);
    y ??= r.activation;
    h = r.output;
    statUpdates.push(...r.statUpdates);
  }
  const logits = gemm(h, get(params, 'dec.out.w'), { c: get(params, 'dec.out.b') });
  const xhat = config.recon === 'nb' ? log(add(mul(exp(logLibraryShare(logits)), scalar(logits, NB_PREDICT_TARGET_SUM)), scalar(logits, 1))) : relu(logits);
  return { y: y as Tensor, logits, xhat, statUpdates };
}

export interface Losses {
  readonly recon: Tensor;
  readonly kl: Tensor;
  readonly mmd: Tensor;
  readonly total: Tensor;
}

export interface LossWeights {
  readonly alpha: Tensor;
  readonly beta: Tensor;
  readonly eta: Tensor;
}

/** Raw counts of the model genes [B, G] and library sizes over all genes [B]: the NB term's data. */
export interface CountInputs {
  readonly counts: Tensor;
  readonly sizeFactors: Tensor;
}

/** The reconstruction term (`condition`: the NB dispersion's one-hot, recon 'nb' only). */
export function reconstruction(x: Tensor, condition: Tensor | undefined, dec: DecoderResult, params: Tensors, config: TrvaeConfig, counts: CountInputs | undefined): Tensor {
  if (config.recon === 'nb') {
    if (!counts || !condition) throw new Error("trVAE graph: recon 'nb' needs the counts, size_factors and condition inputs");
    return negativeBinomialLoss(counts.counts, counts.sizeFactors, logLibraryShare(dec.logits), condition, get(params, NB_LOG_THETA));
  }
  const diff = sub(x, dec.xhat);
  const sq = mul(diff, diff);
  return config.recon === 'mse' ? mul(meanAll(sq), scalar(x, 0.5)) : mul(sumAll(sq), scalar(x, 0.5 / x.shape[0]));
}

/** KL(q(z | x) ‖ N(0, I)), averaged over cells and latent dimensions. */
export function klDivergence({ mu, logvar }: EncoderResult): Tensor {
  return mul(meanAll(sub(add(exp(logvar), mul(mu, mu)), add(logvar, scalar(logvar, 1)))), scalar(mu, 0.5));
}

export function losses(x: Tensor, condition: Tensor, enc: EncoderResult, dec: DecoderResult, weights: LossWeights, params: Tensors, config: TrvaeConfig, counts?: CountInputs): Losses {
  const recon = reconstruction(x, condition, dec, params, config, counts);
  const kl = klDivergence(enc);
  const mmd = mmdAllPairs(dec.y, condition);
  const total = add(add(mul(weights.eta, recon), mul(weights.alpha, kl)), mul(weights.beta, mmd));
  return { recon, kl, mmd, total };
}
