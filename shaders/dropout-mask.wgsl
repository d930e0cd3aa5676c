// Inverted-dropout multipliers from Philox (philox.wgsl included): 0 with probability p, else
// 1/(1 − p). Uniforms: src/gpu/noise.ts. The keep test compares integers, so the CPU path
// (src/cpu/philox.ts) gives the identical mask. Counter (block, step, stream, 0), key = seed.

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x + gid.y * params.groups_x * 64u;
  let first = block * 4u;
  if (first >= params.count) { return; }
  let bits = philox4x32_10(vec4<u32>(block, params.step, params.stream, 0u), params.key0, params.key1);
  for (var lane = 0u; lane < 4u && first + lane < params.count; lane++) {
    out[first + lane] = select(0.0, params.keep_scale, (bits[lane] >> 8u) >= params.threshold);
  }
}
