// One training step's inputs made on the GPU and handed to ONNX Runtime as GPU tensors: the kernels
// of this folder wired to the batch contract of the training graph (see src/cpu/training-batch.ts for
// the CPU twin with identical noise streams). Every buffer is allocated once.
import type * as Ort from 'onnxruntime-web';
import type { CsrBlock } from '../source/types.ts';
import { validateLayout, validateStep, type TrainingBatchLayout } from '../cpu/training-batch.ts';
import { createBatchGatherer } from './gather-normalize.ts';
import { createOneHotEncoder } from './onehot.ts';
import { createDropoutMask, createNormalNoise } from './noise.ts';
import { gpuTensor, type OrtModule } from './ort-device.ts';

export interface GpuTrainingBatch {
  setPool(pool: CsrBlock): void;
  /** Fill every input for `step`; returns the feeds (ORT GPU tensors keyed by graph input name: x, c, eps, masks). */
  fill(rowIds: ArrayLike<number>, codes: ArrayLike<number>, step: number): Record<string, Ort.Tensor>;
  /** [B] library sizes of the last batch, as a GPU tensor (add it to the feeds if the graph takes it). */
  readonly sizeFactors: Ort.Tensor;
  destroy(): void;
}

/** `device` must be ORT's own (createOrtWebGpuSession); `ort` the same onnxruntime-web build. */
export async function createGpuTrainingBatch(ort: OrtModule, device: GPUDevice, layout: TrainingBatchLayout): Promise<GpuTrainingBatch> {
  const nSelected = validateLayout(layout);
  const { batchSize: b, nConditions, latent, masks, dropout, seed } = layout;
  const gatherer = await createBatchGatherer(device, { nVars: layout.nVars, geneMap: layout.geneMap, maxBatchRows: b, normalize: layout.normalize });
  const onehot = await createOneHotEncoder(device, nConditions, b);
  const eps = await createNormalNoise(device, b * latent);
  const maskKernels = await Promise.all(masks.map((m) => createDropoutMask(device, b * m.width, dropout)));
  // The tensors wrap the same buffers every step; only their contents change.
  const feeds: Record<string, Ort.Tensor> = {
    x: gpuTensor(ort, gatherer.x, [b, nSelected]),
    c: gpuTensor(ort, onehot.out, [b, nConditions]),
    eps: gpuTensor(ort, eps.out, [b, latent]),
  };
  const sizeFactors = gpuTensor(ort, gatherer.sizeFactors, [b]);
  masks.forEach((m, k) => (feeds[m.name] = gpuTensor(ort, maskKernels[k].out, [b, m.width])));
  return {
    setPool: (pool) => gatherer.setPool(pool),
    sizeFactors,
    fill(rowIds, codes, step) {
      validateStep(layout, rowIds, codes);
      gatherer.run(rowIds);
      onehot.run(codes);
      eps.run(b * latent, { seed, step, stream: 0 });
      masks.forEach((m, k) => maskKernels[k].run(b * m.width, { seed, step, stream: k + 1 }));
      return feeds;
    },
    destroy() {
      for (const k of [gatherer, onehot, eps, ...maskKernels]) k.destroy();
    },
  };
}
