// Buffers for decoded chunks and read results, reused: a buffer released once its values were
// copied out (a decoded chunk) or used up (a read's rows, densified into batches in the same
// thread) takes the next decode or read in memory the process already touched. Fresh memory is
// the loader's main cost (page faults: on the 2-core benchmark VM 40 % of its CPU time was the
// kernel's). Only buffers made here are taken back, each once, so a buffer someone else still
// holds (a cached store answer, a fill-value chunk) is never handed out again.

const made = new WeakSet<ArrayBufferLike>();
/** Released buffers by size class. */
const spare = new Map<number, ArrayBufferLike[]>();
const isSpare = new WeakSet<ArrayBufferLike>();
/** Bytes kept for reuse per thread, at most. */
const maxSpareBytes = 128 * 2 ** 20;
let spareBytes = 0;

/** The size class of `bytes`: eight classes per power of two, so a buffer wastes at most 1/8. */
export function sizeClass(bytes: number): number {
  if (bytes <= 64) return 64;
  const step = 2 ** (Math.ceil(Math.log2(bytes)) - 4);
  return Math.ceil(bytes / step) * step;
}

/** `bytes` bytes (not zeroed when reused) over a buffer of their size class: a released one, else a fresh one. */
export function reusableBytes(bytes: number): Uint8Array {
  const size = sizeClass(bytes);
  const buffer = spare.get(size)?.pop();
  if (buffer) {
    isSpare.delete(buffer);
    spareBytes -= size;
    return new Uint8Array(buffer, 0, bytes);
  }
  const fresh = new ArrayBuffer(size);
  made.add(fresh);
  return new Uint8Array(fresh, 0, bytes);
}

type NumericCtor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/** `length` elements of type `Values` (not zeroed when reused), as reusableBytes. */
export function reusableArray<T>(Values: NumericCtor<T>, length: number): T {
  return new Values(reusableBytes(length * Values.BYTES_PER_ELEMENT).buffer as ArrayBuffer, 0, length);
}

/**
 * Hands a buffer from reusableBytes back once nothing reads it any more. Others' buffers, detached
 * (transferred) ones and ones already released are ignored.
 */
export function releaseBuffer(buffer: ArrayBufferLike): void {
  const size = buffer.byteLength;
  if (!made.has(buffer) || isSpare.has(buffer) || size === 0 || spareBytes + size > maxSpareBytes) return;
  isSpare.add(buffer);
  spareBytes += size;
  const list = spare.get(size);
  if (list) list.push(buffer);
  else spare.set(size, [buffer]);
}
