import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuGeneMoments } from './hvg.ts';
import { accumulateCsr, createGeneMoments, seuratHvg, variances } from '../cpu/hvg.ts';
import { hvgFixture } from '../cpu/hvg-fixture.ts';
import { randomCsr } from '../cpu/random-csr.ts';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice();
});
afterAll(() => device.destroy());

function expectNear(got: Float64Array, expected: Float64Array, rel: number): void {
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) expect(got[i], `entry ${i}`).toBeNaN();
    else expect(Math.abs(got[i] - expected[i]), `entry ${i}: ${got[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rel * (1 + Math.abs(expected[i])));
  }
}

describe('streaming gene moments on the GPU (gather-normalize.wgsl + column-stats.wgsl)', () => {
  for (const [name, pool, input] of [
    ['counts', hvgFixture.counts, { kind: 'counts', targetSum: 1e4 }],
    ['log1p data', hvgFixture.log1pNormalized, { kind: 'log1p' }],
  ] as const) {
    it(`select scanpy's seurat highly variable genes from ${name} (fixture)`, async () => {
      const stats = await createGpuGeneMoments(device, { nVars: pool.nCols, input, maxBatchRows: 30 });
      // Two passes over halves of the cells, as two pools of an out-of-core dataset.
      const rows = Array.from({ length: pool.nRows }, (_, i) => i);
      await stats.add(pool, rows.slice(0, 55));
      await stats.add(pool, rows.slice(55));
      expect(stats.moments.count).toBe(100);
      expectNear(variances(stats.moments), hvgFixture.variance, 2e-5);
      const hvg = seuratHvg(stats.moments.mean, variances(stats.moments), hvgFixture.nTop);
      expectNear(hvg.dispersionsNorm, hvgFixture.dispersionsNorm, 1e-3);
      expect(Array.from(hvg.selected)).toEqual(Array.from(hvgFixture.highlyVariable));
      stats.destroy();
    });
  }

  it('matches the CPU path on a random pool across 256-row chunks, with progress and abort', async () => {
    const pool = randomCsr({ nRows: 700, nCols: 900, meanNnz: 80, seed: 12, indexType: 'uint16' });
    const stats = await createGpuGeneMoments(device, { nVars: 900, input: { kind: 'counts', targetSum: 1e4 }, maxBatchRows: 600 });
    const progress: number[] = [];
    await stats.add(pool, undefined, { onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([600, 700]);
    const cpu = createGeneMoments(900);
    accumulateCsr(cpu, pool, Array.from({ length: 700 }, (_, i) => i), { kind: 'counts', targetSum: 1e4 });
    expectNear(stats.moments.mean, cpu.mean, 1e-5);
    expectNear(variances(stats.moments), variances(cpu), 1e-4);
    await expect(stats.add(pool, undefined, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(stats.moments.count).toBe(700);
    stats.destroy();
  });
});
