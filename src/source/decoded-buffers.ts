// Buffers for decoded chunks, reused: a chunk decoded, copied into a read's result and released
// writes its next decode into memory the process already touched. Fresh memory is the hot path's
// main cost (page faults: on the 2-core benchmark VM 40 % of the loader's CPU time was the kernel's).
// Only buffers made here are taken back, each once, so a buffer someone else still holds (a cached
// store answer, a fill-value chunk) is never handed out again.

const made = new WeakSet<ArrayBufferLike>();
const spare = new Map<number, ArrayBufferLike[]>();
const isSpare = new WeakSet<ArrayBufferLike>();
/** Bytes kept for reuse per thread, at most. */
const maxSpareBytes = 64 * 2 ** 20;
let spareBytes = 0;

/** `bytes` bytes to decode into: a released buffer of that size, else a fresh one. */
export function decodedBytes(bytes: number): Uint8Array {
  const buffer = spare.get(bytes)?.pop();
  if (buffer) {
    isSpare.delete(buffer);
    spareBytes -= bytes;
    return new Uint8Array(buffer, 0, bytes);
  }
  const fresh = new Uint8Array(bytes);
  made.add(fresh.buffer);
  return fresh;
}

/**
 * Hands a buffer from decodedBytes back once nothing reads it any more (its values were copied
 * out). Others' buffers, detached (transferred) ones and ones already released are ignored.
 */
export function releaseDecoded(buffer: ArrayBufferLike): void {
  const bytes = buffer.byteLength;
  if (!made.has(buffer) || isSpare.has(buffer) || bytes === 0 || spareBytes + bytes > maxSpareBytes) return;
  isSpare.add(buffer);
  spareBytes += bytes;
  const list = spare.get(bytes);
  if (list) list.push(buffer);
  else spare.set(bytes, [buffer]);
}
