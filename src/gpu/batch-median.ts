// Typed wrapper of shaders/batch-median.wgsl: the median of a batch's positive row totals, computed
// on the GPU inside the gather's command buffer (normalize_total's per-batch median target).
import code from '../../shaders/batch-median.wgsl?raw';
import { bindBuffers, createStorage, encodeDispatch } from './buffers.ts';
import { createKernelPipeline, createParamSlots, defineKernel, defineParams } from './kernel.ts';

export interface BatchMedian {
  /** [median, low middle, high middle] of the positive totals (f32). */
  readonly result: GPUBuffer;
  /** Record the median of the first `rows` totals into `encoder`. */
  encode(encoder: GPUCommandEncoder, rows: number): void;
  destroy(): void;
}

const batchMedianKernel = defineKernel({ label: 'batch-median', code, params: defineParams({ count: 'u32' }) });

/** A median stage over `totals` ([rows] float32, e.g. the gatherer's size factors). */
export async function createBatchMedian(device: GPUDevice, totals: GPUBuffer): Promise<BatchMedian> {
  const pipeline = await createKernelPipeline(device, batchMedianKernel);
  const result = createStorage(device, 16, 'batch median');
  const params = createParamSlots(device, batchMedianKernel.params, 1, 'batch-median params');
  const bind = bindBuffers(device, pipeline, [totals, result, params.binding()]);
  return {
    result,
    encode(encoder, rows) {
      params.set(0, { count: rows });
      params.upload();
      encodeDispatch(encoder, 'batch median', pipeline, bind, 1);
    },
    destroy() {
      result.destroy();
      params.destroy();
    },
  };
}
