import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { denseStepBatch } from '../train/step-batches.ts';
import { initialModelState } from '../train/state.ts';
import { createRng } from '../../random.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { makeConfig } from './config.ts';
import { buildTrainStep } from './graphs.ts';
import { initialState, layout } from './params.ts';

ort.env.wasm.numThreads = 1;

describe('initialisation and the optimiser step', () => {
  it('Glorot-normal (truncated at 2σ, Keras scaling) weights, zero biases, unit BN scale, seeded', () => {
    const config = makeConfig({ nGenes: 300, nConditions: 2, hidden: [200, 50], latent: 10, seed: 5 });
    const a = initialState(config);
    const b = initialState(config);
    const w = a.params.get('enc.0.w')!;
    expect(w).toEqual(b.params.get('enc.0.w'));
    expect(initialState({ ...config, seed: 6 }).params.get('enc.0.w')).not.toEqual(w);
    const target = Math.sqrt(2 / (302 + 200));
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeCloseTo(target, 2);
    const bound = (2 * target) / 0.87962566103423978;
    expect(w.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(a.params.get('enc.mu.b')!.every((v) => v === 0)).toBe(true);
    expect(a.params.get('enc.0.bn.gamma')!.every((v) => v === 1)).toBe(true);
    expect(a.stats.get('dec.0.bn.var')!.every((v) => v === 1)).toBe(true);
  });

  it("one step is Keras' Adam on value-clipped gradients (t = 1, lr_t = lr·√(1−β₂)/(1−β₁))", async () => {
    // A huge reconstruction weight makes many gradients exceed the clip value.
    const config = makeConfig({ nGenes: 8, nConditions: 2, hidden: [6, 4], latent: 2, batchSize: 8, dropout: 0, eta: 1e4, learningRate: 0.01, clipValue: 0.5 });
    const session = await ort.InferenceSession.create(serializeGraph(buildTrainStep(config).graph));
    const state = initialModelState(config);
    const rng = createRng(3);
    const batch = denseStepBatch(config, { x: Float32Array.from({ length: 64 }, () => Math.abs(rng.normal()) * 3), conditions: Int32Array.from({ length: 8 }, (_, i) => i % 2) }, 0);
    const feeds: Record<string, ort.Tensor> = {};
    const lay = layout(config);
    for (const p of lay.params) {
      feeds[p.name] = new ort.Tensor('float32', state.params.get(p.name)!, [...p.shape]);
      feeds[`adam.m.${p.name}`] = new ort.Tensor('float32', new Float32Array(state.params.get(p.name)!.length), [...p.shape]);
      feeds[`adam.v.${p.name}`] = new ort.Tensor('float32', new Float32Array(state.params.get(p.name)!.length), [...p.shape]);
    }
    for (const s of lay.stats) feeds[s.name] = new ort.Tensor('float32', state.stats.get(s.name)!, [...s.shape]);
    const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
    Object.assign(feeds, {
      step: scalar(0), lr: scalar(config.learningRate), alpha: scalar(config.alpha), beta: scalar(config.beta), eta: scalar(config.eta),
      x: new ort.Tensor('float32', batch.x as Float32Array, [8, 8]), c: new ort.Tensor('float32', batch.c as Float32Array, [8, 2]), eps: new ort.Tensor('float32', batch.eps as Float32Array, [8, 2]),
    });
    const out = await session.run(feeds);
    expect((out['step.next'].data as Float32Array)[0]).toBe(1);
    const lrT = (config.learningRate * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    let clipped = 0;
    for (const p of lay.params) {
      const before = state.params.get(p.name)!;
      const after = out[`${p.name}.next`].data as Float32Array;
      const m = out[`adam.m.${p.name}.next`].data as Float32Array;
      const v = out[`adam.v.${p.name}.next`].data as Float32Array;
      for (let i = 0; i < before.length; i++) {
        const g = m[i] / 0.1; // m₁ = (1 − β₁)·clip(g)
        expect(Math.abs(g)).toBeLessThanOrEqual(config.clipValue * (1 + 1e-6));
        if (Math.abs(g) > config.clipValue * (1 - 1e-6)) clipped++;
        expect(v[i]).toBeCloseTo(0.001 * g * g, 9);
        expect(after[i]).toBeCloseTo(before[i] - (lrT * m[i]) / (Math.sqrt(v[i]) + config.adamEpsilon), 6);
      }
    }
    expect(clipped).toBeGreaterThan(10);
  });
});
