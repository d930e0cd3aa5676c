import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CsrBlock } from '../source/types.ts';
import { probeAdapter } from './adapter.ts';
import { readBuffer } from './readback.testkit.ts';
import { createBatchGatherer } from './gather-normalize.ts';
import { createOneHotEncoder } from './onehot.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import { oneHot } from '../cpu/onehot.ts';
import { geneMapFromSelection } from '../cpu/csr-pool.ts';
import { randomCsr, uniformStream } from '../cpu/random-csr.ts';
import { KernelInputError } from '../cpu/errors.ts';
import type { NormalizeOptions } from '../cpu/normalize-options.ts';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice();
});
afterAll(() => device.destroy());

/** Worst |gpu − cpu| / (abs + rel·|cpu|); < 1 passes. */
function worstError(gpu: Float32Array, cpu: Float32Array, abs = 2e-6, rel = 2e-5): number {
  expect(gpu.length).toBe(cpu.length);
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) {
    const e = Math.abs(gpu[i] - cpu[i]) / (abs + rel * Math.abs(cpu[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function shuffledSelection(nVars: number, nSelected: number, seed: number): Int32Array {
  const rand = uniformStream(seed);
  const all = Int32Array.from({ length: nVars }, (_, i) => i);
  for (let i = 0; i < nSelected; i++) {
    const j = i + Math.floor(rand() * (nVars - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return geneMapFromSelection(nVars, all.subarray(0, nSelected));
}

async function compare(
  pool: CsrBlock,
  rowIds: number[],
  geneMap: Int32Array,
  normalize: NormalizeOptions,
  maxSegmentBytes?: number,
): Promise<{ segments: number; x: Float32Array; sf: Float32Array }> {
  const g = await createBatchGatherer(device, { nVars: pool.nCols, geneMap, maxBatchRows: rowIds.length + 3, normalize, maxSegmentBytes });
  g.setPool(pool);
  g.run(rowIds);
  const x = new Float32Array(await readBuffer(device, g.x, Math.max(4, rowIds.length * g.nSelected * 4)));
  const sf = new Float32Array(await readBuffer(device, g.sizeFactors, rowIds.length * 4));
  const cpu = gatherNormalize(pool, rowIds, geneMap, g.nSelected, normalize);
  expect(worstError(sf, cpu.sizeFactors, 1e-6, 1e-6)).toBeLessThan(1);
  expect(worstError(x.subarray(0, cpu.x.length), cpu.x)).toBeLessThan(1);
  const segments = g.segmentCount;
  g.destroy();
  return { segments, x, sf };
}

describe('gather-normalize.wgsl vs the CPU path', () => {
  it('has a WebGPU adapter in the test browser', async () => {
    const report = await probeAdapter();
    expect(report.available, report.error).toBe(true);
  });

  for (const indexType of ['uint16', 'int32'] as const) {
    it(`random pool, ${indexType} indices, 500 of 3000 genes, normalize_total 1e4 + log1p`, async () => {
      const pool = randomCsr({ nRows: 300, nCols: 3000, meanNnz: 200, seed: 7, indexType });
      const rand = uniformStream(3);
      const rowIds = Array.from({ length: 257 }, () => Math.floor(rand() * pool.nRows));
      const { x } = await compare(pool, rowIds, shuffledSelection(3000, 500, 11), { targetSum: 1e4, log1p: true });
      expect(x.some((v) => v > 0)).toBe(true);
    });
  }

  it('edge cases: empty rows, dropped-only rows, repeated rows, tiny values, scaling with clip and std 0', async () => {
    const nCols = 40;
    // Row 0 empty, 1 one tiny value, 2 only dropped genes, 3 dense, 4 a huge value.
    const rows: [number, number][][] = [
      [],
      [[5, 1e-6]],
      [[1, 3], [2, 4]],
      Array.from({ length: nCols }, (_, g) => [g, g + 1] as [number, number]),
      [[0, 1], [39, 1e6]],
    ];
    const indptr = new Int32Array(rows.length + 1);
    rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.length));
    const pool: CsrBlock = {
      format: 'csr',
      nRows: rows.length,
      nCols,
      indptr,
      indices: Uint16Array.from(rows.flat(), ([g]) => g),
      data: Float32Array.from(rows.flat(), ([, v]) => v),
    };
    const geneMap = geneMapFromSelection(nCols, [39, 5, 0, 10, 20, 30, 3]);
    const rowIds = [4, 0, 1, 2, 3, 3, 1];
    const { sf, x } = await compare(pool, rowIds, geneMap, { targetSum: 1e4, log1p: true });
    expect(sf[1]).toBe(0);
    expect(x.subarray(7, 14).every((v) => v === 0)).toBe(true);
    await compare(pool, rowIds, geneMap, { targetSum: null, log1p: false });
    await compare(pool, [0, 2], geneMap, { targetSum: 5e3, log1p: true });
    const scale = {
      mean: Float32Array.from([1, 2, 0.5, 0, 3, 1, 0]),
      std: Float32Array.from([2, 0, 1, 0.5, 1, 1e-3, 1]),
      clip: 10,
    };
    const scaled = await compare(pool, rowIds, geneMap, { targetSum: 1e4, log1p: true, scale });
    expect(Math.max(...scaled.x.subarray(0, 49))).toBeLessThanOrEqual(10);
    expect(Math.min(...scaled.x.subarray(0, 49))).toBeGreaterThanOrEqual(-10);
  });

  it('log1p keeps relative precision for tiny values (WGSL log alone does not)', async () => {
    const values = Float32Array.from({ length: 2000 }, (_, i) => (i % 2 ? 1e-8 * (i + 1) : 0.5 * i));
    const pool: CsrBlock = {
      format: 'csr',
      nRows: 1,
      nCols: values.length,
      indptr: Int32Array.from([0, values.length]),
      indices: Int32Array.from(values, (_, i) => i),
      data: values,
    };
    const geneMap = geneMapFromSelection(values.length, Array.from(values, (_, i) => i));
    const { x } = await compare(pool, [0], geneMap, { targetSum: null, log1p: true });
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      const expected = Math.log1p(values[i]);
      worst = Math.max(worst, Math.abs(x[i] - expected) / (1e-12 + 1e-5 * expected));
    }
    expect(worst).toBeLessThan(1);
  });

  it('splits a pool larger than one binding into segments and still gathers every row', async () => {
    const pool = randomCsr({ nRows: 200, nCols: 1000, meanNnz: 50, seed: 9, indexType: 'uint16' });
    const rand = uniformStream(4);
    const rowIds = Array.from({ length: 150 }, () => Math.floor(rand() * pool.nRows));
    const { segments } = await compare(pool, rowIds, shuffledSelection(1000, 300, 1), { targetSum: 1e4, log1p: true }, 2048);
    expect(segments).toBeGreaterThan(10);
  });

  it('reuses its buffers across batches and pools', async () => {
    const geneMap = shuffledSelection(500, 50, 3);
    const normalize: NormalizeOptions = { targetSum: 1e4, log1p: true };
    const g = await createBatchGatherer(device, { nVars: 500, geneMap, maxBatchRows: 64, normalize });
    const [x, sf] = [g.x, g.sizeFactors];
    for (let k = 0; k < 3; k++) {
      const pool = randomCsr({ nRows: 100 + 50 * k, nCols: 500, meanNnz: 30 + 10 * k, seed: 20 + k, indexType: k % 2 ? 'uint16' : 'int32' });
      g.setPool(pool);
      const rowIds = Array.from({ length: 64 - k }, (_, i) => (i * 7 + k) % pool.nRows);
      g.run(rowIds);
      const got = new Float32Array(await readBuffer(device, g.x, rowIds.length * 50 * 4));
      expect(worstError(got, gatherNormalize(pool, rowIds, geneMap, 50, normalize).x)).toBeLessThan(1);
    }
    expect(g.x).toBe(x);
    expect(g.sizeFactors).toBe(sf);
    g.destroy();
  });

  it('rejects bad input with a typed error naming it', async () => {
    const pool = randomCsr({ nRows: 10, nCols: 20, meanNnz: 5, seed: 1 });
    await expect(createBatchGatherer(device, { nVars: 20, geneMap: new Int32Array(19), maxBatchRows: 4, normalize: { targetSum: 1e4, log1p: true } }))
      .rejects.toThrow(KernelInputError);
    const g = await createBatchGatherer(device, { nVars: 20, geneMap: geneMapFromSelection(20, [1, 2]), maxBatchRows: 4, normalize: { targetSum: 1e4, log1p: true } });
    expect(() => g.run([0])).toThrow(/setPool/);
    g.setPool(pool);
    expect(() => g.run([0, 10])).toThrow(/rowIds: entry 1 is 10/);
    expect(() => g.run([0, 1, 2, 3, 4])).toThrow(/maxBatchRows/);
    const empty: CsrBlock = { format: 'csr', nRows: 0, nCols: 20, indptr: Int32Array.of(0), indices: new Uint16Array(0), data: new Float32Array(0) };
    g.setPool(empty);
    expect(() => g.run([])).not.toThrow();
    expect(() => g.run([0])).toThrow(/not a pool row in \[0, 0\)/);
    g.setPool(pool);
    const badIndex = { ...pool, indices: pool.indices.map((v, i) => (i === 3 ? 20 : v)) };
    expect(() => g.setPool(badIndex)).toThrow(/pool.indices: entry 3 is gene 20/);
    g.destroy();
  });
});

describe('onehot.wgsl vs the CPU path', () => {
  it('encodes codes of a batch, reusing its output buffer', async () => {
    const enc = await createOneHotEncoder(device, 3, 1000);
    for (const n of [1, 999]) {
      const codes = Int32Array.from({ length: n }, (_, i) => (i * 5) % 3);
      enc.run(codes);
      const got = new Float32Array(await readBuffer(device, enc.out, n * 3 * 4));
      expect(got).toEqual(oneHot(codes, 3));
    }
    expect(() => enc.run([0, 3])).toThrow(KernelInputError);
    expect(() => enc.run([-1])).toThrow(/missing/);
    enc.destroy();
  });
});
