// Per-column mean and M2 = Σ (x − mean)² of a dense [rows, cols] float32 batch, per chunk of up to 256
// rows (two passes in f32 over few values; the CPU merges chunks in f64 with Chan's formula). Optional
// expm1 of each value first, for log1p data (math.wgsl included). Params: src/gpu/hvg.ts.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> moments: array<vec2<f32>>;  // [chunk, col] → (mean, M2)
@group(0) @binding(2) var<uniform> params: Params;

fn value(r: u32, c: u32) -> f32 {
  let v = x[r * params.cols + c];
  return select(v, expm1_f32(v), params.expm1_input == 1u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let chunk = gid.y;
  if (c >= params.cols) { return; }
  let r0 = chunk * params.chunk_rows;
  let r1 = min(params.rows, r0 + params.chunk_rows);
  var sum = 0.0;
  for (var r = r0; r < r1; r++) { sum += value(r, c); }
  let mean = sum / f32(r1 - r0);
  var m2 = 0.0;
  for (var r = r0; r < r1; r++) {
    let d = value(r, c) - mean;
    m2 += d * d;
  }
  moments[chunk * params.cols + c] = vec2<f32>(mean, m2);
}
