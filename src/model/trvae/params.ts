// Parameter layout of trVAE and its seeded Glorot-normal (truncated) initialisation.

import type { NamedArrays, ParamSpec } from '../definition.ts';
import { createRng, type Rng } from '../../random.ts';
import type { TrvaeConfig } from './config.ts';

export type { NamedArrays, ParamSpec } from '../definition.ts';

export interface HiddenBlockNames {
  readonly weight: string;
  readonly gamma: string;
  readonly beta: string;
  readonly runningMean: string;
  readonly runningVar: string;
  readonly mask: string;
}

export interface Layout {
  readonly encoder: readonly (HiddenBlockNames & { readonly inputs: number; readonly width: number })[];
  readonly decoder: readonly (HiddenBlockNames & { readonly inputs: number; readonly width: number })[];
  readonly params: readonly ParamSpec[];
  /** BatchNorm running statistics: state, not trained by gradient. */
  readonly stats: readonly ParamSpec[];
  readonly masks: readonly { readonly name: string; readonly width: number }[];
}

const block = (prefix: string, i: number, inputs: number, width: number) => ({
  inputs,
  width,
  weight: `${prefix}.${i}.w`,
  gamma: `${prefix}.${i}.bn.gamma`,
  beta: `${prefix}.${i}.bn.beta`,
  runningMean: `${prefix}.${i}.bn.mean`,
  runningVar: `${prefix}.${i}.bn.var`,
  mask: `mask.${prefix}.${i}`,
});

/** The NB dispersion parameter (recon 'nb' only). */
export const NB_LOG_THETA = 'dec.log_theta';

/** With `conditioned` false (scGen), no one-hot condition enters the encoder or the decoder. */
export function layout(config: TrvaeConfig, conditioned = true): Layout {
  const { nGenes: G, hidden, latent: Z } = config;
  const C = conditioned ? config.nConditions : 0;
  const encoder = hidden.map((w, i) => block('enc', i, i === 0 ? G + C : hidden[i - 1], w));
  const reversed = [...hidden].reverse();
  const decoder = reversed.map((w, i) => block('dec', i, i === 0 ? Z + C : reversed[i - 1], w));
  const params: ParamSpec[] = [];
  const stats: ParamSpec[] = [];
  for (const b of [...encoder, ...decoder]) {
    params.push({ name: b.weight, shape: [b.inputs, b.width], init: 'glorot' });
    params.push({ name: b.gamma, shape: [b.width], init: 'ones' });
    params.push({ name: b.beta, shape: [b.width], init: 'zeros' });
    stats.push({ name: b.runningMean, shape: [b.width], init: 'zeros' });
    stats.push({ name: b.runningVar, shape: [b.width], init: 'ones' });
  }
  const last = hidden[hidden.length - 1];
  params.push(
    { name: 'enc.mu.w', shape: [last, Z], init: 'glorot' },
    { name: 'enc.mu.b', shape: [Z], init: 'zeros' },
    { name: 'enc.logvar.w', shape: [last, Z], init: 'glorot' },
    { name: 'enc.logvar.b', shape: [Z], init: 'zeros' },
    { name: 'dec.out.w', shape: [hidden[0], G], init: 'glorot' },
    { name: 'dec.out.b', shape: [G], init: 'zeros' },
  );
  // NB dispersion θ = exp(log_theta), per condition and gene (θ = 1 at the start).
  if (config.recon === 'nb') params.push({ name: NB_LOG_THETA, shape: [C, G], init: 'zeros' });
  const masks = [...encoder, ...decoder].map((b) => ({ name: b.mask, width: b.width }));
  return { encoder, decoder, params, stats, masks };
}

/** Keras' glorot_normal: truncated at 2σ, σ = √(2 / (fan_in + fan_out)) / 0.8796… (the truncation's std). */
function glorot(rng: Rng, fanIn: number, fanOut: number, n: number): Float32Array {
  const std = Math.sqrt(2 / (fanIn + fanOut)) / 0.87962566103423978;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = rng.normal();
    while (Math.abs(v) > 2);
    out[i] = v * std;
  }
  return out;
}

function initArray(spec: ParamSpec, rng: Rng): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.init === 'glorot') return glorot(rng, spec.shape[0], spec.shape[1], n);
  return new Float32Array(n).fill(spec.init === 'ones' ? 1 : 0);
}

/** Initial parameters and statistics of a layout, reproducible from the seed (drawn in layout order). */
export function initialArrays({ params, stats }: Pick<Layout, 'params' | 'stats'>, seed: number): { params: NamedArrays; stats: NamedArrays } {
  const rng = createRng(seed);
  return {
    params: new Map(params.map((p) => [p.name, initArray(p, rng)])),
    stats: new Map(stats.map((s) => [s.name, initArray(s, rng)])),
  };
}

/** trVAE's initial parameters and BN statistics, reproducible from config.seed. */
export const initialState = (config: TrvaeConfig) => initialArrays(layout(config), config.seed);
