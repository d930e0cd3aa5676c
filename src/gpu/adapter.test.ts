import { describe, expect, it } from 'vitest';
import { chooseBackend, describeAdapter, probeAdapter, requestComputeDevice, WebGpuUnavailableError, type AdapterReport } from './adapter.ts';

const real: AdapterReport = {
  available: true,
  vendor: 'nvidia',
  architecture: 'hopper',
  description: '',
  isFallback: false,
  maxStorageBufferBindingSize: 2 ** 31,
  maxComputeWorkgroupsPerDimension: 65535,
  features: [],
};

describe('chooseBackend', () => {
  it('uses WebGPU on a hardware adapter', () => {
    expect(chooseBackend(real)).toMatchObject({ backend: 'webgpu' });
    expect(describeAdapter(real)).toBe('nvidia hopper');
  });
  it('uses WASM on a software fallback and says why', () => {
    const sw = { ...real, vendor: 'google', architecture: 'swiftshader', isFallback: true };
    const choice = chooseBackend(sw);
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(/software fallback/);
    expect(describeAdapter(sw)).toBe('google swiftshader (software fallback)');
  });
  it('uses WASM without WebGPU', async () => {
    const report = await probeAdapter(undefined);
    expect(report.available).toBe(false);
    expect(chooseBackend(report)).toMatchObject({ backend: 'wasm' });
    expect(chooseBackend(report).reason).toMatch(/navigator\.gpu/);
  });
});

describe('requestComputeDevice', () => {
  it('throws a WebGpuUnavailableError without WebGPU', async () => {
    await expect(requestComputeDevice(undefined)).rejects.toThrow(WebGpuUnavailableError);
    await expect(requestComputeDevice(undefined)).rejects.toMatchObject({ code: 'webgpu-unavailable' });
  });
});
