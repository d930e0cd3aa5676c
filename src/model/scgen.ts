// scGen (Lotfollahi et al. 2019) as a model definition: a VAE without condition inputs, with trVAE's
// blocks (Dense → BatchNorm → LeakyReLU → dropout), trained on eta · reconstruction (SSE or MSE) +
// alpha · KL. It predicts by latent arithmetic: δ = mean z (the encoder's mu) of the target
// condition − that of the source condition over the training cells, added to the source cells' mu
// and decoded. Chosen by `model: 'scgen'` in the configuration (beta is ignored).

import type { BatchInput, CellInput, GraphInputs, LossMode, ModelConfig, ModelDefinition } from './definition.ts';
import { tensorOf } from './definition.ts';
import { createInferenceRunner } from './inference.ts';
import type { Tensor } from './onnx/ir.ts';
import { add, mul } from './onnx/ops.ts';
import type { Backend } from './runtime.ts';
import type { ModelState } from './train/state.ts';
import { decode, encode, klDivergence, reconstruction, type Mode } from './trvae/network.ts';
import { initialArrays, layout } from './trvae/params.ts';

const get = (map: ReadonlyMap<string, Tensor>, name: string) => tensorOf(map, name, 'scGen');

export function scgenModel(config: ModelConfig): ModelDefinition {
  const lay = layout(config, false);
  const batchInputs = (mode: LossMode): BatchInput[] => [
    { name: 'x', perCell: [config.nGenes], source: { kind: 'x' } },
    { name: 'eps', perCell: [config.latent], source: { kind: 'normal', stream: 0 } },
    ...(mode === 'train' && config.dropout > 0
      ? lay.masks.map((m, k): BatchInput => ({ name: m.name, perCell: [m.width], source: { kind: 'dropout', rate: config.dropout, stream: k + 1 } }))
      : []),
  ];
  const encodeInputs: CellInput[] = [
    { name: 'x', perCell: [config.nGenes], source: 'x' },
    { name: 'eps', perCell: [config.latent], source: 'noise' },
  ];
  const inference: Mode = { training: false };
  return {
    name: 'scgen',
    config,
    params: lay.params,
    stats: lay.stats,
    initialState: () => initialArrays(lay, config.seed),
    lossTerms: ['recon', 'kl', 'total'],
    lossWeights: ['alpha', 'eta'],
    batchInputs,
    loss({ params, stats, data, weights }: GraphInputs, lossMode) {
      const mode: Mode = lossMode === 'train' ? { training: true, masks: data } : inference;
      const x = get(data, 'x');
      const enc = encode(x, undefined, get(data, 'eps'), lay, params, stats, config, mode);
      const dec = decode(enc.z, undefined, lay, params, stats, config, mode);
      const recon = reconstruction(x, undefined, dec, params, config, undefined);
      const kl = klDivergence(enc);
      const total = add(mul(get(weights, 'eta'), recon), mul(get(weights, 'alpha'), kl));
      return { terms: { recon, kl, total }, statUpdates: lossMode === 'train' ? [...enc.statUpdates, ...dec.statUpdates] : [] };
    },
    /** encode(x, eps) → mu, logvar, z (eps = 0 gives z = mu); decode(z) → xhat. */
    inference: {
      encode: {
        inputs: encodeInputs,
        outputs: ['mu', 'logvar', 'z'],
        build: ({ params, stats, data }) => {
          const { mu, logvar, z } = encode(get(data, 'x'), undefined, get(data, 'eps'), lay, params, stats, config, inference);
          return { mu, logvar, z };
        },
      },
      decode: {
        inputs: [{ name: 'z', perCell: [config.latent], source: 'latent' }],
        outputs: ['xhat'],
        build: ({ params, stats, data }) => ({ xhat: decode(get(data, 'z'), undefined, lay, params, stats, config, inference).xhat }),
      },
    },
  };
}

/** The weights of a trained scGen: its state (in-process) or the exported encode and decode graphs. */
export type ScgenWeights = { readonly state: ModelState } | { readonly encode: Uint8Array; readonly decode: Uint8Array };

/** Mean latent code (mu) per condition [nConditions, latent], with the number of cells of each. */
export interface LatentMeans {
  readonly means: Float32Array;
  readonly cells: Int32Array;
}

const runnerSource = (weights: ScgenWeights, kind: 'encode' | 'decode') => ('state' in weights ? { state: weights.state } : { model: weights[kind] });

/** mu of each cell [n, latent] (z = mu: no noise). */
export async function scgenLatent(config: ModelConfig, weights: ScgenWeights, x: Float32Array, backend?: Backend): Promise<Float32Array> {
  const runner = await createInferenceRunner('encode', config, runnerSource(weights, 'encode'), backend);
  try {
    return (await runner.run({ x })).mu;
  } finally {
    await runner.release();
  }
}

/** Per-condition means of mu over cells (e.g. the training cells), in float64. */
export function latentMeans(mu: Float32Array, conditions: Int32Array, nConditions: number, latent: number): LatentMeans {
  if (mu.length !== conditions.length * latent) throw new Error(`${mu.length} latent values for ${conditions.length} cells × ${latent} dimensions`);
  const sums = new Float64Array(nConditions * latent);
  const cells = new Int32Array(nConditions);
  conditions.forEach((c, i) => {
    if (!(Number.isInteger(c) && c >= 0 && c < nConditions)) throw new Error(`condition code ${c} of cell ${i} is outside [0, ${nConditions})`);
    cells[c]++;
    for (let d = 0; d < latent; d++) sums[c * latent + d] += mu[i * latent + d];
  });
  return { means: Float32Array.from(sums, (s, k) => s / Math.max(1, cells[Math.floor(k / latent)])), cells };
}

/** Mean mu per condition over the cells given (encode + latentMeans). */
export async function scgenLatentMeans(config: ModelConfig, weights: ScgenWeights, x: Float32Array, conditions: Int32Array, backend?: Backend): Promise<LatentMeans> {
  return latentMeans(await scgenLatent(config, weights, x, backend), conditions, config.nConditions, config.latent);
}

export interface ScgenPrediction {
  /** Predicted expression of the source cells in the target condition [n, nGenes]. */
  readonly xhat: Float32Array;
  /** δ = mean mu(target) − mean mu(source) [latent]. */
  readonly delta: Float32Array;
}

/**
 * Latent arithmetic: the source cells' mu plus δ = means(target) − means(source), decoded. `means`
 * are over the training cells (scgenLatentMeans); both conditions must have cells there.
 */
export async function scgenPredict(
  config: ModelConfig,
  weights: ScgenWeights,
  means: LatentMeans,
  cells: { readonly x: Float32Array; readonly source: number; readonly target: number },
  backend?: Backend,
): Promise<ScgenPrediction> {
  const Z = config.latent;
  for (const [role, c] of [['source', cells.source], ['target', cells.target]] as const) {
    if (!(means.cells[c] > 0)) throw new Error(`scGen prediction: the ${role} condition ${c} has no cells in the latent means (δ needs both conditions)`);
  }
  const delta = Float32Array.from({ length: Z }, (_, d) => means.means[cells.target * Z + d] - means.means[cells.source * Z + d]);
  const z = await scgenLatent(config, weights, cells.x, backend);
  for (let i = 0; i < z.length; i++) z[i] += delta[i % Z];
  const runner = await createInferenceRunner('decode', config, runnerSource(weights, 'decode'), backend);
  try {
    return { xhat: (await runner.run({ z })).xhat, delta };
  } finally {
    await runner.release();
  }
}
