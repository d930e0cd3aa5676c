import { describe, expect, it } from 'vitest';
import { probeAdapter } from '../../gpu/adapter.ts';
import { createRng } from '../random.ts';
import { ort } from '../runtime.ts';
import { makeConfig } from '../trvae/config.ts';
import { initialModelState } from './state.ts';
import { createStepRunner, type LossValues } from './step-runner.ts';
import { denseStepBatch } from './step-batches.ts';

// SwiftShader is ~40× slower than WASM: keep the model tiny.
const config = makeConfig({ nGenes: 16, nConditions: 2, hidden: [8, 4], latent: 3, dropout: 0.1, batchSize: 16, recon: 'mse', alpha: 0.1, beta: 1, eta: 1, learningRate: 3e-3, seed: 4 });

function batches(n: number) {
  const rng = createRng(21);
  return Array.from({ length: n }, () => {
    const conditions = Int32Array.from({ length: config.batchSize }, (_, i) => i % 2);
    const x = Float32Array.from({ length: config.batchSize * config.nGenes }, (_, i) => Math.max(0, rng.normal() + (conditions[Math.floor(i / config.nGenes)] ? 1 : 0)));
    return { x, conditions };
  });
}

async function trajectory(backend: 'wasm' | 'webgpu', steps: number) {
  const runner = await createStepRunner(config, initialModelState(config), backend);
  const losses: LossValues[] = [];
  for (const [s, b] of batches(steps).entries()) losses.push((await runner.run(denseStepBatch(config, b, s), { learningRate: config.learningRate, alpha: config.alpha, beta: config.beta, eta: config.eta }, true))!);
  const locations = runner.stateLocations();
  const state = await runner.state();
  await runner.release();
  return { losses, locations, state };
}

describe('train step on the WebGPU EP (SwiftShader) vs the WASM EP', () => {
  it('gives the same loss trajectory and parameters for a fixed seed, with the state kept on the GPU', async () => {
    const adapter = await probeAdapter();
    expect(adapter.available, adapter.error).toBe(true);
    ort.env.wasm.numThreads = 1;
    const steps = 8;
    const wasm = await trajectory('wasm', steps);
    const gpu = await trajectory('webgpu', steps);
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
