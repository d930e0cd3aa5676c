// The batch-contract check shared by the browser tests of both onnxruntime-web builds.
import { expect } from 'vitest';
import { gpuTensor, ortWebGpuDevice, type OrtModule } from './ort-device.ts';
import { createGpuTrainingBatch } from './training-batch.ts';
import { createCpuTrainingBatch, type TrainingBatchLayout } from '../cpu/training-batch.ts';
import { geneMapFromSelection } from '../cpu/csr-pool.ts';
import { randomCsr } from '../cpu/random-csr.ts';
import { createGraph, input, output } from '../model/onnx/ir.ts';
import { mul, reduceSum } from '../model/onnx/ops.ts';
import { serializeGraph } from '../model/onnx/serialize.ts';

const layout: TrainingBatchLayout = {
  nVars: 400,
  geneMap: geneMapFromSelection(400, Array.from({ length: 50 }, (_, i) => (i * 7) % 400)),
  normalize: { targetSum: 1e4, log1p: true },
  inputs: [
    { name: 'x', perCell: [50], source: { kind: 'x' } },
    { name: 'c', perCell: [3], source: { kind: 'onehot' } },
    { name: 'eps', perCell: [5], source: { kind: 'normal', stream: 0 } },
    { name: 'size_factors', perCell: [], source: { kind: 'size-factors' } },
    { name: 'mask_enc_0', perCell: [50], source: { kind: 'dropout', rate: 0.2, stream: 1 } },
    { name: 'mask_dec_0', perCell: [7], source: { kind: 'dropout', rate: 0.2, stream: 2 } },
  ],
  batchSize: 64,
  seed: 5,
};
const b = layout.batchSize;
const nConditions = 3;
const latent = 5;

/** A stand-in train step consuming the batch contract: reductions of every input. */
function contractModel(): Uint8Array {
  const g = createGraph('batch-contract');
  const x = input(g, 'x', 'float32', [b, 50]);
  const c = input(g, 'c', 'float32', [b, nConditions]);
  const eps = input(g, 'eps', 'float32', [b, latent]);
  const sf = input(g, 'size_factors', 'float32', [b]);
  const m0 = input(g, 'mask_enc_0', 'float32', [b, 50]);
  const m1 = input(g, 'mask_dec_0', 'float32', [b, 7]);
  output('masked_row_sums', reduceSum(mul(x, m0), [1]));
  output('condition_counts', reduceSum(c, [0]));
  output('eps_squares', reduceSum(mul(eps, eps), [1]));
  output('size_factors_squared', mul(sf, sf));
  output('mask_row_sums', reduceSum(m1, [1]));
  return serializeGraph(g);
}

function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-4): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(rel * (1 + Math.abs(expected[i])));
}

const rowSums = (values: Float32Array, width: number, f: (v: number, i: number) => number = (v) => v) =>
  Array.from({ length: b }, (_, r) => values.subarray(r * width, (r + 1) * width).reduce((s, v, j) => s + f(v, r * width + j), 0));

/**
 * Two steps of inputs made on ORT's device by createGpuTrainingBatch and fed as GPU tensors; the
 * session's results equal those of the CPU twin's arrays (same noise streams).
 */
export async function checkBatchContract(ort: OrtModule): Promise<void> {
  // The session first, then ORT's device (see ort-device.ts).
  const session = await ort.InferenceSession.create(contractModel(), { executionProviders: ['webgpu'] });
  const device = await ortWebGpuDevice(ort);
  const pool = randomCsr({ nRows: 200, nCols: 400, meanNnz: 40, seed: 4, indexType: 'uint16' });
  const gpu = await createGpuTrainingBatch(ort, device, layout);
  const cpu = createCpuTrainingBatch(layout);
  gpu.setPool(pool);
  for (const step of [0, 1]) {
    const rowIds = Array.from({ length: b }, (_, i) => (i * 13 + step) % 200);
    const codes = rowIds.map((r) => r % 3);
    const result = await session.run(gpu.fill(rowIds, codes, step));
    cpu.fill(pool, rowIds, codes, step);
    const a = cpu.arrays;
    expectClose(result.masked_row_sums.data as Float32Array, rowSums(a.x, 50, (v, i) => v * a.mask_enc_0[i]));
    expect(Array.from(result.condition_counts.data as Float32Array)).toEqual([0, 1, 2].map((k) => codes.filter((c) => c === k).length));
    expectClose(result.eps_squares.data as Float32Array, rowSums(a.eps, latent, (v) => v * v), 1e-3);
    expectClose(result.size_factors_squared.data as Float32Array, Array.from(cpu.sizeFactors, (s) => s * s));
    // Masks are bit-identical to the CPU's, so their sums are too.
    expect(Array.from(result.mask_row_sums.data as Float32Array)).toEqual(rowSums(a.mask_dec_0, 7).map(Math.fround));
  }
  expect(() => gpu.fill([0], [0], 2)).toThrow(/batchSize \(64\)/);
  expect(() => gpuTensor(ort, device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }), [5])).toThrow(/needs 20 bytes/);
  gpu.destroy();
  await session.release();
}
