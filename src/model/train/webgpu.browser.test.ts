import { describe, expect, it } from 'vitest';
import { probeAdapter } from '../../gpu/adapter.ts';
import { createRng } from '../../random.ts';
import { ort } from '../runtime.ts';
import { makeConfig, type TrvaeConfig } from '../trvae/config.ts';
import { initialModelState } from './state.ts';
import { createStepRunner, type LossValues } from './step-runner.ts';
import { denseStepBatch } from './step-batches.ts';

// SwiftShader is ~40× slower than WASM: keep the model tiny.
const mseConfig = makeConfig({ nGenes: 16, nConditions: 2, hidden: [8, 4], latent: 3, dropout: 0.1, batchSize: 16, recon: 'mse', alpha: 0.1, beta: 1, eta: 1, learningRate: 3e-3, seed: 4 });

/** Counts-like integers (condition-shifted), their log1p as x, and the row totals as size factors. */
function batches(config: TrvaeConfig, n: number) {
  const rng = createRng(21);
  const made = Array.from({ length: n - 1 }, () => {
    const conditions = Int32Array.from({ length: config.batchSize }, (_, i) => i % 2);
    const counts = Float32Array.from({ length: config.batchSize * config.nGenes }, (_, i) => Math.round(Math.max(0, 3 * (rng.normal() + (conditions[Math.floor(i / config.nGenes)] ? 1 : 0)))));
    const sizeFactors = Float32Array.from({ length: config.batchSize }, (_, r) => counts.subarray(r * config.nGenes, (r + 1) * config.nGenes).reduce((a, b) => a + b, 0) + 5);
    return { x: counts.map((v) => Math.log1p(v)), conditions, counts: { counts, sizeFactors } };
  });
  // The last step sees the first batch again, so "the loss fell" compares the same cells.
  return [...made, made[0]];
}

async function trajectory(config: TrvaeConfig, backend: 'wasm' | 'webgpu', steps: number) {
  const runner = await createStepRunner(config, initialModelState(config), backend);
  const losses: LossValues[] = [];
  for (const [s, b] of batches(config, steps).entries()) losses.push((await runner.run(denseStepBatch(config, b, s), { learningRate: config.learningRate, alpha: config.alpha, beta: config.beta, eta: config.eta }, true))!);
  const locations = runner.stateLocations();
  const state = await runner.state();
  await runner.release();
  return { losses, locations, state };
}

describe('train step on the WebGPU EP (SwiftShader) vs the WASM EP', () => {
  it.each([
    ['mse', mseConfig],
    ['nb', makeConfig({ ...mseConfig, recon: 'nb' })],
  ] as const)('recon %s: gives the same loss trajectory and parameters for a fixed seed, with the state kept on the GPU', async (_recon, config) => {
    const adapter = await probeAdapter();
    expect(adapter.available, adapter.error).toBe(true);
    ort.env.wasm.numThreads = 1;
    const steps = 8;
    const wasm = await trajectory(config, 'wasm', steps);
    const gpu = await trajectory(config, 'webgpu', steps);
    expect([...wasm.locations]).toEqual(['cpu']);
    expect([...gpu.locations]).toEqual(['gpu-buffer']);
    for (let s = 0; s < steps; s++) {
      for (const term of ['recon', 'kl', 'mmd', 'total'] as const) {
        const a = wasm.losses[s][term];
        const b = gpu.losses[s][term];
        expect(Math.abs(a - b), `step ${s} ${term}: wasm ${a} webgpu ${b}`).toBeLessThan(2e-3 * Math.abs(a) + 1e-5);
      }
    }
    expect(wasm.losses[steps - 1].total).toBeLessThan(wasm.losses[0].total);
    for (const [name, a] of wasm.state.params) {
      const b = gpu.state.params.get(name)!;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, name).toBeLessThan(1e-3);
    }
  });
});
