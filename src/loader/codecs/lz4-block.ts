// LZ4 block decompression (the format blosc's lz4 compressor writes) in plain TypeScript: the
// fallback of blosc-kernels.ts where WebAssembly SIMD is missing, and the reference its wasm build
// (wasm/blosc-lz4.c) is tested against.

/** Decompresses `src` into `dst` starting at `at`; returns the number of bytes written. */
export function lz4DecompressBlock(src: Uint8Array, dst: Uint8Array, at = 0, end = dst.length): number {
  let s = 0;
  let d = at;
  const n = src.length;
  while (s < n) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= n) throw new RangeError('lz4: literal length runs past the end of the block');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals > 0) {
      if (d + literals > end || s + literals > n) throw new RangeError('lz4: literal run past the end of the block');
      // short copies in a loop: a native call (and a subarray allocation) costs more below ~64 bytes
      if (literals < 64) for (let i = 0; i < literals; i++) dst[d + i] = src[s + i]!;
      else dst.set(src.subarray(s, s + literals), d);
      s += literals;
      d += literals;
    }
    if (s >= n) break; // the last sequence has literals only
    if (s + 2 > n) throw new RangeError('lz4: match offset past the end of the block');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d - at) throw new RangeError('lz4: match offset outside the output');
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (s >= n) throw new RangeError('lz4: match length runs past the end of the block');
        b = src[s++]!;
        length += b;
      } while (b === 255);
    }
    if (d + length > end) throw new RangeError('lz4: match past the end of the block');
    const from = d - offset;
    if (length < 64) {
      // a forward byte loop is also right for overlapping matches
      for (let k = 0; k < length; k++) dst[d + k] = dst[from + k]!;
    } else if (offset === 1) {
      dst.fill(dst[from]!, d, d + length);
    } else if (offset >= length) {
      dst.copyWithin(d, from, from + length);
    } else {
      // an overlapping match repeats the last `offset` bytes: copy the pattern in doubling pieces
      for (let copied = 0; copied < length; ) {
        const c = Math.min(length - copied, d + copied - from);
        dst.copyWithin(d + copied, from, from + c);
        copied += c;
      }
    }
    d += length;
  }
  return d - at;
}
