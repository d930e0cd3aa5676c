// Counterfactual prediction for any trained model: source cells of one condition as they would look
// in another. trVAE (and CVAE) encode with the source condition and decode with the target (z
// sampled with a fixed Philox stream, as the paper's predict); scGen adds the latent difference of
// the two conditions' mean μ over the training cells to the source cells' μ and decodes.

import { normalNoise } from '../cpu/philox.ts';
import type { TrvaeConfig } from './trvae/config.ts';
import { createInferenceRunner } from './inference.ts';
import type { Backend } from './runtime.ts';
import { scgenLatentMeans, scgenPredict } from './scgen.ts';
import type { ModelState } from './train/state.ts';

export interface CounterfactualInput {
  /** Model inputs of the source cells [n, nGenes]. */
  readonly x: Float32Array;
  readonly sourceCondition: number;
  readonly targetCondition: number;
  /** Cells the model was trained on (scGen's latent means): inputs and condition codes. */
  readonly training: { readonly x: Float32Array; readonly conditions: Int32Array };
  /** Seed of the latent noise (trVAE); default 0. */
  readonly seed?: number;
}

export async function predictCounterfactual(config: TrvaeConfig, state: ModelState, input: CounterfactualInput, backend?: Backend): Promise<Float32Array> {
  const n = input.x.length / config.nGenes;
  if (config.model === 'scgen') {
    const means = await scgenLatentMeans(config, { state }, input.training.x, input.training.conditions, backend);
    return (await scgenPredict(config, { state }, means, { x: input.x, source: input.sourceCondition, target: input.targetCondition }, backend)).xhat;
  }
  const runner = await createInferenceRunner('predict', config, { state }, backend);
  try {
    const eps = normalNoise(n * config.latent, { seed: input.seed ?? 0, step: 0, stream: 0 });
    return (await runner.run({ x: input.x, conditions: new Int32Array(n).fill(input.sourceCondition), target: input.targetCondition, eps })).xhat;
  } finally {
    await runner.release();
  }
}
