// Validation losses: the eval graph (inference-mode BN, no dropout, sampled z as in Keras) over
// batches, one session per distinct batch size. Batches are built on the CPU (their sizes vary); z is
// sampled with Philox noise keyed by (seed, batch number, evalNoiseStream), so every evaluation of
// the same state gives the same losses.

import { oneHot } from '../../cpu/onehot.ts';
import { normalNoise } from '../../cpu/philox.ts';
import { countRows, denseRows, type RawBatch } from '../batch.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { createSession, ort, readTensor, type Backend } from '../runtime.ts';
import type { TrvaeConfig } from '../trvae/config.ts';
import { buildEval, LOSS_TERMS, lossOutput, type LossTerm } from '../trvae/graphs.ts';
import { layout } from '../trvae/params.ts';
import type { ModelState } from './state.ts';
import type { LossValues, StepHyperparameters } from './step-runner.ts';

export interface LossEvaluator {
  /** Cell-weighted mean of each loss term over the batches. */
  evaluate(state: ModelState, batches: AsyncIterable<RawBatch>, weights: Omit<StepHyperparameters, 'learningRate'>): Promise<LossValues>;
  release(): Promise<void>;
}

/** Philox stream of the validation eps, apart from the training streams (eps 0, masks 1…). */
export const evalNoiseStream = 0xffffffff;

export async function createEvaluator(config: TrvaeConfig, backend: Backend): Promise<LossEvaluator> {
  const sessions = new Map<number, ort.InferenceSession>();
  const lay = layout(config);
  const session = async (b: number) => {
    let s = sessions.get(b);
    if (!s) {
      s = await createSession(serializeGraph(buildEval(config, b).graph), backend);
      sessions.set(b, s);
    }
    return s;
  };
  return {
    async evaluate(state, batches, weights) {
      const sums: Record<LossTerm, number> = { recon: 0, kl: 0, mmd: 0, total: 0 };
      let cells = 0;
      let index = 0;
      const stateTensors: Record<string, ort.Tensor> = {};
      for (const p of [...lay.params, ...lay.stats]) {
        stateTensors[p.name] = new ort.Tensor('float32', (state.params.get(p.name) ?? state.stats.get(p.name)) as Float32Array, [...p.shape]);
      }
      const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
      for await (const batch of batches) {
        const b = batch.conditions.length;
        if (b === 0) continue;
        const nb = config.recon === 'nb' ? countRows(batch) : undefined;
        const out = await (await session(b)).run({
          ...(nb ? {
            counts: new ort.Tensor('float32', nb.counts, [b, config.nGenes]),
            size_factors: new ort.Tensor('float32', nb.sizeFactors, [b]),
          } : {}),
          ...stateTensors,
          x: new ort.Tensor('float32', denseRows(batch), [b, config.nGenes]),
          c: new ort.Tensor('float32', oneHot(batch.conditions, config.nConditions), [b, config.nConditions]),
          eps: new ort.Tensor('float32', normalNoise(b * config.latent, { seed: config.seed, step: index++, stream: evalNoiseStream }), [b, config.latent]),
          alpha: scalar(weights.alpha),
          beta: scalar(weights.beta),
          eta: scalar(weights.eta),
        });
        for (const t of LOSS_TERMS) sums[t] += (await readTensor(out[lossOutput(t)]))[0] * b;
        cells += b;
      }
      if (cells === 0) throw new Error('the validation set produced no cells');
      return Object.fromEntries(LOSS_TERMS.map((t) => [t, sums[t] / cells])) as LossValues;
    },
    async release() {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
    },
  };
}
