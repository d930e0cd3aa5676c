// Counterfactual prediction for any trained model: source cells of one condition as they would look
// in another. trVAE (and CVAE) encode with the source condition and decode with the target (z
// sampled with a fixed Philox stream, as the paper's predict); scGen adds the latent difference of
// the two conditions' mean μ over the training cells to the source cells' μ and decodes. The one
// code path of the app's results (the model's state) and of `trvae-web evaluate` (exported graphs).

import { normalNoise } from '../cpu/philox.ts';
import { DatasetError } from './dataset.ts';
import type { TrvaeConfig } from './trvae/config.ts';
import { createInferenceRunner } from './inference.ts';
import type { Backend } from './runtime.ts';
import { scgenLatentMeans, scgenPredict } from './scgen.ts';
import type { ModelState } from './train/state.ts';

/** A trained model's weights: its state (in-process), or exported inference graphs by kind (model.json `graphs`). */
export type ModelWeights = { readonly state: ModelState } | { readonly graphs: Readonly<Partial<Record<string, Uint8Array>>> };

export interface CounterfactualInput {
  /** Model inputs of the source cells [n, nGenes]. */
  readonly x: Float32Array;
  readonly sourceCondition: number;
  readonly targetCondition: number;
  /** Cells the model was trained on (scGen's latent means): inputs and condition codes, or a loader for them. */
  readonly training: { readonly x: Float32Array; readonly conditions: Int32Array } | (() => Promise<{ readonly x: Float32Array; readonly conditions: Int32Array }>);
  /** Seed of the latent noise (trVAE); default 0. */
  readonly seed?: number;
  /** Sample z (as the paper's predict) or use z = μ; default true. trVAE only: scGen uses μ. */
  readonly sampleLatent?: boolean;
}

function graph(graphs: Readonly<Partial<Record<string, Uint8Array>>>, kind: string, config: TrvaeConfig): Uint8Array {
  const bytes = graphs[kind];
  if (!bytes) throw new DatasetError(`the ${config.model ?? 'trvae'} export has no ${kind} graph (it has ${Object.keys(graphs).join(', ') || 'none'})`);
  return bytes;
}

export async function predictCounterfactual(config: TrvaeConfig, w: ModelWeights, input: CounterfactualInput, backend?: Backend): Promise<Float32Array> {
  const n = input.x.length / config.nGenes;
  if (config.model === 'scgen') {
    const scgen = 'state' in w ? w : { encode: graph(w.graphs, 'encode', config), decode: graph(w.graphs, 'decode', config) };
    const training = typeof input.training === 'function' ? await input.training() : input.training;
    const means = await scgenLatentMeans(config, scgen, training.x, training.conditions, backend);
    return (await scgenPredict(config, scgen, means, { x: input.x, source: input.sourceCondition, target: input.targetCondition }, backend)).xhat;
  }
  const runner = await createInferenceRunner('predict', config, 'state' in w ? w : { model: graph(w.graphs, 'predict', config) }, backend);
  try {
    const eps = input.sampleLatent === false ? undefined : normalNoise(n * config.latent, { seed: input.seed ?? 0, step: 0, stream: 0 });
    return (await runner.run({ x: input.x, conditions: new Int32Array(n).fill(input.sourceCondition), target: input.targetCondition, eps })).xhat;
  } finally {
    await runner.release();
  }
}
