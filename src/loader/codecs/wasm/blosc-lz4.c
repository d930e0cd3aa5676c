// LZ4 block decompression and blosc's byte unshuffle, compiled to WebAssembly (with SIMD) by
// scripts/build-wasm.mjs for the blosc decoder in ../blosc.ts. No libc and no allocator: the
// caller places the buffers in this module's memory. Every read and write stays inside the buffers
// it is given; a damaged block returns a negative code instead of a length.
#include <stdint.h>
#include <wasm_simd128.h>

#define LITERAL_LENGTH_PAST_END -1
#define LITERALS_PAST_END -2
#define OFFSET_PAST_END -3
#define OFFSET_OUTSIDE_OUTPUT -4
#define MATCH_LENGTH_PAST_END -5
#define MATCH_PAST_END -6

static inline void copy16(uint8_t *d, const uint8_t *s) { wasm_v128_store(d, wasm_v128_load(s)); }

/** Adds a length's extension bytes (each 255 continues it) from *s to *length; 0 when they run past send. */
static inline int extend_length(const uint8_t **s, const uint8_t *send, uint32_t *length) {
  uint32_t b;
  do {
    if (*s >= send) return 0;
    b = *(*s)++;
    *length += b;
  } while (b == 255);
  return 1;
}

/** Decompresses the LZ4 block src[0, n) into dst[0, cap); returns the bytes written, or an error code. */
__attribute__((export_name("lz4_decompress")))
int32_t lz4_decompress(const uint8_t *src, int32_t n, uint8_t *dst, int32_t cap) {
  const uint8_t *s = src;
  const uint8_t *const send = src + n;
  uint8_t *d = dst;
  uint8_t *const dend = dst + cap;
  while (s < send) {
    const uint32_t token = *s++;
    uint32_t literals = token >> 4;
    if (literals == 15 && !extend_length(&s, send, &literals)) return LITERAL_LENGTH_PAST_END;
    if (literals <= 16 && send - s >= 16 && dend - d >= 16) {
      // one 16-byte copy; the bytes past the run are overwritten by what follows
      copy16(d, s);
    } else {
      if (literals > (uint32_t)(send - s) || literals > (uint32_t)(dend - d)) return LITERALS_PAST_END;
      __builtin_memcpy(d, s, literals);
    }
    s += literals;
    d += literals;
    if (s >= send) break;  // the last sequence has literals only
    if (send - s < 2) return OFFSET_PAST_END;
    const uint32_t offset = s[0] | ((uint32_t)s[1] << 8);
    s += 2;
    if (offset == 0 || offset > (uint32_t)(d - dst)) return OFFSET_OUTSIDE_OUTPUT;
    uint32_t length = (token & 15) + 4;
    if ((token & 15) == 15 && !extend_length(&s, send, &length)) return MATCH_LENGTH_PAST_END;
    if (length > (uint32_t)(dend - d)) return MATCH_PAST_END;
    const uint8_t *from = d - offset;
    uint8_t *const end = d + length;
    if (offset >= 16 && dend - end >= 16) {
      // 16-byte steps never read bytes this match has not written yet when offset >= 16
      do {
        copy16(d, from);
        d += 16;
        from += 16;
      } while (d < end);
    } else if (offset == 1) {
      __builtin_memset(d, *from, length);
    } else if (offset >= length) {
      __builtin_memcpy(d, from, length);
    } else {
      // an overlapping match repeats the last `offset` bytes
      while (d < end) *d++ = *from++;
    }
    d = end;
  }
  return (int32_t)(d - dst);
}

/**
 * Undoes blosc's byte shuffle of `size` bytes (src: byte 0 of every element, then byte 1, ...)
 * into dst; src and dst do not overlap.
 */
