// Philox 4×32-10 on the CPU, bit-identical to shaders/philox.wgsl: the reference for the GPU noise
// kernels and the noise source of the CPU path. Integer arithmetic only, so every platform agrees.
import { instantiateEmbedded, type EmbeddedModule } from '../wasm.ts';
import { KernelInputError } from './errors.ts';
import { philoxWasm } from './philox.wasm.ts';

/** Where a noise tensor's stream starts: seed (≤ 2^53), training step and stream id (eps, dropout layer k, …). */
export interface NoiseKey {
  readonly seed: number;
  readonly step: number;
  readonly stream: number;
}

export function validateNoiseKey({ seed, step, stream }: NoiseKey): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new KernelInputError('seed', `must be an integer in [0, 2^53); got ${seed}`);
  if (!Number.isInteger(step) || step < 0 || step > 0xffffffff) throw new KernelInputError('step', `must be an integer in [0, 2^32); got ${step}`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
    throw new KernelInputError('stream', `must be an integer in [0, 2^32); got ${stream}`);
  }
}

/** Philox key words of a seed: low 32 bits, high bits. */
export function seedWords(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** High 32 bits of the 64-bit product a·b (a, b uint32). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const mid = ((aLo * bLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aHi * bHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox 4×32-10 block: counter (c0..c3), key (k0, k1) → four uint32 into `out`. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(0xd2511f53, c0);
    const lo0 = Math.imul(0xd2511f53, c0) >>> 0;
    const hi1 = mulhi(0xcd9e8d57, c2);
    const lo1 = Math.imul(0xcd9e8d57, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Calls `emit(i, bits)` for elements 0..count−1 of the stream (element i is output i mod 4 of block i / 4). */
function forEachBits(count: number, key: NoiseKey, emit: (i: number, bits: number) => void): void {
  validateNoiseKey(key);
  const [k0, k1] = seedWords(key.seed);
  const block = new Uint32Array(4);
  for (let first = 0; first < count; first += 4) {
    philox4x32(first / 4, key.step, key.stream, 0, k0, k1, block);
    for (let lane = 0; lane < 4 && first + lane < count; lane++) emit(first + lane, block[lane]);
  }
}

const unit = 1 / 16777216;

/** N(0, 1) by Box–Muller on pairs of outputs (0,1) and (2,3) of each block, as normal-noise.wgsl. */
export function normalNoise(count: number, key: NoiseKey, into?: Float32Array): Float32Array {
  const out = into ?? new Float32Array(count);
  validateNoiseKey(key);
  const [k0, k1] = seedWords(key.seed);
  const block = new Uint32Array(4);
  for (let first = 0; first < count; first += 4) {
    philox4x32(first / 4, key.step, key.stream, 0, k0, k1, block);
    for (let pair = 0; pair < 2; pair++) {
      const u1 = ((block[2 * pair] >>> 8) + 1) * unit;
      const u2 = (block[2 * pair + 1] >>> 8) * unit;
      const radius = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      const i = first + 2 * pair;
      if (i < count) out[i] = radius * Math.cos(theta);
      if (i + 1 < count) out[i + 1] = radius * Math.sin(theta);
    }
  }
  return out;
}

/** Dropout's drop threshold on the top 24 bits, and the kept value, for probability p in [0, 1). */
export function dropoutParams(p: number): { threshold: number; keepScale: number } {
  if (!(p >= 0 && p < 1)) throw new KernelInputError('p', `dropout probability must be in [0, 1); got ${p}`);
  return { threshold: Math.round(p * 16777216), keepScale: Math.fround(1 / (1 - p)) };
}

interface PhiloxExports {
  philox_dropout(count: number, step: number, stream: number, k0: number, k1: number, threshold: number, keep: number, out: number): void;
}

let wasm: EmbeddedModule<PhiloxExports> | null | undefined;
/** The wasm build of wasm/philox.c (~4× this file's philox4x32, bench:kernels), or null where it cannot run. */
const philoxModule = (): EmbeddedModule<PhiloxExports> | null => (wasm ??= instantiateEmbedded<PhiloxExports>(philoxWasm) ?? null);

/**
 * Inverted-dropout multipliers: 0 with probability p, else 1/(1 − p); identical to dropout-mask.wgsl.
 * Computed by the wasm build of wasm/philox.c ('wasm', where the runtime can run it) or here ('js').
 */
export function dropoutMask(count: number, p: number, key: NoiseKey, into?: Float32Array, via: 'wasm' | 'js' = 'wasm'): Float32Array {
  const out = into ?? new Float32Array(count);
  const { threshold, keepScale } = dropoutParams(p);
  const module = via === 'wasm' ? philoxModule() : null;
  const heap = module?.reserve(module.base + 4 * count);
  if (module && heap) {
    validateNoiseKey(key);
    const [k0, k1] = seedWords(key.seed);
    module.exports.philox_dropout(count, key.step, key.stream, k0, k1, threshold, keepScale, module.base);
    out.set(new Float32Array(heap.buffer, module.base, count));
    return out;
  }
  forEachBits(count, key, (i, bits) => (out[i] = bits >>> 8 >= threshold ? keepScale : 0));
  return out;
}
