// The graphs trVAE runs as: one training step (forward, backward, clipped Adam update), evaluation
// (losses only, inference-mode BN), and the inference graphs (encode, MMD layer, predict).

import { gradients } from '../onnx/autodiff.ts';
import { createGraph, input, output, type FloatDType, type Graph, type Tensor } from '../onnx/ir.ts';
import { add, clip, div, mul, pow, scalar, sqrt, sub } from '../onnx/ops.ts';
import type { TrvaeConfig } from './config.ts';
import { decode, encode, losses, type CountInputs, type Mode } from './network.ts';
import { layout } from './params.ts';

export const LOSS_TERMS = ['recon', 'kl', 'mmd', 'total'] as const;
export type LossTerm = (typeof LOSS_TERMS)[number];

export const adamM = (name: string) => `adam.m.${name}`;
export const adamV = (name: string) => `adam.v.${name}`;
export const next = (name: string) => `${name}.next`;
export const lossOutput = (term: LossTerm) => `loss.${term}`;

export interface BuiltGraph {
  readonly graph: Graph;
  readonly batchSize: number;
}

interface Common {
  readonly params: Map<string, Tensor>;
  readonly stats: Map<string, Tensor>;
}

function declareState(graph: Graph, config: TrvaeConfig, dtype: FloatDType): Common {
  const lay = layout(config);
  return {
    params: new Map(lay.params.map((p) => [p.name, input(graph, p.name, dtype, p.shape)])),
    stats: new Map(lay.stats.map((s) => [s.name, input(graph, s.name, dtype, s.shape)])),
  };
}

function declareBatch(graph: Graph, config: TrvaeConfig, dtype: FloatDType, batchSize: number) {
  return {
    x: input(graph, 'x', dtype, [batchSize, config.nGenes]),
    c: input(graph, 'c', dtype, [batchSize, config.nConditions]),
    eps: input(graph, 'eps', dtype, [batchSize, config.latent]),
  };
}

/** Raw counts and size factors, graph inputs with recon 'nb' only. */
function declareCounts(graph: Graph, config: TrvaeConfig, dtype: FloatDType, batchSize: number): CountInputs | undefined {
  if (config.recon !== 'nb') return undefined;
  return { counts: input(graph, 'counts', dtype, [batchSize, config.nGenes]), sizeFactors: input(graph, 'size_factors', dtype, [batchSize]) };
}

function declareWeights(graph: Graph, dtype: FloatDType) {
  return { alpha: input(graph, 'alpha', dtype, []), beta: input(graph, 'beta', dtype, []), eta: input(graph, 'eta', dtype, []) };
}

/**
 * Forward pass and losses in training mode, with gradients of the total loss with respect to every
 * parameter; shared by the train step and the whole-model gradient check.
 */
export function trainingLoss(graph: Graph, config: TrvaeConfig, dtype: FloatDType, batchSize: number) {
  const lay = layout(config);
  const state = declareState(graph, config, dtype);
  const batch = declareBatch(graph, config, dtype, batchSize);
  const counts = declareCounts(graph, config, dtype, batchSize);
  const weights = declareWeights(graph, dtype);
  const masks = new Map(config.dropout > 0 ? lay.masks.map((m) => [m.name, input(graph, m.name, dtype, [batchSize, m.width])]) : []);
  const mode: Mode = { training: true, masks };
  const enc = encode(batch.x, batch.c, batch.eps, lay, state.params, state.stats, config, mode);
  const dec = decode(enc.z, batch.c, lay, state.params, state.stats, config, mode);
  const loss = losses(batch.x, batch.c, enc, dec, weights, state.params, config, counts);
  return { lay, state, loss, statUpdates: [...enc.statUpdates, ...dec.statUpdates] };
}

/**
 * One training step. Inputs: parameters, their Adam moments (adam.m.*, adam.v.*), BN running stats,
 * `step` (updates done so far), `lr`, loss weights alpha/beta/eta, batch x/c/eps and dropout masks
 * (and with recon 'nb' the raw `counts` [B, G] and `size_factors` [B]).
 * Outputs: `<name>.next` for every parameter, moment, running stat and `step`, and loss.<term>
 * (computed before the update).
 */
