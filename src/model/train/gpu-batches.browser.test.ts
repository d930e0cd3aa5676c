import { describe, expect, it } from 'vitest';
import { geneMapFromSelection } from '../../cpu/csr-pool.ts';
import { defaultNormalize } from '../../cpu/normalize-options.ts';
import { randomCsr, uniformStream } from '../../cpu/random-csr.ts';
import { probeAdapter } from '../../gpu/adapter.ts';
import type { PoolBatch, PoolInput } from '../batch.ts';
import { ort, type Backend } from '../runtime.ts';
import { makeConfig } from '../trvae/config.ts';
import { layout } from '../trvae/params.ts';
import { train } from './train.ts';
import type { LossValues } from './step-runner.ts';

// SwiftShader is slow: a tiny model, 2 epochs × 3 steps.
const config = makeConfig({ nGenes: 50, nConditions: 2, hidden: [16, 8], latent: 4, dropout: 0.2, batchSize: 32, recon: 'mse', alpha: 0.1, beta: 1, eta: 1, learningRate: 3e-3, seed: 11 });
const nVars = 80;
// 50 of the 80 vars are model genes, in a scrambled order: the gene map is not the identity.
const selected = Array.from({ length: 50 }, (_, i) => (i * 31) % nVars);
const batchInputs = ['x', 'c', 'eps', ...layout(config).masks.map((m) => m.name)];
const input: PoolInput = { nVars, geneMap: geneMapFromSelection(nVars, selected), nSelected: 50, normalize: defaultNormalize };

/** Loader-like batches: a 48-row CSR pool per step, 32 of its rows picked in shuffled order. */
function poolBatches(epoch: number): PoolBatch[] {
  return Array.from({ length: 3 }, (_, k) => {
    const pool = randomCsr({ nRows: 48, nCols: nVars, meanNnz: 20, seed: 100 + 3 * epoch + k });
    const random = uniformStream(200 + 3 * epoch + k);
    const order = Array.from({ length: 48 }, (_, i) => i).sort(() => random() - 0.5);
    const rowIds = Int32Array.from(order.slice(0, 32));
    return { pool, rowIds, conditions: Int32Array.from(rowIds, (r) => r % 2), input };
  });
}

type RunFeeds = (this: ort.InferenceSession, feeds: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;

/** Runs training on `backend`, recording where each batch input handed to ONNX Runtime lives. */
async function trajectory(backend: Backend) {
  // onnxruntime-common's InferenceSession is a class: wrap its run to see every session's feeds.
  const prototype = (ort.InferenceSession as unknown as { prototype: { run: RunFeeds } }).prototype;
  const run = prototype.run;
  const locations = new Set<string>();
  prototype.run = function (feeds) {
    for (const name of batchInputs) locations.add(`${name}:${feeds[name].location}`);
    return run.call(this, feeds);
  };
  const losses: LossValues[] = [];
  try {
    const result = await train({
      config,
      backend,
      schedule: { epochs: 2, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0 },
      batches: async function* (epoch) {
        yield* poolBatches(epoch);
      },
      onEvent: (e) => {
        if (e.kind === 'step' && e.losses) losses.push(e.losses);
      },
    });
    expect(result.stopReason).toBe('completed');
  } finally {
    prototype.run = run;
  }
  return { losses, locations: [...locations].sort() };
}

describe('training from CSR pools: GPU-built batches on the WebGPU EP vs CPU-built batches on the WASM EP', () => {
  it('gives the same losses per step for a fixed seed, the WebGPU session being fed GPU buffers', async () => {
    const adapter = await probeAdapter();
    expect(adapter.available, adapter.error).toBe(true);
    ort.env.wasm.numThreads = 1;
    const wasm = await trajectory('wasm');
    const gpu = await trajectory('webgpu');
    expect(batchInputs.length).toBe(7);
    expect(wasm.locations).toEqual(batchInputs.map((n) => `${n}:cpu`).sort());
    expect(gpu.locations).toEqual(batchInputs.map((n) => `${n}:gpu-buffer`).sort());
    expect(wasm.losses).toHaveLength(6);
    expect(gpu.losses).toHaveLength(6);
    for (let s = 0; s < 6; s++) {
      for (const term of ['recon', 'kl', 'mmd', 'total'] as const) {
        const a = wasm.losses[s][term];
        const b = gpu.losses[s][term];
        expect(Math.abs(a - b), `step ${s} ${term}: wasm ${a} webgpu ${b}`).toBeLessThan(1e-4 * Math.abs(a) + 1e-6);
      }
    }
  });
});
