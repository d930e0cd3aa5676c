// N(0, 1) noise (the reparameterisation's eps) from Philox by Box–Muller (philox.wgsl and math.wgsl
// included; uniforms: src/gpu/noise.ts). Each Philox output quadruple, counter (block, step, stream,
// 0) under key = seed, gives two (u1, u2) pairs → four normals.

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

const PI: f32 = 3.14159265358979;

fn box_muller(bits_u1: u32, bits_u2: u32) -> vec2<f32> {
  // u1 in (0, 1] so log(u1) is finite; log1p of (u1 − 1), exact in f32, keeps precision near u1 = 1.
  let u1 = f32((bits_u1 >> 8u) + 1u) * (1.0 / 16777216.0);
  let radius = sqrt(max(0.0, -2.0 * log1p_f32(u1 - 1.0)));
  // WGSL only bounds sin/cos error on [−π, π]: use θ = 2π·u2 − π, and cos(θ + π) = −cos θ.
  let theta = to_unit(bits_u2) * (2.0 * PI) - PI;
  return vec2<f32>(-radius * cos(theta), -radius * sin(theta));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x + gid.y * params.groups_x * 64u;
  let first = block * 4u;
  if (first >= params.count) { return; }
  let bits = philox4x32_10(vec4<u32>(block, params.step, params.stream, 0u), params.key0, params.key1);
  let a = box_muller(bits.x, bits.y);
  let b = box_muller(bits.z, bits.w);
  let z = vec4<f32>(a.x, a.y, b.x, b.y);
  for (var lane = 0u; lane < 4u && first + lane < params.count; lane++) { out[first + lane] = z[lane]; }
}
