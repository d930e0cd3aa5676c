// Rows of a row-major matrix gathered into a new one: the shown cells' latent values, a pair's
// cells among the kept sample, a block's cells with an MMD layer to keep.

/** Rows `rows` of `values` ([*, width] row-major), each looked up through `index` when given, as [rows.length, width]. */
export function takeRows(values: Float32Array, width: number, rows: ArrayLike<number>, index?: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let k = 0; k < rows.length; k++) {
    const r = index ? index[rows[k]] : rows[k];
    out.set(values.subarray(r * width, (r + 1) * width), k * width);
  }
  return out;
}
