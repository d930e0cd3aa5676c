// Running the kernels on ONNX Runtime Web's own GPUDevice, so batches reach the training step as GPU
// tensors with no CPU round trip. Order matters: ORT's JSEP build ignores a device set from outside
// and silently computes garbage on foreign buffers, so the session is created first and the kernels
// then use the device ORT made (`ort.env.webgpu.device`), which works in both builds.
import { TrvaeError } from '../errors.ts';
import type * as Ort from 'onnxruntime-web';

/** The onnxruntime-web namespace: `import * as ort from 'onnxruntime-web/webgpu'` (or the default build). */
export type OrtModule = typeof Ort;

export class OrtDeviceError extends TrvaeError {
  override readonly name = 'OrtDeviceError';
  readonly code = 'ort-device';
}

/** The GPUDevice of ORT's WebGPU EP, which exists once a WebGPU session was created: create the kernels on it. */
export async function ortWebGpuDevice(ort: OrtModule): Promise<GPUDevice> {
  const device = (await ort.env.webgpu.device) as GPUDevice | undefined;
  if (!device) throw new OrtDeviceError('ONNX Runtime exposes no GPUDevice (ort.env.webgpu.device): create a WebGPU session first');
  return device;
}

/** Wrap a kernel's output buffer as an ORT float32 tensor of `dims` (the buffer may be larger). */
export function gpuTensor(ort: OrtModule, buffer: GPUBuffer, dims: readonly number[]): Ort.Tensor {
  const needed = dims.reduce((a, b) => a * b, 1) * 4;
  if (needed > buffer.size) {
    throw new OrtDeviceError(`a [${dims.join(', ')}] float32 tensor needs ${needed} bytes; buffer "${buffer.label}" has ${buffer.size}`);
  }
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
}
