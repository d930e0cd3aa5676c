// Dropout masks from Philox 4x32-10, compiled to WebAssembly by scripts/build-wasm.mjs for
// ../philox.ts: the same stream as philox4x32 there and shaders/philox.wgsl, bit for bit (integer
// arithmetic only), with the 32x32 -> 64-bit products done natively instead of in 16-bit halves.
#include <stdint.h>

/**
 * Inverted-dropout multipliers for elements 0..count-1 of the stream keyed by (k0, k1) at counter
 * (block, step, stream, 0): keep (when the top 24 bits of the element's word are >= threshold) or 0.
 */
__attribute__((export_name("philox_dropout")))
void philox_dropout(uint32_t count, uint32_t step, uint32_t stream, uint32_t key0, uint32_t key1, uint32_t threshold, float keep, float *out) {
  for (uint32_t first = 0; first < count; first += 4) {
    uint32_t c0 = first / 4, c1 = step, c2 = stream, c3 = 0, k0 = key0, k1 = key1;
    for (int round = 0; round < 10; round++) {
      const uint64_t p0 = (uint64_t)0xD2511F53u * c0;
      const uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
      const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
      const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
      c1 = (uint32_t)p1;
      c3 = (uint32_t)p0;
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint32_t bits[4] = {c0, c1, c2, c3};
    for (uint32_t lane = 0; lane < 4 && first + lane < count; lane++) out[first + lane] = (bits[lane] >> 8) >= threshold ? keep : 0.0f;
  }
}
