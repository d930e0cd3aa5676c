import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import type { PoolBatch, PoolInput } from '../batch.ts';
import { blockToCsr } from '../../cpu/csr-pool.ts';
import { poolInput } from '../dataset.ts';
import { simulateDataset } from '../simulate.ts';
import { ConfigError, makeConfig } from '../trvae/config.ts';
import { memoryBatches } from './memory-batches.ts';
import { createStepBatchBuilder } from './step-batches.ts';
import { train } from './train.ts';

ort.env.wasm.numThreads = 1;

// Raw counts as the loader delivers them: CSR pools whose rows the step builder gathers.
const data = simulateDataset({ nCells: 384, nGenes: 40, seed: 6 });
const pool = blockToCsr({ format: 'dense', nRows: data.nCells, nCols: data.nGenes, values: data.counts });
// 30 of the 40 genes, so the library size (all genes) exceeds the model genes' total.
const genes = Array.from({ length: 30 }, (_, i) => i);
const counts = poolInput(data.nGenes, genes, 'counts');
const config = makeConfig({ nGenes: 30, nConditions: 2, hidden: [32, 16], latent: 4, dropout: 0.1, batchSize: 64, recon: 'nb', alpha: 0.5, beta: 10, eta: 1, learningRate: 3e-3, seed: 2 });

function batches(rows: readonly number[], input: PoolInput, offset: number): AsyncIterable<PoolBatch> {
  return (async function* () {
    for (let s = 0; s + 64 <= rows.length; s += 64) {
      // A fixed rotation per epoch: different batch compositions, deterministic.
      const rowIds = Int32Array.from({ length: 64 }, (_, k) => rows[(s + k + offset * 7) % rows.length]);
      yield { pool, rowIds, conditions: Int32Array.from(rowIds, (r) => data.conditions[r]), input };
    }
  })();
}

const trainRows = Array.from({ length: 320 }, (_, i) => i);
const validationRows = Array.from({ length: 64 }, (_, i) => 320 + i);

describe("training with recon 'nb' (WASM EP)", () => {
  it('lowers the NB loss on simulated counts, for training and validation batches', async () => {
    const result = await train({
      config,
      schedule: { epochs: 16, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0 },
      batches: (epoch) => batches(trainRows, counts, epoch),
      validation: () => batches(validationRows, counts, 0),
    });
    expect(result.stopReason).toBe('completed');
    const history = result.checkpoint.history;
    const [first, last] = [history[0], history[history.length - 1]];
    expect(Number.isFinite(first.train.recon) && first.train.recon > 0).toBe(true);
    expect(last.train.recon).toBeLessThan(0.8 * first.train.recon);
    expect(last.validation!.recon).toBeLessThan(0.8 * first.validation!.recon);
    // The dispersion is trained like every other parameter.
    expect(result.checkpoint.state.params.get('dec.log_theta')!.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('refuses log-normalised pools and in-memory batches without counts, naming the fix', async () => {
    const builder = createStepBatchBuilder(config, 'wasm');
    const log1p = poolInput(data.nGenes, genes, 'log1p');
    const rowIds = Int32Array.from({ length: 64 }, (_, i) => i);
    const conditions = Int32Array.from(rowIds, (r) => data.conditions[r]);
    await expect(builder.build({ pool, rowIds, conditions, input: log1p }, 0)).rejects.toThrow(ConfigError);
    await expect(builder.build({ pool, rowIds, conditions, input: log1p }, 0)).rejects.toThrow(/needs raw counts.*--input counts/);
    const dense = { x: new Float32Array(64 * 30), conditions };
    await expect(createStepBatchBuilder(config, 'wasm').build(dense, 0)).rejects.toThrow(/needs raw counts: this in-memory batch/);
    builder.release();
  });

  it('in-memory datasets with counts feed the NB loss through memoryBatches', async () => {
    const G = data.nGenes;
    const sizeFactors = Float32Array.from({ length: data.nCells }, (_, r) => data.counts.subarray(r * G, (r + 1) * G).reduce((a, b) => a + b, 0));
    const x = data.counts.map((v, i) => Math.log1p((v * 1e4) / Math.max(1, sizeFactors[Math.floor(i / G)])));
    const dataset = { x, conditions: data.conditions, nGenes: G, counts: { counts: data.counts, sizeFactors } };
    const full = makeConfig({ ...config, nGenes: G });
    const rows = [5, 9, ...Array.from({ length: 62 }, (_, i) => 100 + i)];
    const batches = [];
    for await (const b of memoryBatches(dataset, rows, 64, undefined)) batches.push(b);
    const [batch] = batches;
    expect(batches).toHaveLength(1);
    const built = await createStepBatchBuilder(full, 'wasm').build(batch, 0);
    expect([...(built.counts as Float32Array).subarray(G, 2 * G)]).toEqual([...data.counts.subarray(9 * G, 10 * G)]);
    expect((built.size_factors as Float32Array)[1]).toBe(sizeFactors[9]);
  });
});
