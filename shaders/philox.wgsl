// Philox 4×32-10 (Salmon et al., SC'11), the counter-based generator of Random123, cuRAND and JAX:
// 10 rounds of multiply/xor on a 128-bit counter under a 64-bit key. Included by the noise kernels;
// src/cpu/philox.ts computes the same bits.

fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  // 32×32 → 64-bit product from 16-bit halves (WGSL has no 64-bit integers).
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lh = a_lo * b_hi;
  let hl = a_hi * b_lo;
  let mid = ((a_lo * b_lo) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let hi = a_hi * b_hi + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox4x32_10(counter: vec4<u32>, key0: u32, key1: u32) -> vec4<u32> {
  var c = counter;
  var k0 = key0;
  var k1 = key1;
  for (var round = 0u; round < 10u; round++) {
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k0, p1.y, p0.x ^ c.w ^ k1, p0.y);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

/** Uniform in [0, 1) from the top 24 bits: exact in f32. */
fn to_unit(bits: u32) -> f32 {
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}
