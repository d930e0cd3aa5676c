import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuffer } from './readback.testkit.ts';
import { createDropoutMask, createNormalNoise } from './noise.ts';
import { dropoutMask, normalNoise } from '../cpu/philox.ts';
import { KernelInputError } from '../cpu/errors.ts';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice();
});
afterAll(() => device.destroy());

const read = async (buffer: GPUBuffer, count: number) => new Float32Array(await readBuffer(device, buffer, count * 4));

/** Index of the first differing element (−1 when bit-identical); cheaper than toEqual on large arrays. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

describe('Philox noise kernels vs the CPU path', () => {
  const keys = [
    { seed: 0, step: 0, stream: 0 },
    { seed: 42, step: 17, stream: 3 },
    { seed: 2 ** 52 + 12345, step: 0xffffffff, stream: 0xffffffff },
  ];

  it('normals are close to the CPU (f32 log/cos/sin) and have N(0,1) moments', async () => {
    const count = 262_147;
    const kernel = await createNormalNoise(device, count);
    for (const key of keys) {
      kernel.run(count, key);
      const gpu = await read(kernel.out, count);
      const cpu = normalNoise(count, key);
      let worst = 0;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < count; i++) {
        worst = Math.max(worst, Math.abs(gpu[i] - cpu[i]) / (1 + Math.abs(cpu[i])));
        s += gpu[i];
        s2 += gpu[i] * gpu[i];
      }
      expect(worst).toBeLessThan(1e-3);
      expect(gpu.every(Number.isFinite)).toBe(true);
      expect(Math.abs(s / count)).toBeLessThan(0.01);
      expect(Math.abs(s2 / count - 1)).toBeLessThan(0.01);
    }
    kernel.destroy();
  });

  it('dropout masks are bit-identical for odd counts and extreme keys, and reproducible step by step', async () => {
    for (const p of [0, 0.1, 0.5, 0.9]) {
      const kernel = await createDropoutMask(device, 50_001, p);
      for (const key of keys) {
        for (const count of [1, 3, 4, 50_001]) {
          kernel.run(count, key);
          expect(firstDifference(await read(kernel.out, count), dropoutMask(count, p, key))).toBe(-1);
        }
      }
      kernel.destroy();
    }
    const kernel = await createDropoutMask(device, 1000, 0.2);
    kernel.run(1000, { seed: 9, step: 1, stream: 2 });
    const first = await read(kernel.out, 1000);
    kernel.run(1000, { seed: 9, step: 2, stream: 2 });
    expect(firstDifference(await read(kernel.out, 1000), first)).not.toBe(-1);
    kernel.run(1000, { seed: 9, step: 1, stream: 2 });
    expect(firstDifference(await read(kernel.out, 1000), first)).toBe(-1);
    expect(() => kernel.run(1001, { seed: 9, step: 1, stream: 2 })).toThrow(KernelInputError);
    kernel.destroy();
    await expect(createDropoutMask(device, 10, 1)).rejects.toThrow(/probability/);
  });
});
