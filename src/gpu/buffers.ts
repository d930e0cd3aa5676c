// Small helpers for moving typed arrays to and from GPU storage buffers.

export type GpuArray = Float32Array | Uint32Array | Int32Array;

export function uploadStorage(device: GPUDevice, data: GpuArray, extraUsage = 0): GPUBuffer {
  // Storage buffers must be a multiple of 4 bytes and non-empty.
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buffer = device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

export async function readBuffer(device: GPUDevice, source: GPUBuffer, byteLength = source.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

/** Compile a WGSL module and surface compile errors as one exception instead of a console warning. */
export async function compileShader(device: GPUDevice, code: string, label: string): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new Error(`WGSL ${label}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  }
  return module;
}

const storageUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** An empty storage buffer of at least `byteLength` bytes (rounded up to 4, never 0). */
export function createStorage(device: GPUDevice, byteLength: number, label: string): GPUBuffer {
  return device.createBuffer({ label, size: Math.max(4, Math.ceil(byteLength / 4) * 4), usage: storageUsage });
}

/** Write any typed array into `buffer` at `byteOffset`, padding a trailing partial word with zeros. */
export function writePadded(device: GPUDevice, buffer: GPUBuffer, view: ArrayBufferView, byteOffset = 0): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const whole = bytes.byteLength - (bytes.byteLength % 4);
  if (whole > 0) device.queue.writeBuffer(buffer, byteOffset, bytes, 0, whole);
  if (whole < bytes.byteLength) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(whole));
    device.queue.writeBuffer(buffer, byteOffset + whole, tail);
  }
}

/** Largest storage binding the device accepts, in bytes (the smaller of binding and buffer limits). */
export function maxBindingBytes(device: GPUDevice): number {
  return Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
}

/** Split `groups` workgroups into a 2-D grid within the per-dimension limit. */
export function grid2d(device: GPUDevice, groups: number): [number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.max(1, Math.min(groups, max));
  const y = Math.ceil(groups / x);
  if (y > max) throw new RangeError(`${groups} workgroups exceed a ${max}×${max} dispatch grid`);
  return [x, y];
}

/** Records one compute pass: `pipeline` with `bind` over an x × y grid of workgroups. */
export function encodeDispatch(encoder: GPUCommandEncoder, label: string, pipeline: GPUComputePipeline, bind: GPUBindGroup, x: number, y = 1): void {
  const pass = encoder.beginComputePass({ label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(x, y);
  pass.end();
}

/** One compute pass in a command buffer of its own, submitted now. */
export function submitDispatch(device: GPUDevice, label: string, pipeline: GPUComputePipeline, bind: GPUBindGroup, x: number, y = 1): void {
  const encoder = device.createCommandEncoder({ label });
  encodeDispatch(encoder, label, pipeline, bind, x, y);
  device.queue.submit([encoder.finish()]);
}

/** A compute pipeline from WGSL sources joined in order (helpers first, then the kernel). */
export async function createPipeline(device: GPUDevice, label: string, ...sources: string[]): Promise<GPUComputePipeline> {
  const module = await compileShader(device, sources.join('\n'), label);
  return device.createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/** Bind group over whole buffers (or {buffer, offset, size} slices), in binding order. */
export function bindBuffers(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  resources: readonly (GPUBuffer | GPUBufferBinding)[],
  label?: string,
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((r, binding) => ({ binding, resource: 'buffer' in r ? r : { buffer: r } })),
  });
}

/** Uniform slots are this far apart so each can be bound at its own offset. */
export const uniformSlotBytes = 256;

export function createUniformSlots(device: GPUDevice, slots: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(1, slots) * uniformSlotBytes,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
}