__attribute__((export_name("unshuffle")))
void unshuffle(int32_t typesize, const uint8_t *src, uint8_t *dst, int32_t size) {
  const int32_t n = size / typesize;
  int32_t i = 0;
  if (typesize == 4) {
    const uint8_t *b0 = src, *b1 = src + n, *b2 = src + 2 * n, *b3 = src + 3 * n;
    for (; i + 16 <= n; i += 16) {
      const v128_t v0 = wasm_v128_load(b0 + i), v1 = wasm_v128_load(b1 + i), v2 = wasm_v128_load(b2 + i), v3 = wasm_v128_load(b3 + i);
      const v128_t lo01 = wasm_i8x16_shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const v128_t hi01 = wasm_i8x16_shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const v128_t lo23 = wasm_i8x16_shuffle(v2, v3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const v128_t hi23 = wasm_i8x16_shuffle(v2, v3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      uint8_t *out = dst + 4 * i;
      wasm_v128_store(out, wasm_i16x8_shuffle(lo01, lo23, 0, 8, 1, 9, 2, 10, 3, 11));
      wasm_v128_store(out + 16, wasm_i16x8_shuffle(lo01, lo23, 4, 12, 5, 13, 6, 14, 7, 15));
      wasm_v128_store(out + 32, wasm_i16x8_shuffle(hi01, hi23, 0, 8, 1, 9, 2, 10, 3, 11));
      wasm_v128_store(out + 48, wasm_i16x8_shuffle(hi01, hi23, 4, 12, 5, 13, 6, 14, 7, 15));
    }
  } else if (typesize == 8) {
    // two 4-byte halves: bytes 0-3 and 4-7 of 16 elements, then the halves interleaved
    for (; i + 16 <= n; i += 16) {
      v128_t half[2][4];
      for (int h = 0; h < 2; h++) {
        const v128_t v0 = wasm_v128_load(src + (4 * h) * n + i), v1 = wasm_v128_load(src + (4 * h + 1) * n + i);
        const v128_t v2 = wasm_v128_load(src + (4 * h + 2) * n + i), v3 = wasm_v128_load(src + (4 * h + 3) * n + i);
        const v128_t lo01 = wasm_i8x16_shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const v128_t hi01 = wasm_i8x16_shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        const v128_t lo23 = wasm_i8x16_shuffle(v2, v3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const v128_t hi23 = wasm_i8x16_shuffle(v2, v3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        half[h][0] = wasm_i16x8_shuffle(lo01, lo23, 0, 8, 1, 9, 2, 10, 3, 11);
        half[h][1] = wasm_i16x8_shuffle(lo01, lo23, 4, 12, 5, 13, 6, 14, 7, 15);
        half[h][2] = wasm_i16x8_shuffle(hi01, hi23, 0, 8, 1, 9, 2, 10, 3, 11);
        half[h][3] = wasm_i16x8_shuffle(hi01, hi23, 4, 12, 5, 13, 6, 14, 7, 15);
      }
      uint8_t *out = dst + 8 * i;
      for (int q = 0; q < 4; q++) {
        wasm_v128_store(out + 32 * q, wasm_i32x4_shuffle(half[0][q], half[1][q], 0, 4, 1, 5));
        wasm_v128_store(out + 32 * q + 16, wasm_i32x4_shuffle(half[0][q], half[1][q], 2, 6, 3, 7));
      }
    }
  } else if (typesize == 2) {
    const uint8_t *b0 = src, *b1 = src + n;
    for (; i + 16 <= n; i += 16) {
      const v128_t v0 = wasm_v128_load(b0 + i), v1 = wasm_v128_load(b1 + i);
      wasm_v128_store(dst + 2 * i, wasm_i8x16_shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
      wasm_v128_store(dst + 2 * i + 16, wasm_i8x16_shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }
  }
  for (; i < n; i++)
    for (int32_t j = 0; j < typesize; j++) dst[i * typesize + j] = src[j * n + i];
  for (int32_t k = n * typesize; k < size; k++) dst[k] = src[k];
}
