// Typed wrappers of the Philox noise kernels (uniform, normal, dropout mask), each writing into one
// reused buffer. Seeded by (seed, step, stream): the same key gives the same tensor, on the GPU and
// on the CPU path (src/cpu/philox.ts).
import mathCode from '../../shaders/math.wgsl?raw';
import philoxCode from '../../shaders/philox.wgsl?raw';
import uniformCode from '../../shaders/uniform-noise.wgsl?raw';
import normalCode from '../../shaders/normal-noise.wgsl?raw';
import dropoutCode from '../../shaders/dropout-mask.wgsl?raw';
import { KernelInputError } from '../cpu/errors.ts';
import { dropoutParams, seedWords, validateNoiseKey, type NoiseKey } from '../cpu/philox.ts';
import { bindBuffers, createPipeline, createStorage, createUniformSlots, grid2d, submitDispatch } from './buffers.ts';

export interface NoiseKernel {
  /** [maxCount] float32; the first `count` entries hold the last tensor. */
  readonly out: GPUBuffer;
  readonly maxCount: number;
  /** Fill `count` entries (e.g. batch × latent) for `key`; submits to the queue. */
  run(count: number, key: NoiseKey): void;
  destroy(): void;
}

const threadsPerGroup = 64;

async function createPhiloxKernel(
  device: GPUDevice,
  label: string,
  sources: string[],
  maxCount: number,
  threshold = 0,
  keepScale = 1,
): Promise<NoiseKernel> {
  if (!(Number.isInteger(maxCount) && maxCount > 0)) throw new KernelInputError('maxCount', `must be a positive integer; got ${maxCount}`);
  const pipeline = await createPipeline(device, label, ...sources);
  const out = createStorage(device, maxCount * 4, label);
  const params = createUniformSlots(device, 1, `${label} params`);
  const bind = bindBuffers(device, pipeline, [out, { buffer: params, offset: 0, size: 32 }]);
  const words = new Uint32Array(8);
  const floats = new Float32Array(words.buffer);
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
      const [k0, k1] = seedWords(key.seed);
      words.set([count, k0, k1, key.step, key.stream, gx, threshold]);
      floats[7] = keepScale;
      device.queue.writeBuffer(params, 0, words);
      submitDispatch(device, label, pipeline, bind, gx, gy);
    },
    destroy() {
      out.destroy();
      params.destroy();
    },
  };
}

/** Uniform [0, 1) floats, bit-identical to uniformNoise on the CPU. */
export function createUniformNoise(device: GPUDevice, maxCount: number): Promise<NoiseKernel> {
  return createPhiloxKernel(device, 'uniform-noise', [philoxCode, uniformCode], maxCount);
}

/** N(0, 1) floats (Box–Muller), close to normalNoise on the CPU (same uniforms, f32 log/sin/cos). */
export function createNormalNoise(device: GPUDevice, maxCount: number): Promise<NoiseKernel> {
  return createPhiloxKernel(device, 'normal-noise', [mathCode, philoxCode, normalCode], maxCount);
}

/** Inverted-dropout multipliers for drop probability p, identical to dropoutMask on the CPU. */
export async function createDropoutMask(device: GPUDevice, maxCount: number, p: number): Promise<NoiseKernel> {
  const { threshold, keepScale } = dropoutParams(p);
  return createPhiloxKernel(device, 'dropout-mask', [philoxCode, dropoutCode], maxCount, threshold, keepScale);
}
