// The one place that configures ONNX Runtime Web for this project and creates sessions.
//
// The default `onnxruntime-web` entry is the JSEP build: WASM (threads + SIMD) and WebGPU EPs in one
// module (in Node it resolves to the CPU-only build). Device sharing: with JSEP, a GPUDevice set
// before the first session is ignored; create a WebGPU session first, then take
// `await ort.env.webgpu.device` and create any foreign buffers (e.g. batches from WGSL kernels) on it.

import * as ort from 'onnxruntime-web';

export { ort };

export type Backend = 'wasm' | 'webgpu';

export interface SessionOptions {
  /** Keep outputs on the GPU (WebGPU only); read them with `await tensor.getData()`. */
  readonly outputsOnGpu?: boolean;
}

export async function createSession(model: Uint8Array, backend: Backend, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  if (backend === 'webgpu') {
    return ort.InferenceSession.create(model, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      ...(options.outputsOnGpu ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    });
  }
  return ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

/** Reads a tensor's values wherever it lives (CPU or GPU buffer). */
export async function readTensor(t: ort.Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  if (!(data instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${t.type}`);
  return data;
}
