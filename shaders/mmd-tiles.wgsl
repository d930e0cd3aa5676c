// Multi-scale RBF kernel sums over 16×16 tiles of row pairs, for MMD between groups (math.wgsl
// prepended). Rows are visited through `order` (grouped by code on the CPU), so every tile lies in one
// pair of groups; each tile writes Σ (k(a, b) − 1) over its pairs, and the CPU combines tiles in f64.
// k(a, b) = (1/19) Σ_s exp(−‖a − b‖² / (2σ_s)); accumulating k − 1 keeps large-σ terms (k ≈ 1) exact.

struct Params {
  tile_count: u32,   // tiles of this dispatch
  dims: u32,
  groups_x: u32,     // workgroups along x of the 2-D dispatch
  tile_offset: u32,  // first tile of this dispatch in `tiles`
}

struct Block { start: u32, rows: u32 }

@group(0) @binding(0) var<storage, read> y: array<f32>;           // [rows, dims] row-major
@group(0) @binding(1) var<storage, read> order: array<u32>;       // row ids, grouped by code
@group(0) @binding(2) var<storage, read> blocks: array<Block>;    // runs of ≤ 16 entries of order
@group(0) @binding(3) var<storage, read> tiles: array<vec2<u32>>; // (block i, block j)
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;  // per tile of this dispatch
@group(0) @binding(5) var<uniform> params: Params;

const T: u32 = 16u;
// 1 / (2σ) for trVAE's σ ∈ {1e-6 … 1e6}.
const INV_TWO_SIGMA = array<f32, 19>(
  5e5, 5e4, 5e3, 500.0, 50.0, 5.0, 0.5, 0.1, 0.05, 1.0 / 30.0, 0.025, 0.02, 1.0 / 60.0, 1.0 / 70.0,
  0.005, 5e-4, 5e-5, 5e-6, 5e-7,
);

var<workgroup> tile_a: array<array<f32, 16>, 16>;
var<workgroup> tile_b: array<array<f32, 16>, 16>;
var<workgroup> sums: array<f32, 256>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = wid.x + wid.y * params.groups_x;
  if (t >= params.tile_count) { return; }
  let pair = tiles[params.tile_offset + t];
  let block_a = blocks[pair.x];
  let block_b = blocks[pair.y];
  // Thread (ty, tx) owns the pair (row ty of block a, row tx of block b); loads use the same grid.
  let ty = lid.y;
  let tx = lid.x;
  let row_a = order[block_a.start + min(ty, block_a.rows - 1u)];
  let row_b = order[block_b.start + min(tx, block_b.rows - 1u)];
  let load_a = order[block_a.start + min(tx, block_a.rows - 1u)];
  var dist = 0.0;
  for (var d0 = 0u; d0 < params.dims; d0 += T) {
    // tile_a[r][k] = y[block a row r, d0 + k]; tile_b likewise; each thread loads one of each.
    let k = d0 + ty;
    let in_range = k < params.dims;
    tile_a[tx][ty] = select(0.0, y[load_a * params.dims + min(k, params.dims - 1u)], in_range);
    tile_b[tx][ty] = select(0.0, y[row_b * params.dims + min(k, params.dims - 1u)], in_range);
    workgroupBarrier();
    for (var j = 0u; j < T; j++) {
      let diff = tile_a[ty][j] - tile_b[tx][j];
      dist += diff * diff;
    }
    workgroupBarrier();
  }
  var k_minus_one = 0.0;
  // A row against itself gives dist exactly 0, so k − 1 is exactly 0: no diagonal special case.
  if (ty < block_a.rows && tx < block_b.rows) {
    for (var s = 0u; s < 19u; s++) { k_minus_one += expm1_f32(-dist * INV_TWO_SIGMA[s]); }
    k_minus_one *= 1.0 / 19.0;
  }
  sums[li] = k_minus_one;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { sums[li] += sums[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { partials[t] = sums[0]; }
}
