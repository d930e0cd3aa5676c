import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMmdEvaluator } from './mmd.ts';
import { uploadStorage } from './buffers.ts';
import { MMD_SIGMAS, mmd, type MmdResult } from '../cpu/mmd.ts';
import { uniformStream } from '../cpu/random-csr.ts';
import { KernelInputError, KernelLimitError } from '../cpu/errors.ts';
import { createGraph, input, output } from '../model/onnx/ir.ts';
import { serializeGraph } from '../model/onnx/serialize.ts';
import { MMD_SIGMAS as GRAPH_SIGMAS, mmdAllPairs } from '../model/trvae/mmd.ts';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice();
});
afterAll(() => device.destroy());

function randomRows(rows: number, dims: number, nGroups: number, seed: number, spread = 1) {
  const rand = uniformStream(seed);
  const codes = Int32Array.from({ length: rows }, () => Math.floor(rand() * nGroups));
  const y = Float32Array.from({ length: rows * dims }, (_, i) => (rand() - 0.5) * spread + 0.3 * codes[Math.floor(i / dims)]);
  return { codes, y };
}

function expectClose(gpu: MmdResult, cpu: MmdResult): void {
  expect(Array.from(gpu.counts)).toEqual(Array.from(cpu.counts));
  for (let i = 0; i < cpu.pairs.length; i++) {
    expect(Math.abs(gpu.pairs[i] - cpu.pairs[i])).toBeLessThanOrEqual(2e-6 + 1e-3 * Math.abs(cpu.pairs[i]));
  }
  expect(Math.abs(gpu.total - cpu.total)).toBeLessThanOrEqual(5e-6 + 1e-3 * Math.abs(cpu.total));
}

