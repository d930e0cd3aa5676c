// Validation losses: the model's eval graph (inference-mode BN, no dropout, sampled z as in Keras)
// over batches, one session per distinct batch size. Batches are built on the CPU (their sizes vary);
// noise inputs are Philox keyed by (seed, batch number, evalNoiseStream − the input's stream), apart
// from the training streams, so every evaluation of the same state gives the same losses.

import type { BatchInput } from '../../cpu/training-batch.ts';
import { countRows, denseRows, isPoolBatch, type NormalizedBatch, type TrainingBatch } from '../batch.ts';
import { buildEvalGraph, lossOutput, type ModelConfig } from '../definition.ts';
import { modelDefinition } from '../models.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { createSession, ort, readTensor, type Backend } from '../runtime.ts';
import type { ModelState } from './state.ts';
import { denseInputs } from './step-batches.ts';
import type { LossValues, StepHyperparameters } from './step-runner.ts';

export interface LossEvaluator {
  /** Cell-weighted mean of each loss term over the batches. */
  evaluate(state: ModelState, batches: AsyncIterable<TrainingBatch>, weights: Omit<StepHyperparameters, 'learningRate'>): Promise<LossValues>;
  release(): Promise<void>;
}

/** Philox stream of the validation eps, apart from the training streams (eps 0, masks 1…). */
export const evalNoiseStream = 0xffffffff;

const evalStreams = (inputs: readonly BatchInput[]): BatchInput[] =>
  inputs.map((i) => (i.source.kind === 'normal' ? { ...i, source: { ...i.source, stream: evalNoiseStream - i.source.stream } } : i));

export async function createEvaluator(config: ModelConfig, backend: Backend): Promise<LossEvaluator> {
  const model = modelDefinition(config);
  const inputs = evalStreams(model.batchInputs('eval'));
  const needsCounts = inputs.some((i) => i.source.kind === 'counts' || i.source.kind === 'size-factors');
  const sessions = new Map<number, ort.InferenceSession>();
  const session = async (b: number) => {
    let s = sessions.get(b);
    if (!s) {
      s = await createSession(serializeGraph(buildEvalGraph(model, b)), backend);
      sessions.set(b, s);
    }
    return s;
  };
  const dense = (batch: TrainingBatch): NormalizedBatch => {
    if (!isPoolBatch(batch)) return batch;
    return { x: denseRows(batch), conditions: batch.conditions, ...(needsCounts ? { counts: countRows(batch) } : {}) };
  };
  return {
    async evaluate(state, batches, weights) {
      const sums = Object.fromEntries(model.lossTerms.map((t) => [t, 0]));
      let cells = 0;
      let index = 0;
      const fixed: Record<string, ort.Tensor> = {};
      for (const p of model.params) fixed[p.name] = new ort.Tensor('float32', state.params.get(p.name) as Float32Array, [...p.shape]);
      for (const s of model.stats) fixed[s.name] = new ort.Tensor('float32', state.stats.get(s.name) as Float32Array, [...s.shape]);
      for (const w of model.lossWeights) {
        if (weights[w] === undefined) throw new Error(`the evaluation weights have no loss weight "${w}"`);
        fixed[w] = new ort.Tensor('float32', Float32Array.of(weights[w]), []);
      }
      for await (const batch of batches) {
        const b = batch.conditions.length;
        if (b === 0) continue;
        const arrays = denseInputs(inputs, dense(batch), { seed: config.seed, step: index++ });
        const feeds: Record<string, ort.Tensor> = { ...fixed };
        for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', arrays[i.name], [b, ...i.perCell]);
        const out = await (await session(b)).run(feeds);
        for (const t of model.lossTerms) sums[t] += (await readTensor(out[lossOutput(t)]))[0] * b;
        cells += b;
      }
      if (cells === 0) throw new Error('the validation set produced no cells');
      return Object.fromEntries(model.lossTerms.map((t) => [t, sums[t] / cells]));
    },
    async release() {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
    },
  };
}
