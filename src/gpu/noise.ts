// Typed wrappers of the Philox noise kernels (N(0, 1) noise, dropout mask), each writing into one
// reused buffer. Seeded by (seed, step, stream): the same key gives the same tensor, on the GPU and
// on the CPU path (src/cpu/philox.ts).
import normalCode from '../../shaders/normal-noise.wgsl?raw';
import dropoutCode from '../../shaders/dropout-mask.wgsl?raw';
import { KernelInputError } from '../cpu/errors.ts';
import { dropoutParams, seedWords, validateNoiseKey, type NoiseKey } from '../cpu/philox.ts';
import { bindBuffers, createStorage, grid2d, submitDispatch } from './buffers.ts';
import { createKernelPipeline, createParamSlots, defineKernel, defineParams, type Kernel } from './kernel.ts';
import { mathWgsl, philoxWgsl } from './wgsl-modules.ts';

export interface NoiseKernel {
  /** [maxCount] float32; the first `count` entries hold the last tensor. */
  readonly out: GPUBuffer;
  readonly maxCount: number;
  /** Fill `count` entries (e.g. batch × latent) for `key`; submits to the queue. */
  run(count: number, key: NoiseKey): void;
  destroy(): void;
}

const noiseParams = defineParams({
  count: 'u32', // elements to write
  key0: 'u32', // seed, low 32 bits
  key1: 'u32', // seed, high bits
  step: 'u32',
  stream: 'u32', // which noise of the step (eps, dropout layer k, …)
  groups_x: 'u32', // workgroups along x of the 2-D dispatch
  threshold: 'u32', // dropout: drop when the top 24 bits are below this (round(p · 2^24))
  keep_scale: 'f32', // dropout: value of a kept unit, 1 / (1 − p)
});

type NoiseParams = typeof noiseParams.fields;

const normalNoiseKernel = defineKernel({ label: 'normal-noise', code: normalCode, includes: [mathWgsl, philoxWgsl], params: noiseParams });
const dropoutMaskKernel = defineKernel({ label: 'dropout-mask', code: dropoutCode, includes: [philoxWgsl], params: noiseParams });

const threadsPerGroup = 64;

async function createPhiloxKernel(device: GPUDevice, kernel: Kernel<NoiseParams>, maxCount: number, threshold = 0, keepScale = 1): Promise<NoiseKernel> {
  if (!(Number.isInteger(maxCount) && maxCount > 0)) throw new KernelInputError('maxCount', `must be a positive integer; got ${maxCount}`);
  const pipeline = await createKernelPipeline(device, kernel);
  const out = createStorage(device, maxCount * 4, kernel.label);
  const params = createParamSlots(device, noiseParams, 1, `${kernel.label} params`);
  const bind = bindBuffers(device, pipeline, [out, params.binding()]);
  return {
    out,
    maxCount,
    run(count, key) {
      if (!(Number.isInteger(count) && count >= 0 && count <= maxCount)) {
        throw new KernelInputError('count', `must be an integer in [0, ${maxCount}]; got ${count}`);
      }
      validateNoiseKey(key);
      if (count === 0) return;
      const [gx, gy] = grid2d(device, Math.ceil(count / 4 / threadsPerGroup));
      const [key0, key1] = seedWords(key.seed);
      params.set(0, { count, key0, key1, step: key.step, stream: key.stream, groups_x: gx, threshold, keep_scale: keepScale });
      params.upload();
      submitDispatch(device, kernel.label, pipeline, bind, gx, gy);
    },
    destroy() {
      out.destroy();
      params.destroy();
    },
  };
}

/** N(0, 1) floats (Box–Muller), close to normalNoise on the CPU (same uniforms, f32 log/sin/cos). */
export function createNormalNoise(device: GPUDevice, maxCount: number): Promise<NoiseKernel> {
  return createPhiloxKernel(device, normalNoiseKernel, maxCount);
}

/** Inverted-dropout multipliers for drop probability p, identical to dropoutMask on the CPU. */
export async function createDropoutMask(device: GPUDevice, maxCount: number, p: number): Promise<NoiseKernel> {
  const { threshold, keepScale } = dropoutParams(p);
  return createPhiloxKernel(device, dropoutMaskKernel, maxCount, threshold, keepScale);
}
