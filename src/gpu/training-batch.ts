// One training step's inputs made on the GPU and handed to ONNX Runtime as GPU tensors: the kernels
// of this folder build the inputs the step graph declares (see src/cpu/training-batch.ts for the
// declaration and the CPU twin with identical noise streams). Every buffer is allocated once.
import type * as Ort from 'onnxruntime-web';
import type { CsrBlock } from '../source/types.ts';
import { KernelInputError } from '../cpu/errors.ts';
import { batchInputShape, validateLayout, validateStep, valuesPerCell, type TrainingBatchLayout } from '../cpu/training-batch.ts';
import { createBatchGatherer } from './gather-normalize.ts';
import { createOneHotEncoder } from './onehot.ts';
import { createDropoutMask, createNormalNoise } from './noise.ts';
import { gpuTensor, type OrtModule } from './ort-device.ts';

export interface GpuTrainingBatch {
  setPool(pool: CsrBlock): void;
  /** Fill every declared input for `step`; returns the feeds (ORT GPU tensors keyed by graph input name). */
  fill(rowIds: ArrayLike<number>, codes: ArrayLike<number>, step: number): Record<string, Ort.Tensor>;
  /** [B] library sizes of the last batch, as a GPU tensor (also a feed when declared with source 'size-factors'). */
  readonly sizeFactors: Ort.Tensor;
  destroy(): void;
}

/**
 * `device` must be ORT's own (createOrtWebGpuSession); `ort` the same onnxruntime-web build. Raw
 * counts (source 'counts') have no kernel: such batches are built by the CPU twin.
 */
export async function createGpuTrainingBatch(ort: OrtModule, device: GPUDevice, layout: TrainingBatchLayout): Promise<GpuTrainingBatch> {
  const nSelected = validateLayout(layout);
  const { batchSize: b, inputs, seed } = layout;
  const counts = inputs.find((i) => i.source.kind === 'counts');
  if (counts) throw new KernelInputError(counts.name, 'raw counts are not built on the GPU; use the CPU training batch');
  const gatherer = await createBatchGatherer(device, { nVars: layout.nVars, geneMap: layout.geneMap, maxBatchRows: b, normalize: layout.normalize });
  const sizeFactors = gpuTensor(ort, gatherer.sizeFactors, [b]);
  // The tensors wrap the same buffers every step; only their contents change.
  const feeds: Record<string, Ort.Tensor> = {};
  const runs: ((rowIds: ArrayLike<number>, codes: ArrayLike<number>, step: number) => void)[] = [];
  const kernels: { destroy(): void }[] = [gatherer];
  for (const input of inputs) {
    const { source } = input;
    const n = b * valuesPerCell(input);
    const shape = batchInputShape(input, b);
    if (source.kind === 'x') feeds[input.name] = gpuTensor(ort, gatherer.x, [b, nSelected]);
    else if (source.kind === 'size-factors') feeds[input.name] = sizeFactors;
    else if (source.kind === 'onehot') {
      const onehot = await createOneHotEncoder(device, valuesPerCell(input), b);
      kernels.push(onehot);
      feeds[input.name] = gpuTensor(ort, onehot.out, shape);
      runs.push((_rows, codes) => onehot.run(codes));
    } else if (source.kind === 'normal' || source.kind === 'dropout') {
      const noise = source.kind === 'normal' ? await createNormalNoise(device, n) : await createDropoutMask(device, n, source.rate);
      kernels.push(noise);
      feeds[input.name] = gpuTensor(ort, noise.out, shape);
      runs.push((_rows, _codes, step) => noise.run(n, { seed, step, stream: source.stream }));
    }
  }
  return {
    setPool: (pool) => gatherer.setPool(pool),
    sizeFactors,
    fill(rowIds, codes, step) {
      validateStep(layout, rowIds, codes);
      gatherer.run(rowIds);
      for (const run of runs) run(rowIds, codes, step);
      return feeds;
    },
    destroy() {
      for (const k of kernels) k.destroy();
    },
  };
}
