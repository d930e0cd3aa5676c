import code from '../../shaders/log1p.wgsl?raw';
import { compileShader } from './buffers.ts';

const workgroupSize = 256;

export interface Log1pKernel {
  /** Replaces each of the first `count` floats of `buffer` by log1p of itself. */
  encode(encoder: GPUCommandEncoder, buffer: GPUBuffer, count: number): void;
}

export async function createLog1pKernel(device: GPUDevice): Promise<Log1pKernel> {
  const module = await compileShader(device, code, 'log1p');
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  return {
    encode(encoder, buffer, count) {
      if (count === 0) return;
      const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(params, 0, new Uint32Array([count, 0, 0, 0]));
      const groups = Math.ceil(count / workgroupSize);
      const x = Math.min(groups, maxGroups);
      const y = Math.ceil(groups / x);
      const pass = encoder.beginComputePass({ label: 'log1p' });
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer } },
            { binding: 1, resource: { buffer: params } },
          ],
        }),
      );
      pass.dispatchWorkgroups(x, y);
      pass.end();
    },
  };
}
