import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernelPipeline, createParamSlots, defineKernel, defineParams, WgslCompileError, type WgslModule } from './kernel.ts';
import { bindBuffers, createStorage, submitDispatch } from './buffers.ts';
import { readBuffer } from './readback.testkit.ts';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice();
});
afterAll(() => device.destroy());

const echo = defineKernel({
  label: 'echo-params',
  code: `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(1)
fn main() {
  out[0] = f32(params.count);
  out[1] = f32(params.shift);
  out[2] = twice(params.scale);
}`,
  includes: [{ name: 'twice', code: 'fn twice(x: f32) -> f32 { return 2.0 * x; }' } satisfies WgslModule],
  params: defineParams({ count: 'u32', shift: 'i32', scale: 'f32' }),
});

describe('declared kernels on a GPU', () => {
  it('read each uniform field where the host packed it, in every slot', async () => {
    const pipeline = await createKernelPipeline(device, echo);
    const out = createStorage(device, 12, 'echo out');
    const slots = createParamSlots(device, echo.params, 3, 'echo params');
    for (let slot = 0; slot < 3; slot++) slots.set(slot, { count: 40 + slot, shift: -7 - slot, scale: 0.25 * (slot + 1) });
    slots.upload();
    for (let slot = 0; slot < 3; slot++) {
      submitDispatch(device, 'echo', pipeline, bindBuffers(device, pipeline, [out, slots.binding(slot)]), 1);
      expect(Array.from(new Float32Array(await readBuffer(device, out, 12)))).toEqual([40 + slot, -7 - slot, 0.5 * (slot + 1)]);
    }
    expect(() => slots.set(3, { count: 0, shift: 0, scale: 0 })).toThrow(/slot/);
    slots.destroy();
    out.destroy();
  });

  it('throw a WgslCompileError naming the kernel and the line', async () => {
    const broken = defineKernel({ ...echo, label: 'broken', code: echo.code.replace('twice(', 'thrice(') });
    const error = await createKernelPipeline(device, broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WgslCompileError);
    expect((error as WgslCompileError).code).toBe('wgsl-compile');
    expect((error as Error).message).toMatch(/^WGSL broken: \d+:\d+ .*thrice/);
  });
});
