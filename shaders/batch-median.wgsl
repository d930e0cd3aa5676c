// Median of the positive row totals of a batch (scanpy's normalize_total target_sum=None, per batch),
// written to result[0]. One workgroup; each total's rank is counted directly (O(n²), n = batch rows).
// Params: src/gpu/batch-median.ts.

@group(0) @binding(0) var<storage, read> totals: array<f32>;
@group(0) @binding(1) var<storage, read_write> result: array<f32>;  // [median, low middle, high middle]
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 256u;
var<workgroup> positives: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var mine = 0u;
  for (var i = lid; i < params.count; i += WG) { mine += select(0u, 1u, totals[i] > 0.0); }
  positives[lid] = mine;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { positives[lid] += positives[lid + s]; }
    workgroupBarrier();
  }
  let n = workgroupUniformLoad(&positives[0]);
  if (n == 0u) {
    if (lid == 0u) { result[0] = 0.0; }
    return;
  }
  // Order statistics (0-based, among positives) that make the median.
  let lo = (n - 1u) / 2u;
  let hi = n / 2u;
  for (var i = lid; i < params.count; i += WG) {
    let v = totals[i];
    if (v <= 0.0) { continue; }
    var below = 0u;
    var equal = 0u;
    for (var j = 0u; j < params.count; j++) {
      let w = totals[j];
      below += select(0u, 1u, w > 0.0 && w < v);
      equal += select(0u, 1u, w == v);
    }
    // Ties write the same value, so racing writers agree.
    if (below <= lo && lo < below + equal) { result[1] = v; }
    if (below <= hi && hi < below + equal) { result[2] = v; }
  }
  storageBarrier();
  workgroupBarrier();
  if (lid == 0u) { result[0] = (result[1] + result[2]) * 0.5; }
}
