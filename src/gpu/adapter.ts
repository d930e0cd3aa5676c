// What GPU the page has, which backend training should use on it, and a device for the kernels
// that run before ONNX Runtime has one (gene selection).
import { TrvaeError } from '../errors.ts';

export interface AdapterReport {
  /** navigator.gpu exists and an adapter was granted. */
  readonly available: boolean;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** A software adapter (SwiftShader, WARP, lavapipe…): correct but far slower than the CPU path. */
  readonly isFallback: boolean;
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly features: readonly string[];
  /** Why no adapter, when available is false. */
  readonly error?: string;
}

export type TrainingBackend = 'webgpu' | 'wasm';

export interface BackendChoice {
  readonly backend: TrainingBackend;
  readonly reason: string;
}

const softwareArchitectures = /swiftshader|llvmpipe|lavapipe|warp|software/i;

export async function probeAdapter(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<AdapterReport> {
  const none = (error: string): AdapterReport => ({
    available: false,
    vendor: '',
    architecture: '',
    description: '',
    isFallback: false,
    maxStorageBufferBindingSize: 0,
    maxComputeWorkgroupsPerDimension: 0,
    features: [],
    error,
  });
  if (!gpu) return none('this browser has no WebGPU (navigator.gpu is undefined)');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return none(`requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter) return none('the browser offered no WebGPU adapter (blocklisted GPU or WebGPU disabled)');
  const info = adapter.info;
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read either.
  const flagged =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    false;
  const isFallback = flagged || softwareArchitectures.test(`${info.architecture} ${info.description} ${info.vendor}`);
  return {
    available: true,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallback,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
    features: [...adapter.features].sort(),
  };
}

/** WebGPU on a real adapter; WASM when there is none or only a software one (measured ~40× slower). */
export function chooseBackend(report: AdapterReport): BackendChoice {
  if (!report.available) return { backend: 'wasm', reason: `no WebGPU adapter: ${report.error ?? 'unknown'}` };
  if (report.isFallback) {
    return {
      backend: 'wasm',
      reason: `the WebGPU adapter is a software fallback (${report.architecture || report.vendor}); the CPU path is faster`,
    };
  }
  return { backend: 'webgpu', reason: `hardware WebGPU adapter (${describeAdapter(report)})` };
}

export function describeAdapter(report: AdapterReport): string {
  if (!report.available) return 'none';
  const name = [report.vendor, report.architecture].filter(Boolean).join(' ') || report.description || 'unknown adapter';
  return report.isFallback ? `${name} (software fallback)` : name;
}

/** No WebGPU device could be had (no navigator.gpu, no adapter, or the device request failed). */
export class WebGpuUnavailableError extends TrvaeError {
  override readonly name = 'WebGpuUnavailableError';
  readonly code = 'webgpu-unavailable';
}

/**
 * A GPUDevice of the high-performance adapter with its largest storage bindings (kernels bind whole
 * batches); the caller destroys it. For kernels that need no ORT tensors, e.g. gpuHighlyVariableGenes.
 */
export async function requestComputeDevice(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<GPUDevice> {
  if (!gpu) throw new WebGpuUnavailableError('this browser has no WebGPU (navigator.gpu is undefined)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) throw new WebGpuUnavailableError('the browser offered no WebGPU adapter (blocklisted GPU or WebGPU disabled)');
  try {
    return await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
  } catch (e) {
    throw new WebGpuUnavailableError(`the WebGPU adapter refused a device: ${(e as Error).message}`, { cause: e });
  }
}
