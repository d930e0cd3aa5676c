import { describe, expect, it } from 'vitest';
import { createGraph, input, output } from './onnx/ir.ts';
import { matmul } from './onnx/ops.ts';
import { serializeGraph } from './onnx/serialize.ts';
import { createSession, ort, readTensor, resolveBackend } from './runtime.ts';
import { trajectory } from './runtime-trajectory.ts';
import { makeConfig } from './trvae/config.ts';

const config = makeConfig({ nGenes: 96, nConditions: 3, hidden: [48, 16], latent: 4, dropout: 0.2, batchSize: 32, seed: 3 });

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

describe('ONNX Runtime backends in Node', () => {
  it("'native' is onnxruntime-node's CPU EP here (it loads); its outputs are ort.Tensor like ORT-web's", async () => {
    expect(await resolveBackend('native')).toBe('native');
    const g = createGraph('matmul');
    output('y', matmul(input(g, 'a', 'float32', [2, 3]), input(g, 'b', 'float32', [3, 2])));
    const session = await createSession(serializeGraph(g), 'native');
    const a = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    const b = new ort.Tensor('float32', Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]);
    const { y } = await session.run({ a, b });
    expect(y).toBeInstanceOf(ort.Tensor);
    expect(y.dims).toEqual([2, 2]);
    expect([...(await readTensor(y))]).toEqual([4, 5, 10, 11]);
    await session.release();
  });

  it('the same train-step graph gives the same losses and parameters on native and WASM over several steps', async () => {
    const steps = 6;
    const [native, wasm] = [await trajectory(config, 'native', steps), await trajectory(config, 'wasm', steps)];
    for (let s = 0; s < steps; s++) {
      for (const term of ['recon', 'kl', 'mmd', 'total'] as const) {
        const [n, w] = [native.losses[s][term], wasm.losses[s][term]];
        expect(Number.isFinite(n), `${term} step ${s}`).toBe(true);
        // KL within 1e-3: see enc.mu.b below.
        expect(Math.abs(n - w), `${term} step ${s}: ${n} vs ${w}`).toBeLessThanOrEqual((term === 'kl' ? 1e-3 : 1e-5) * Math.abs(w));
      }
    }
    // The run learns (not a no-op that would match trivially), on both runtimes alike.
    expect(native.losses[steps - 1].total).toBeLessThan(native.losses[0].total);
    expect(native.state.step).toBe(steps);
    for (const [name, w] of wasm.state.params) {
      const n = native.state.params.get(name) as Float32Array;
      // The reconstruction and MMD terms do not depend on the latent mean's bias (the decoder's first
      // batch norm removes any shift of z), so its gradient is the small KL term plus rounding noise,
      // which Adam's normalised step turns into updates of up to ±lr: bounded by lr per step instead.
      if (name === 'enc.mu.b') expect(Math.max(...w.map((v, i) => Math.abs(v - n[i]))), name).toBeLessThanOrEqual(2 * config.learningRate * steps);
      else expect(maxRelativeDifference(w, n), name).toBeLessThan(1e-5);
    }
  });
});
