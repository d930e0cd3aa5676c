import { describe, expect, it } from 'vitest';
import { geneMapFromSelection } from '../../cpu/csr-pool.ts';
import { defaultNormalize } from '../../cpu/normalize-options.ts';
import { randomCsr, uniformStream } from '../../cpu/random-csr.ts';
import { probeAdapter } from '../../gpu/adapter.ts';
import { denseRows, type PoolBatch, type PoolInput } from '../batch.ts';
import { ort, type Backend } from '../runtime.ts';
import { scgenLatentMeans, scgenPredict } from '../scgen.ts';
import { makeConfig } from '../trvae/config.ts';
import type { LossValues } from './step-runner.ts';
import { train } from './train.ts';

// SwiftShader is slow: a tiny scGen, 2 epochs × 3 steps of loader-like CSR pool batches, every step
// the same 32 rows (in another order) so that six steps visibly fit them.
const config = makeConfig({ model: 'scgen', nGenes: 40, nConditions: 2, hidden: [16, 8], latent: 3, dropout: 0.2, batchSize: 32, recon: 'mse', alpha: 0.1, eta: 1, learningRate: 1e-2, seed: 13 });
const nVars = 60;
const input: PoolInput = { nVars, geneMap: geneMapFromSelection(nVars, Array.from({ length: 40 }, (_, i) => (i * 7) % nVars)), nSelected: 40, normalize: defaultNormalize };

function poolBatches(epoch: number): PoolBatch[] {
  return Array.from({ length: 3 }, (_, k) => {
    const pool = randomCsr({ nRows: 48, nCols: nVars, meanNnz: 20, seed: 300 });
    const random = uniformStream(400 + 3 * epoch + k);
    const rowIds = Int32Array.from(Array.from({ length: 32 }, (_, i) => i).sort(() => random() - 0.5));
    return { pool, rowIds, conditions: Int32Array.from(rowIds, (r) => r % 2), input };
  });
}

async function trainAndPredict(backend: Backend) {
  const losses: LossValues[] = [];
  const result = await train({
    config,
    backend,
    schedule: { epochs: 2, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0, restoreBest: false },
    batches: async function* (epoch) {
      yield* poolBatches(epoch);
    },
    onEvent: (e) => {
      if (e.kind === 'step' && e.losses) losses.push(e.losses);
    },
  });
  expect(result.stopReason).toBe('completed');
  const cells = poolBatches(0)[0];
  const x = denseRows(cells);
  const weights = { state: result.checkpoint.state };
  const means = await scgenLatentMeans(config, weights, x, cells.conditions, backend);
  const sourceX = x.subarray(0, 8 * 40);
  const prediction = await scgenPredict(config, weights, means, { x: sourceX, source: 0, target: 1 }, backend);
  return { losses, prediction };
}

describe('scGen on the WebGPU EP (SwiftShader) vs the WASM EP', () => {
  it('trains through the same runner (GPU-built batches without condition inputs) and predicts by latent arithmetic alike', async () => {
    const adapter = await probeAdapter();
    expect(adapter.available, adapter.error).toBe(true);
    ort.env.wasm.numThreads = 1;
    const wasm = await trainAndPredict('wasm');
    const gpu = await trainAndPredict('webgpu');
    expect(wasm.losses).toHaveLength(6);
    expect(gpu.losses).toHaveLength(6);
    for (let s = 0; s < 6; s++) {
      expect(Object.keys(gpu.losses[s]).sort()).toEqual(['kl', 'recon', 'total']);
      for (const term of ['recon', 'kl', 'total']) {
        const a = wasm.losses[s][term];
        const b = gpu.losses[s][term];
        expect(Math.abs(a - b), `step ${s} ${term}: wasm ${a} webgpu ${b}`).toBeLessThan(1e-3 * Math.abs(a) + 1e-5);
      }
    }
    expect(gpu.losses[5].recon).toBeLessThan(gpu.losses[0].recon);
    expect(gpu.losses[5].total).toBeLessThan(gpu.losses[0].total);
    expect(gpu.prediction.xhat).toHaveLength(8 * 40);
    gpu.prediction.delta.forEach((v, d) => expect(Math.abs(v - wasm.prediction.delta[d])).toBeLessThan(1e-3 * Math.abs(v) + 1e-4));
    let worst = 0;
    gpu.prediction.xhat.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - wasm.prediction.xhat[i]) / (1 + Math.abs(v)))));
    expect(worst).toBeLessThan(1e-3);
    expect(gpu.prediction.xhat.some((v) => v > 0)).toBe(true);
  }, 300_000);
});
