// Multi-scale RBF kernel sums over 16×16 tiles of row pairs, for MMD between groups (math.wgsl
// prepended). Rows are visited through `order` (grouped by code on the CPU), so every tile lies in one
// pair of groups; each tile writes Σ (k(a, b) − 1) over its pairs, and the CPU combines tiles in f64.
// The matrix may exceed one storage binding, so a dispatch reads two row ranges of it, y_a and y_b
// (possibly the same): every tile of the dispatch pairs a block of y_a's rows with one of y_b's, and
// `order` holds row ids local to their range.
// k(a, b) = (1/19) Σ_s exp(−‖a − b‖² / (2σ_s)); accumulating k − 1 keeps large-σ terms (k ≈ 1) exact.

struct Params {
  tile_count: u32,   // tiles of this dispatch
  dims: u32,
  groups_x: u32,     // workgroups along x of the 2-D dispatch
  tile_offset: u32,  // first tile of this dispatch in `tiles` and `partials`
}

struct Block { start: u32, rows: u32 }

@group(0) @binding(0) var<storage, read> y_a: array<f32>;         // rows of blocks i, row-major
@group(0) @binding(1) var<storage, read> y_b: array<f32>;         // rows of blocks j, row-major
@group(0) @binding(2) var<storage, read> order: array<u32>;       // local row ids, grouped by code
@group(0) @binding(3) var<storage, read> blocks: array<Block>;    // runs of ≤ 16 entries of order
@group(0) @binding(4) var<storage, read> tiles: array<vec2<u32>>; // (block i, block j) of this window
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;  // per tile of this window
@group(0) @binding(6) var<uniform> params: Params;

// 1 / (2σ) for trVAE's σ ∈ {1e-6 … 1e6}.
const INV_TWO_SIGMA = array<f32, 19>(
  5e5, 5e4, 5e3, 500.0, 50.0, 5.0, 0.5, 0.1, 0.05, 1.0 / 30.0, 0.025, 0.02, 1.0 / 60.0, 1.0 / 70.0,
  0.005, 5e-4, 5e-5, 5e-6, 5e-7,
);

var<workgroup> sums: array<f32, 64>;

fn kernel_minus_one(dist: f32) -> f32 {
  var sum = 0.0;
  for (var s = 0u; s < 19u; s++) { sum += expm1_f32(-dist * INV_TWO_SIGMA[s]); }
  return sum * (1.0 / 19.0);
}

// 64 threads per tile, each owning one row of block a against four rows of block b: every value of a is
// read once per four pairs, and few invocations per barrier keep software adapters usable.
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wid.x + wid.y * params.groups_x;
  if (t >= params.tile_count) { return; }
  let slot = params.tile_offset + t;
  let pair = tiles[slot];
  let block_a = blocks[pair.x];
  let block_b = blocks[pair.y];
  let i = li / 4u;         // row of block a
  let j0 = (li % 4u) * 4u; // first of four rows of block b
  var total = 0.0;
  if (i < block_a.rows && j0 < block_b.rows) {
    let base_a = order[block_a.start + i] * params.dims;
    var base_b = vec4<u32>();
    for (var q = 0u; q < 4u; q++) { base_b[q] = order[block_b.start + min(j0 + q, block_b.rows - 1u)] * params.dims; }
    // Σ (a − b)² directly, so a row against itself gives exactly 0 and so does k − 1.
    var dist = vec4<f32>();
    for (var k = 0u; k < params.dims; k++) {
      let a = y_a[base_a + k];
      let diff = vec4<f32>(a - y_b[base_b.x + k], a - y_b[base_b.y + k], a - y_b[base_b.z + k], a - y_b[base_b.w + k]);
      dist += diff * diff;
    }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q < block_b.rows) { total += kernel_minus_one(dist[q]); }
    }
  }
  sums[li] = total;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { sums[li] += sums[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { partials[slot] = sums[0]; }
}
