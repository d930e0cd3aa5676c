// Inverted-dropout multipliers from Philox (philox.wgsl, with the bindings, prepended): 0 with probability p, else 1/(1 − p).
// The keep test compares integers, so the CPU path gives the identical mask.

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = block_index(gid);
  let first = block * 4u;
  if (first >= params.count) { return; }
  let bits = noise_bits(block);
  for (var lane = 0u; lane < 4u && first + lane < params.count; lane++) {
    out[first + lane] = select(0.0, params.keep_scale, (bits[lane] >> 8u) >= params.threshold);
  }
}
