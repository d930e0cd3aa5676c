// Small helpers for GPU storage buffers, bind groups and compute passes.

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
