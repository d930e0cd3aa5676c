// Uniform [0, 1) noise from Philox (philox.wgsl, with the bindings, prepended): out[i] = top 24 bits of output i / 2^24.

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = block_index(gid);
  let first = block * 4u;
  if (first >= params.count) { return; }
  let bits = noise_bits(block);
  for (var lane = 0u; lane < 4u && first + lane < params.count; lane++) { out[first + lane] = to_unit(bits[lane]); }
}
