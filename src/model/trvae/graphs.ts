// trVAE as a model definition: a conditional VAE whose condition (one-hot c) enters the encoder and
// the decoder, trained on reconstruction (eta) + KL (alpha) + MMD of the first decoder layer between
// conditions (beta); CVAE is the same model with beta = 0. Inference graphs: encode, MMD layer, predict.

import type { BatchInput, CellInput, GraphInputs, LossMode, ModelDefinition } from '../definition.ts';
import { buildInferenceGraph, tensorOf } from '../definition.ts';
import type { FloatDType, Tensor } from '../onnx/ir.ts';
import { adamOf } from '../optim/adam.ts';
import { buildStepGraph, type BuiltGraph } from '../train/train-step.ts';
import type { TrvaeConfig } from './config.ts';
import { decode, encode, losses, type Mode } from './network.ts';
import { initialArrays, layout } from './params.ts';

const LOSS_TERMS = ['recon', 'kl', 'mmd', 'total'] as const;

export type InferenceKind = 'encode' | 'mmd' | 'predict';

/** Batch inputs: x, c, eps (Philox stream 0), NB counts and size factors, dropout masks (streams 1…). */
function batchInputs(config: TrvaeConfig, mode: LossMode, masks: readonly { readonly name: string; readonly width: number }[]): BatchInput[] {
  const inputs: BatchInput[] = [
    { name: 'x', perCell: [config.nGenes], source: { kind: 'x' } },
    { name: 'c', perCell: [config.nConditions], source: { kind: 'onehot' } },
    { name: 'eps', perCell: [config.latent], source: { kind: 'normal', stream: 0 } },
  ];
  if (config.recon === 'nb') {
    inputs.push({ name: 'counts', perCell: [config.nGenes], source: { kind: 'counts' } }, { name: 'size_factors', perCell: [], source: { kind: 'size-factors' } });
  }
  if (mode === 'train' && config.dropout > 0) {
    masks.forEach((m, k) => inputs.push({ name: m.name, perCell: [m.width], source: { kind: 'dropout', rate: config.dropout, stream: k + 1 } }));
  }
  return inputs;
}

/** The trVAE model of `config`. */
export function trvaeModel(config: TrvaeConfig): ModelDefinition {
  const lay = layout(config);
  const encodeInputs: CellInput[] = [
    { name: 'x', perCell: [config.nGenes], source: 'x' },
    { name: 'c', perCell: [config.nConditions], source: 'condition' },
    { name: 'eps', perCell: [config.latent], source: 'noise' },
  ];
  const decodeInputs: CellInput[] = [...encodeInputs, { name: 'c_target', perCell: [config.nConditions], source: 'target' }];
  const inferenceMode: Mode = { training: false };
  const encodeCells = ({ params, stats, data }: GraphInputs) => encode(get(data, 'x'), get(data, 'c'), get(data, 'eps'), lay, params, stats, config, inferenceMode);
  const decodeToTarget = (inputs: GraphInputs) => decode(encodeCells(inputs).z, get(inputs.data, 'c_target'), lay, inputs.params, inputs.stats, config, inferenceMode);
  return {
    name: 'trvae',
    config,
    params: lay.params,
    stats: lay.stats,
    initialState: () => initialArrays(lay, config.seed),
    lossTerms: LOSS_TERMS,
    lossWeights: ['alpha', 'beta', 'eta'],
    batchInputs: (mode) => batchInputs(config, mode, lay.masks),
    loss({ params, stats, data, weights }, lossMode) {
      const mode: Mode = lossMode === 'train' ? { training: true, masks: data } : { training: false };
      const c = get(data, 'c');
      const enc = encode(get(data, 'x'), c, get(data, 'eps'), lay, params, stats, config, mode);
      const dec = decode(enc.z, c, lay, params, stats, config, mode);
      const counts = config.recon === 'nb' ? { counts: get(data, 'counts'), sizeFactors: get(data, 'size_factors') } : undefined;
      const terms = losses(get(data, 'x'), c, enc, dec, { alpha: get(weights, 'alpha'), beta: get(weights, 'beta'), eta: get(weights, 'eta') }, params, config, counts);
      return { terms: { ...terms }, statUpdates: lossMode === 'train' ? [...enc.statUpdates, ...dec.statUpdates] : [] };
    },
    /**
     * - encode(x, c, eps) → mu, logvar, z
     * - mmd(x, c, c_target, eps) → y: encode with c, first decoder block with c_target
     * - predict(x, c, c_target, eps) → xhat: encode with c, decode with c_target (eps = 0 gives z = mu);
     *   with recon 'nb', xhat = log1p(1e4 · NB mean / library size), on the scale of counts inputs
     * The inputs are the same for every recon: NB's counts and size factors are needed by the loss only.
     */
    inference: {
      encode: {
        inputs: encodeInputs,
        outputs: ['mu', 'logvar', 'z'],
        build: (inputs) => {
          const { mu, logvar, z } = encodeCells(inputs);
          return { mu, logvar, z };
        },
      },
      mmd: { inputs: decodeInputs, outputs: ['y'], build: (inputs) => ({ y: decodeToTarget(inputs).y }) },
      predict: { inputs: decodeInputs, outputs: ['xhat'], build: (inputs) => ({ xhat: decodeToTarget(inputs).xhat }) },
    },
  };
}

const get = (map: ReadonlyMap<string, Tensor>, name: string) => tensorOf(map, name, 'trVAE');

/** trVAE's train step with its clipped Adam (see buildStepGraph). */
export function buildTrainStep(config: TrvaeConfig, batchSize = config.batchSize, dtype: FloatDType = 'float32'): BuiltGraph {
  return buildStepGraph(trvaeModel(config), adamOf(config), batchSize, dtype);
}

/** trVAE's inference graph of `kind` (see buildInferenceGraph). */
export function buildInference(kind: InferenceKind, config: TrvaeConfig, batchSize = 1, dtype: FloatDType = 'float32'): BuiltGraph {
  return { graph: buildInferenceGraph(trvaeModel(config), kind, batchSize, dtype), batchSize };
}
