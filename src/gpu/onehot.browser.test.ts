import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOneHotEncoder } from './onehot.ts';
import { readBuffer } from './readback.testkit.ts';
import { oneHot } from '../cpu/onehot.ts';
import { KernelInputError } from '../cpu/errors.ts';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice();
});
afterAll(() => device.destroy());

describe('one-hot kernel vs the CPU path', () => {
  it('encodes batches of any size up to maxRows, as oneHot does', async () => {
    const encoder = await createOneHotEncoder(device, 3, 700);
    for (const n of [1, 5, 700]) {
      const codes = Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
      encoder.run(codes);
      expect(Array.from(new Float32Array(await readBuffer(device, encoder.out, n * 3 * 4)))).toEqual(Array.from(oneHot(codes, 3)));
    }
    expect(() => encoder.run([0, 3])).toThrow(KernelInputError);
    expect(() => encoder.run(new Int32Array(701))).toThrow(KernelInputError);
    encoder.destroy();
  });
});
