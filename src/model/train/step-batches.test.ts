import { describe, expect, it } from 'vitest';
import { geneMapFromSelection } from '../../cpu/csr-pool.ts';
import { defaultNormalize } from '../../cpu/normalize-options.ts';
import { dropoutMask, normalNoise } from '../../cpu/philox.ts';
import { randomCsr } from '../../cpu/random-csr.ts';
import { denseRows, type PoolBatch } from '../batch.ts';
import { makeConfig } from '../trvae/config.ts';
import { layout } from '../trvae/params.ts';
import { createStepBatchBuilder } from './step-batches.ts';

const config = makeConfig({ nGenes: 6, nConditions: 3, hidden: [5, 4], latent: 2, dropout: 0.25, batchSize: 4, seed: 9 });
const input = { nVars: 10, geneMap: geneMapFromSelection(10, [7, 2, 9, 0, 4, 5]), nSelected: 6, normalize: defaultNormalize };
const pool = randomCsr({ nRows: 7, nCols: 10, meanNnz: 5, seed: 1 });
const poolBatch: PoolBatch = { pool, rowIds: Int32Array.from([6, 0, 3, 3]), conditions: Int32Array.from([2, 0, 1, 2]), input };

describe('step inputs (CPU builder)', () => {
  it('pool and in-memory batches get the same inputs, noise keyed by (seed, step, stream) as the GPU kernels', async () => {
    const builder = createStepBatchBuilder(config, 'wasm');
    const fromPool = await builder.build(poolBatch, 5);
    const x = Float32Array.from(denseRows(poolBatch));
    expect([...(fromPool.x as Float32Array)]).toEqual([...x]);
    const eps = normalNoise(4 * 2, { seed: 9, step: 5, stream: 0 });
    expect([...(fromPool.eps as Float32Array)]).toEqual([...eps]);
    const masks = layout(config).masks;
    masks.forEach((m, k) => expect([...(fromPool[m.name] as Float32Array)], m.name).toEqual([...dropoutMask(4 * m.width, 0.25, { seed: 9, step: 5, stream: k + 1 })]));
    expect([...(fromPool.c as Float32Array)]).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const fromMemory = await builder.build({ x, conditions: poolBatch.conditions }, 5);
    for (const key of ['x', 'c', 'eps'] as const) expect([...(fromMemory[key] as Float32Array)], key).toEqual([...(fromPool[key] as Float32Array)]);
    // Another step draws other noise into the same (reused) arrays.
    const next = await builder.build({ x, conditions: poolBatch.conditions }, 6);
    expect(next.eps).toBe(fromMemory.eps);
    expect([...(next.eps as Float32Array)]).toEqual([...normalNoise(8, { seed: 9, step: 6, stream: 0 })]);
    builder.release();
  });

  it('rejects pool batches whose genes do not match the model, and a second gene map in one run', async () => {
    const wrong = { ...poolBatch, input: { ...input, geneMap: geneMapFromSelection(10, [1, 2]), nSelected: 2 } };
    await expect(createStepBatchBuilder(config, 'wasm').build(wrong, 0)).rejects.toThrow(/select 2 genes; the model has 6/);
    const builder = createStepBatchBuilder(config, 'wasm');
    await builder.build(poolBatch, 0);
    await expect(builder.build({ ...poolBatch, input: { ...input } }, 1)).rejects.toThrow(/share one PoolInput/);
  });

  it("recon 'nb': raw counts of the model genes and full-row library sizes, built on the CPU on either EP", async () => {
    const nb = makeConfig({ ...config, recon: 'nb' });
    // In Node there is no WebGPU device: the 'webgpu' builder must not take the kernel path for NB.
    for (const backend of ['wasm', 'webgpu'] as const) {
      const builder = createStepBatchBuilder(nb, backend);
      const built = await builder.build(poolBatch, 5);
      const selected = [7, 2, 9, 0, 4, 5];
      const expected: number[] = [];
      const totals: number[] = [];
      for (const r of poolBatch.rowIds) {
        const row = new Float32Array(10);
        let total = 0;
        for (let j = pool.indptr[r]; j < pool.indptr[r + 1]; j++) {
          row[pool.indices[j]] = pool.data[j];
          total += pool.data[j];
        }
        expected.push(...selected.map((g) => row[g]));
        totals.push(Math.fround(total));
      }
      expect([...(built.counts as Float32Array)], backend).toEqual(expected);
      expect([...(built.size_factors as Float32Array)], backend).toEqual(totals);
      expect([...(built.x as Float32Array)], backend).toEqual([...denseRows(poolBatch)]);
      builder.release();
    }
  });
});