export function buildTrainStep(config: TrvaeConfig, batchSize = config.batchSize, dtype: FloatDType = 'float32'): BuiltGraph {
  const graph = createGraph('trvae_train_step');
  const { lay, state, loss, statUpdates } = trainingLoss(graph, config, dtype, batchSize);
  const names = lay.params.map((p) => p.name);
  const grads = gradients(loss.total, names.map((n) => state.params.get(n) as Tensor));
  const step = input(graph, 'step', dtype, []);
  const lr = input(graph, 'lr', dtype, []);
  // Keras Adam: t = step + 1, lr_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), p ← p − lr_t·m/(√v + ε).
  const t = add(step, scalar(step, 1));
  const b1 = scalar(t, config.adamBeta1);
  const b2 = scalar(t, config.adamBeta2);
  const one = scalar(t, 1);
  const lrT = mul(lr, div(sqrt(sub(one, pow(b2, t))), sub(one, pow(b1, t))));
  names.forEach((name, i) => {
    const p = state.params.get(name) as Tensor;
    const m = input(graph, adamM(name), dtype, p.shape);
    const v = input(graph, adamV(name), dtype, p.shape);
    const g = clip(grads[i], -config.clipValue, config.clipValue);
    const m2 = add(mul(m, b1), mul(g, scalar(g, 1 - config.adamBeta1)));
    const v2 = add(mul(v, b2), mul(mul(g, g), scalar(g, 1 - config.adamBeta2)));
    const p2 = sub(p, mul(lrT, div(m2, add(sqrt(v2), scalar(v2, config.adamEpsilon)))));
    output(next(name), p2);
    output(next(adamM(name)), m2);
    output(next(adamV(name)), v2);
  });
  for (const [name, value] of statUpdates) output(next(name), value);
  output(next('step'), t);
  for (const term of LOSS_TERMS) output(lossOutput(term), loss[term]);
  return { graph, batchSize };
}

/** Losses without an update: BN with running statistics, no dropout (Keras' validation pass). */
export function buildEval(config: TrvaeConfig, batchSize: number, dtype: FloatDType = 'float32'): BuiltGraph {
  const graph = createGraph('trvae_eval');
  const lay = layout(config);
  const state = declareState(graph, config, dtype);
  const batch = declareBatch(graph, config, dtype, batchSize);
  const counts = declareCounts(graph, config, dtype, batchSize);
  const weights = declareWeights(graph, dtype);
  const mode: Mode = { training: false };
  const enc = encode(batch.x, batch.c, batch.eps, lay, state.params, state.stats, config, mode);
  const dec = decode(enc.z, batch.c, lay, state.params, state.stats, config, mode);
  const loss = losses(batch.x, batch.c, enc, dec, weights, state.params, config, counts);
  for (const term of LOSS_TERMS) output(lossOutput(term), loss[term]);
  return { graph, batchSize };
}

export type InferenceKind = 'encode' | 'mmd' | 'predict';

/**
 * Inference graphs (no node depends on the batch size, so they are exported with a symbolic batch):
 * - encode(x, c, eps) → mu, logvar, z
 * - mmd(x, c, c_target, eps) → y: encode with c, first decoder block with c_target
 * - predict(x, c, c_target, eps) → xhat: encode with c, decode with c_target (eps = 0 gives z = mu);
 *   with recon 'nb', xhat = log1p(1e4 · NB mean / library size), on the scale of counts inputs
 * The inputs are the same for every recon: NB's counts and size factors are needed by the loss only.
 */
export function buildInference(kind: InferenceKind, config: TrvaeConfig, batchSize = 1, dtype: FloatDType = 'float32'): BuiltGraph {
  const graph = createGraph(`trvae_${kind}`);
  const lay = layout(config);
  const state = declareState(graph, config, dtype);
  const batch = declareBatch(graph, config, dtype, batchSize);
  const mode: Mode = { training: false };
  const enc = encode(batch.x, batch.c, batch.eps, lay, state.params, state.stats, config, mode);
  if (kind === 'encode') {
    output('mu', enc.mu);
    output('logvar', enc.logvar);
    output('z', enc.z);
    return { graph, batchSize };
  }
  const target = input(graph, 'c_target', dtype, [batchSize, config.nConditions]);
  const dec = decode(enc.z, target, lay, state.params, state.stats, config, mode);
  output(kind === 'mmd' ? 'y' : 'xhat', kind === 'mmd' ? dec.y : dec.xhat);
  return { graph, batchSize };
}
