// Blosc's byte shuffle undone in TypeScript: the fallback of blosc-kernels.ts where WebAssembly SIMD
// is missing, and the reference the wasm build is tested against.

/**
 * Undoes blosc's byte shuffle of `size` bytes (`src`: byte 0 of every element, then byte 1, ...)
 * into `dst` at `at`. Elements of 2 and 4 bytes are assembled in a register and stored whole when
 * `dst` is aligned for it (little-endian, as every platform that runs this): a quarter of the stores.
 */
export function unshuffle(typesize: number, src: Uint8Array, dst: Uint8Array, at: number, size: number): void {
  const n = Math.floor(size / typesize);
  const offset = dst.byteOffset + at;
  if (typesize === 4 && offset % 4 === 0) {
    const out = new Uint32Array(dst.buffer, offset, n);
    for (let i = 0, s1 = n, s2 = 2 * n, s3 = 3 * n; i < n; i++) out[i] = src[i]! | (src[s1 + i]! << 8) | (src[s2 + i]! << 16) | (src[s3 + i]! << 24);
  } else if (typesize === 2 && offset % 2 === 0) {
    const out = new Uint16Array(dst.buffer, offset, n);
    for (let i = 0; i < n; i++) out[i] = src[i]! | (src[n + i]! << 8);
  } else {
    for (let j = 0; j < typesize; j++) {
      const base = j * n;
      for (let i = 0; i < n; i++) dst[at + i * typesize + j] = src[base + i]!;
    }
  }
  for (let k = n * typesize; k < size; k++) dst[at + k] = src[k]!;
}
