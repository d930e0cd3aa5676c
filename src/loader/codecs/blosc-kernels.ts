// Where a blosc frame's blocks are decoded: the wasm build of wasm/blosc-lz4.c (LZ4 with 16-byte
// copies, SIMD unshuffle: ~4.6× the plain TypeScript on the loader's chunks, bench:codecs), or
// lz4-block.ts and unshuffle() in TypeScript where WebAssembly SIMD is missing. Both work in one
// byte array, their heap: the frame, one block's shuffled bytes and the decoded chunk, at offsets
// the decoder lays out. Each thread has its own heap; it grows to the largest chunk seen.
import { instantiateEmbedded } from '../../wasm.ts';
import { bloscLz4Wasm } from './blosc-lz4.wasm.ts';
import { lz4DecompressBlock } from './lz4-block.ts';
import { unshuffle } from './unshuffle.ts';

export type BloscKernelsKind = 'wasm' | 'js';

export interface BloscKernels {
  readonly kind: BloscKernelsKind;
  /** The first heap offset the decoder may use. */
  readonly base: number;
  /** The heap, at least `bytes` long (a new array when it had to grow); undefined when it cannot grow. */
  reserve(bytes: number): Uint8Array | undefined;
  /** LZ4 block heap[src, src+n) → heap[dst, dst+cap); the bytes written. Throws a RangeError saying what is damaged. */
  lz4(src: number, n: number, dst: number, cap: number): number;
  /** Blosc's byte shuffle of heap[src, src+size) undone into heap[dst, …) (no overlap). */
  unshuffle(typesize: number, src: number, dst: number, size: number): void;
}

function jsKernels(): BloscKernels {
  let heap = new Uint8Array(0);
  return {
    kind: 'js',
    base: 0,
    reserve(bytes) {
      if (heap.length < bytes) heap = new Uint8Array(Math.max(bytes, heap.length * 1.5));
      return heap;
    },
    lz4: (src, n, dst, cap) => lz4DecompressBlock(heap.subarray(src, src + n), heap, dst, dst + cap),
    unshuffle: (typesize, src, dst, size) => unshuffle(typesize, heap.subarray(src, src + size), heap, dst, size),
  };
}

interface BloscLz4Exports {
  lz4_decompress(src: number, n: number, dst: number, cap: number): number;
  unshuffle(typesize: number, src: number, dst: number, size: number): void;
}

/** What each negative return code of lz4_decompress (wasm/blosc-lz4.c) means, as lz4-block.ts words it. */
const lz4Problems: Readonly<Record<number, string>> = {
  [-1]: 'lz4: literal length runs past the end of the block',
  [-2]: 'lz4: literal run past the end of the block',
  [-3]: 'lz4: match offset past the end of the block',
  [-4]: 'lz4: match offset outside the output',
  [-5]: 'lz4: match length runs past the end of the block',
  [-6]: 'lz4: match past the end of the block',
};

/** The wasm kernels, or undefined where this runtime cannot run the module (no WebAssembly SIMD). */
function wasmKernels(): BloscKernels | undefined {
  const wasm = instantiateEmbedded<BloscLz4Exports>(bloscLz4Wasm);
  if (!wasm) return undefined;
  const { lz4_decompress, unshuffle } = wasm.exports;
  return {
    kind: 'wasm',
    base: wasm.base,
    reserve: (bytes) => wasm.reserve(bytes),
    lz4(src, n, dst, cap) {
      const written = lz4_decompress(src, n, dst, cap);
      if (written < 0) throw new RangeError(lz4Problems[written] ?? `lz4: error ${written}`);
      return written;
    },
    unshuffle: (typesize, src, dst, size) => unshuffle(typesize, src, dst, size),
  };
}

const made: Partial<Record<BloscKernelsKind, BloscKernels | null>> = {};

/** This thread's kernels of `kind`: null for 'wasm' where the runtime cannot run it. */
export function bloscKernels(kind: BloscKernelsKind): BloscKernels | null {
  if (made[kind] === undefined) made[kind] = kind === 'wasm' ? (wasmKernels() ?? null) : jsKernels();
  return made[kind];
}

/** The fastest kernels this runtime runs. */
export const defaultBloscKernels = (): BloscKernels => bloscKernels('wasm') ?? bloscKernels('js')!;
