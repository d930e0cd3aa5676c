// Integer class codes [rows] → one-hot float32 [rows, n_classes] row-major (codes checked on the CPU).
// Params: src/gpu/onehot.ts.

@group(0) @binding(0) var<storage, read> codes: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.groups_x * 256u;
  if (i >= params.count * params.n_classes) { return; }
  out[i] = select(0.0, 1.0, codes[i / params.n_classes] == i % params.n_classes);
}