describe('mmd-tiles.wgsl vs the CPU path', () => {
  it('random groups, dims not a multiple of 16, rows not a multiple of the block', async () => {
    const evaluator = await createMmdEvaluator(device, { dims: 20, nGroups: 3, maxRows: 300 });
    for (const [rows, seed] of [[300, 1], [37, 2], [1, 3]]) {
      const { y, codes } = randomRows(rows, 20, 3, seed);
      const cpu = mmd(y, rows, 20, codes, 3);
      expectClose(await evaluator.run(y, rows, codes), cpu);
      if (rows === 300) expect(cpu.total).toBeGreaterThan(0.01);
    }
    evaluator.destroy();
  });

  it('edge cases: empty and ignored groups, identical rows, one row, large and tiny distances', async () => {
    const evaluator = await createMmdEvaluator(device, { dims: 3, nGroups: 4, maxRows: 64 });
    // Identical groups: exactly 0 (self-distances are exactly 0, k − 1 = 0).
    const same = Float32Array.from({ length: 32 * 3 }, (_, i) => (Math.floor(i / 3) % 16) * 0.25);
    const sameCodes = Int32Array.from({ length: 32 }, (_, i) => (i < 16 ? 0 : 2));
    const r0 = await evaluator.run(same, 32, sameCodes);
    expect(r0.total).toBe(0);
    // A single group, and only ignored rows.
    expect((await evaluator.run(same, 32, new Int32Array(32))).total).toBe(0);
    expect((await evaluator.run(same, 32, new Int32Array(32).fill(-1))).total).toBe(0);
    // One row per group, far apart and very close (only large σ see the difference).
    for (const gap of [1e3, 1e-2]) {
      const y = Float32Array.of(0, 0, 0, gap, 0, 0, 5, 5, 5);
      const codes = [1, 3, -1];
      expectClose(await evaluator.run(y, 3, codes), mmd(y, 3, 3, codes, 4));
    }
    // Spread over many scales.
    const { y, codes } = randomRows(64, 3, 4, 5, 100);
    expectClose(await evaluator.run(y, 64, codes), mmd(y, 64, 3, codes, 4));
    await expect(evaluator.run(y, 64, Int32Array.from(codes, (c) => c + 1))).rejects.toThrow(KernelInputError);
    await expect(evaluator.run(y, 65, new Int32Array(65))).rejects.toThrow(/fewer than 65 rows|maxRows/);
    evaluator.destroy();
  });

  it('reads a GPU buffer in place, runs in chunks with progress, and honours abort', async () => {
    const rows = 500;
    const { y, codes } = randomRows(rows, 8, 2, 8);
    const buffer = uploadStorage(device, y);
    const evaluator = await createMmdEvaluator(device, { dims: 8, nGroups: 2, maxRows: rows, tilesPerChunk: 100 });
    const seen: number[] = [];
    const got = await evaluator.run(buffer, rows, codes, { onProgress: (done, total) => seen.push(done / total) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(1);
    expectClose(got, mmd(y, rows, 8, codes, 2));
    await expect(evaluator.run(buffer, rows, codes, { signal: AbortSignal.abort() })).rejects.toThrow();
    evaluator.destroy();
    buffer.destroy();
  });

  it('splits a matrix larger than one binding into row ranges and evaluates every pair of them', async () => {
    // 300 rows × 16 dims with 64-row bindings: ranges of 64, 64, 64, 64 and 44 rows. Group 2 lives only in
    // rows 140–179 (one range), some rows are ignored, and group 3 is empty.
    const rows = 300;
    const dims = 16;
    const nGroups = 4;
    const { y, codes } = randomRows(rows, dims, 2, 21);
    for (let i = 140; i < 180; i++) codes[i] = 2;
    for (let i = 0; i < rows; i += 23) codes[i] = -1;
    const maxBindingBytes = 64 * dims * 4;
    const cpu = mmd(y, rows, dims, codes, nGroups);
    expect(cpu.pairs[0 * nGroups + 2]).toBeGreaterThan(0.01);
    const whole = await createMmdEvaluator(device, { dims, nGroups, maxRows: rows });
    const unsplit = await whole.run(y, rows, codes);
    whole.destroy();
    const split = await createMmdEvaluator(device, { dims, nGroups, maxRows: rows, maxBindingBytes, tilesPerChunk: 7 });
    const buffer = uploadStorage(device, y);
    for (const input of [y, buffer]) {
      const seen: number[] = [];
      const got = await split.run(input, rows, codes, { onProgress: (done, total) => seen.push(done / total) });
      expectClose(got, cpu);
      for (let i = 0; i < cpu.pairs.length; i++) expect(Math.abs(got.pairs[i] - unsplit.pairs[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(unsplit.pairs[i]));
      expect(got.pairs[3 * nGroups + 0]).toBe(0);
      expect(seen.length).toBeGreaterThan(10);
      expect(seen.every((f, k) => k === 0 || f > seen[k - 1])).toBe(true);
      expect(seen.at(-1)).toBe(1);
    }
    // Fewer rows than maxRows use fewer ranges.
    expectClose(await split.run(y, 100, codes.subarray(0, 100)), mmd(y, 100, dims, codes.subarray(0, 100), nGroups));
    await expect(split.run(buffer, rows, codes, { signal: AbortSignal.abort() })).rejects.toThrow();
    // Interrupted mid-run, then run again: the evaluator is still usable.
    const controller = new AbortController();
    await expect(split.run(y, rows, codes, { signal: controller.signal, onProgress: (done) => done > 50 && controller.abort() })).rejects.toThrow();
    expectClose(await split.run(buffer, rows, codes), cpu);
    split.destroy();
    buffer.destroy();
    await expect(createMmdEvaluator(device, { dims, nGroups, maxRows: rows, maxBindingBytes: 64 })).rejects.toThrow(KernelLimitError);
    await expect(createMmdEvaluator(device, { dims, nGroups, maxRows: rows, maxBindingBytes: 2 ** 40 })).rejects.toThrow(KernelInputError);
  });

  it('equals the MMD term of the training graph (src/model, run by ONNX Runtime)', async () => {
    expect([...MMD_SIGMAS]).toEqual([...GRAPH_SIGMAS]);
    const rows = 96;
    const nGroups = 3;
    const { y, codes } = randomRows(rows, 6, nGroups, 11);
    const g = createGraph('mmd');
    output('mmd', mmdAllPairs(input(g, 'y', 'float32', [rows, 6]), input(g, 'c', 'float32', [rows, nGroups])));
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(serializeGraph(g), { executionProviders: ['wasm'] });
    const onehot = new Float32Array(rows * nGroups);
    codes.forEach((c, i) => (onehot[i * nGroups + c] = 1));
    const result = await session.run({ y: new ort.Tensor('float32', y, [rows, 6]), c: new ort.Tensor('float32', onehot, [rows, nGroups]) });
    const graphMmd = (result.mmd.data as Float32Array)[0];
    const evaluator = await createMmdEvaluator(device, { dims: 6, nGroups, maxRows: rows });
    const gpu = (await evaluator.run(y, rows, codes)).total;
    expect(gpu).toBeGreaterThan(0.01);
    expect(Math.abs(gpu - graphMmd)).toBeLessThan(1e-5 + 1e-4 * gpu);
    evaluator.destroy();
    await session.release();
  });
});
