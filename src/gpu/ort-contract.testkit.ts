// The batch-contract check shared by the browser tests of both onnxruntime-web builds.
import { expect } from 'vitest';
import { createOrtWebGpuSession, gpuTensor, type OrtModule } from './ort-device.ts';
import { createBatchGatherer } from './gather-normalize.ts';
import { createOneHotEncoder } from './onehot.ts';
import { createDropoutMask, createNormalNoise } from './noise.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import { dropoutMask, normalNoise } from '../cpu/philox.ts';
import { geneMapFromSelection } from '../cpu/csr-pool.ts';
import { randomCsr } from '../cpu/random-csr.ts';
import { createGraph, input, output } from '../model/onnx/ir.ts';
import { mul, reduceSum } from '../model/onnx/ops.ts';
import { serializeGraph } from '../model/onnx/serialize.ts';

const batch = 64;
const genes = 50;
const conditions = 3;
const latent = 5;

/** A stand-in train step consuming the batch contract: x, mask, condition one-hot, eps, size factors. */
function contractModel(): Uint8Array {
  const g = createGraph('batch-contract');
  const x = input(g, 'x', 'float32', [batch, genes]);
  const mask = input(g, 'mask', 'float32', [batch, genes]);
  const c = input(g, 'c', 'float32', [batch, conditions]);
  const eps = input(g, 'eps', 'float32', [batch, latent]);
  const sf = input(g, 'size_factors', 'float32', [batch]);
  output('masked_row_sums', reduceSum(mul(x, mask), [1]));
  output('condition_counts', reduceSum(c, [0]));
  output('eps_squares', reduceSum(mul(eps, eps), [1]));
  output('size_factors_squared', mul(sf, sf));
  return serializeGraph(g);
}

function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-4): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(rel * (1 + Math.abs(expected[i])));
}

/** Gather, one-hot, eps and a dropout mask on ORT's device, fed to a session as GPU tensors, checked against the CPU path. */
export async function checkBatchContract(ort: OrtModule): Promise<void> {
  const { session, device } = await createOrtWebGpuSession(ort, contractModel());
  const pool = randomCsr({ nRows: 200, nCols: 400, meanNnz: 40, seed: 4, indexType: 'uint16' });
  const geneMap = geneMapFromSelection(400, Array.from({ length: genes }, (_, i) => (i * 7) % 400));
  const normalize = { targetSum: 1e4, log1p: true } as const;
  const gatherer = await createBatchGatherer(device, { nVars: 400, geneMap, maxBatchRows: batch, normalize });
  const onehot = await createOneHotEncoder(device, conditions, batch);
  const eps = await createNormalNoise(device, batch * latent);
  const mask = await createDropoutMask(device, batch * genes, 0.2);
  const rowIds = Array.from({ length: batch }, (_, i) => (i * 13) % 200);
  const codes = rowIds.map((r) => r % conditions);
  const key = { seed: 5, step: 0, stream: 0 };

  gatherer.setPool(pool);
  gatherer.run(rowIds);
  onehot.run(codes);
  eps.run(batch * latent, key);
  mask.run(batch * genes, { ...key, stream: 1 });
  const result = await session.run({
    x: gpuTensor(ort, gatherer.x, [batch, genes]),
    mask: gpuTensor(ort, mask.out, [batch, genes]),
    c: gpuTensor(ort, onehot.out, [batch, conditions]),
    eps: gpuTensor(ort, eps.out, [batch, latent]),
    size_factors: gpuTensor(ort, gatherer.sizeFactors, [batch]),
  });

  const cpu = gatherNormalize(pool, rowIds, geneMap, genes, normalize);
  const cpuMask = dropoutMask(batch * genes, 0.2, { ...key, stream: 1 });
  const cpuEps = normalNoise(batch * latent, key);
  const rows = (values: Float32Array, width: number, f: (v: number, i: number) => number) =>
    Array.from({ length: batch }, (_, b) => values.subarray(b * width, (b + 1) * width).reduce((s, v, j) => s + f(v, b * width + j), 0));
  expectClose(result.masked_row_sums.data as Float32Array, rows(cpu.x, genes, (v, i) => v * cpuMask[i]));
  expect(Array.from(result.condition_counts.data as Float32Array)).toEqual([0, 1, 2].map((k) => codes.filter((c) => c === k).length));
  expectClose(result.eps_squares.data as Float32Array, rows(cpuEps, latent, (v) => v * v), 1e-3);
  expectClose(result.size_factors_squared.data as Float32Array, Array.from(cpu.sizeFactors, (s) => s * s));

  // Next step: the same buffers refilled with a new batch; the session sees the new contents.
  gatherer.run(rowIds.map((r) => (r + 1) % 200));
  const next = await session.run({
    x: gpuTensor(ort, gatherer.x, [batch, genes]),
    mask: gpuTensor(ort, mask.out, [batch, genes]),
    c: gpuTensor(ort, onehot.out, [batch, conditions]),
    eps: gpuTensor(ort, eps.out, [batch, latent]),
    size_factors: gpuTensor(ort, gatherer.sizeFactors, [batch]),
  });
  const cpuNext = gatherNormalize(pool, rowIds.map((r) => (r + 1) % 200), geneMap, genes, normalize);
  expectClose(next.masked_row_sums.data as Float32Array, rows(cpuNext.x, genes, (v, i) => v * cpuMask[i]));
  expect(() => gpuTensor(ort, eps.out, [batch, latent + 1])).toThrow(/needs/);

  for (const k of [gatherer, onehot, eps, mask]) k.destroy();
  await session.release();
}
