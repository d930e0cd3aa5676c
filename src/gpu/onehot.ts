// Typed wrapper of shaders/onehot.wgsl: a batch's condition codes → one-hot float32 rows in a reused buffer.
import code from '../../shaders/onehot.wgsl?raw';
import { KernelInputError } from '../cpu/errors.ts';
import { validateCodes } from '../cpu/onehot.ts';
import { bindBuffers, createStorage, grid2d, submitDispatch } from './buffers.ts';
import { createKernelPipeline, createParamSlots, defineKernel, defineParams } from './kernel.ts';

export interface OneHotEncoder {
  /** [maxRows, nClasses] float32; the first `codes.length` rows hold the last batch. */
  readonly out: GPUBuffer;
  /** Codes in [0, nClasses), one per batch row; submits to the queue. */
  run(codes: ArrayLike<number>): void;
  destroy(): void;
}

const onehotKernel = defineKernel({
  label: 'onehot',
  code,
  params: defineParams({ count: 'u32', n_classes: 'u32', groups_x: 'u32' }),
});

export async function createOneHotEncoder(device: GPUDevice, nClasses: number, maxRows: number): Promise<OneHotEncoder> {
  if (!(Number.isInteger(nClasses) && nClasses > 0)) throw new KernelInputError('nClasses', `must be a positive integer; got ${nClasses}`);
  if (!(Number.isInteger(maxRows) && maxRows > 0)) throw new KernelInputError('maxRows', `must be a positive integer; got ${maxRows}`);
  const pipeline = await createKernelPipeline(device, onehotKernel);
  const codes = createStorage(device, maxRows * 4, 'condition codes');
  const out = createStorage(device, maxRows * nClasses * 4, 'condition one-hot');
  const params = createParamSlots(device, onehotKernel.params, 1, 'onehot params');
  const bind = bindBuffers(device, pipeline, [codes, out, params.binding()]);
  const codesHost = new Uint32Array(maxRows);
  return {
    out,
    run(batchCodes) {
      if (batchCodes.length > maxRows) throw new KernelInputError('codes', `has ${batchCodes.length} rows, more than maxRows (${maxRows})`);
      validateCodes(batchCodes, nClasses);
      const n = batchCodes.length;
      if (n === 0) return;
      for (let i = 0; i < n; i++) codesHost[i] = batchCodes[i];
      const [gx, gy] = grid2d(device, Math.ceil((n * nClasses) / 256));
      params.set(0, { count: n, n_classes: nClasses, groups_x: gx });
      device.queue.writeBuffer(codes, 0, codesHost, 0, n);
      params.upload();
      submitDispatch(device, 'onehot', pipeline, bind, gx, gy);
    },
    destroy() {
      for (const b of [codes, out]) b.destroy();
      params.destroy();
    },
  };
}
