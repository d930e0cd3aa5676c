// CSR pool rows → dense float32 batch with gene selection, fused with normalize_total, log1p and
// per-gene scaling. One workgroup per batch row; the dispatch covers one pool segment (a piece of the
// pool small enough to bind). Includes math.wgsl; Params (flags: bit 0 normalise, bit 1 log1p, bit 2
// scale): src/gpu/gather-normalize.ts.

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<storage, read> indices: array<u32>;
@group(0) @binding(2) var<storage, read> indptr: array<u32>;          // segment-local, rows + 1
@group(0) @binding(3) var<storage, read> row_list: array<vec2<u32>>;  // (output row, segment-local row)
// [n_vars] gene map (i32 bits, −1 dropped), then [n_selected] mean, then [n_selected] 1/std (f32 bits).
@group(0) @binding(4) var<storage, read> columns: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> size_factors: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// 64 threads per row: ~1,500 non-zeros and 2,000 columns give each thread a few dozen elements, and
// fewer invocations per barrier keep software adapters (SwiftShader) from crawling.
const WG: u32 = 64u;
var<workgroup> partial: array<f32, 64>;

fn gene_of(j: u32) -> u32 {
  if (params.packed_u16 == 1u) {
    return (indices[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu;
  }
  return indices[j];
}

fn finish(value: f32, c: u32) -> f32 {
  var v = value;
  if ((params.flags & 2u) != 0u) { v = log1p_f32(v); }
  if ((params.flags & 4u) != 0u) {
    let mean = bitcast<f32>(columns[params.n_vars + c]);
    let inv_std = bitcast<f32>(columns[params.n_vars + params.n_selected + c]);
    v = clamp((v - mean) * inv_std, -params.clip, params.clip);
  }
  return v;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.x + wid.y * params.groups_x;
  if (k >= params.row_count) { return; }
  let entry = row_list[params.row_offset + k];
  let out_row = entry.x;
  let start = indptr[entry.y];
  let end = indptr[entry.y + 1u];

  // Library size over the full row (all genes), tree-reduced.
  var acc = 0.0;
  for (var j = start + lid; j < end; j += WG) { acc += data[j]; }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  if (lid == 0u) { size_factors[out_row] = total; }

  var factor = 1.0;
  if ((params.flags & 1u) != 0u) { factor = select(0.0, params.target_sum / total, total > 0.0); }
  let base = out_row * params.n_selected;
  // Columns the row has no entry for hold the transform of 0 (non-zero only when scaling).
  for (var c = lid; c < params.n_selected; c += WG) { out[base + c] = finish(0.0, c); }
  storageBarrier();
  for (var j = start + lid; j < end; j += WG) {
    let col = bitcast<i32>(columns[gene_of(j)]);
    if (col >= 0) { out[base + u32(col)] = finish(data[j] * factor, u32(col)); }
  }
}
