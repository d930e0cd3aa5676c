import { describe, expect, it } from 'vitest';
import { createLog1pKernel } from './log1p.ts';
import { readBuffer, uploadStorage } from './buffers.ts';
import { probeAdapter } from './adapter.ts';

describe('log1p.wgsl on a real WebGPU device', () => {
  it('has a WebGPU adapter in the test browser', async () => {
    const report = await probeAdapter();
    expect(report.available, report.error).toBe(true);
  });

  it('matches Math.log1p, including tiny and large values', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    const input = new Float32Array(70_001);
    for (let i = 0; i < input.length; i++) input[i] = i % 7 === 0 ? 1e-7 * i : (i * 37) % 10_000;
    input[0] = 0;
    const buffer = uploadStorage(device, input);
    const kernel = await createLog1pKernel(device);
    const encoder = device.createCommandEncoder();
    kernel.encode(encoder, buffer, input.length);
    device.queue.submit([encoder.finish()]);
    const out = new Float32Array(await readBuffer(device, buffer, input.byteLength));
    let worst = 0;
    for (let i = 0; i < input.length; i++) {
      const expected = Math.log1p(input[i]);
      // f32 storage plus WGSL's log precision: 1e-6 absolute, 1e-5 relative.
      worst = Math.max(worst, Math.abs(out[i] - expected) / (1e-6 + 1e-5 * Math.abs(expected)));
    }
    expect(out[0]).toBe(0);
    expect(worst).toBeLessThan(1);
    device.destroy();
  });
});
