// Two leading principal components of a small-width matrix (the latent space, ~10–40 columns):
// covariance in f64, then power iteration with deflation. Enough for a 2-D view; no library needed.

export function pca2(values: Float32Array, nRows: number, nCols: number): Float32Array {
  const mean = new Float64Array(nCols);
  for (let r = 0; r < nRows; r++) for (let c = 0; c < nCols; c++) mean[c] += values[r * nCols + c] / nRows;
  const cov = new Float64Array(nCols * nCols);
  for (let r = 0; r < nRows; r++) {
    const row = r * nCols;
    for (let i = 0; i < nCols; i++) {
      const di = values[row + i] - mean[i];
      for (let j = i; j < nCols; j++) cov[i * nCols + j] += di * (values[row + j] - mean[j]);
    }
  }
  for (let i = 0; i < nCols; i++) for (let j = 0; j < i; j++) cov[i * nCols + j] = cov[j * nCols + i];
  const components: Float64Array[] = [];
  for (let k = 0; k < Math.min(2, nCols); k++) {
    let v = new Float64Array(nCols).map((_, i) => 1 + i * 0.01);
    for (let iter = 0; iter < 200; iter++) {
      const w = new Float64Array(nCols);
      for (let i = 0; i < nCols; i++) for (let j = 0; j < nCols; j++) w[i] += cov[i * nCols + j] * v[j];
      for (const u of components) {
        const dot = w.reduce((s, x, i) => s + x * u[i], 0);
        for (let i = 0; i < nCols; i++) w[i] -= dot * u[i];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    components.push(v);
  }
  const out = new Float32Array(nRows * 2);
  for (let r = 0; r < nRows; r++) {
    components.forEach((u, k) => {
      let s = 0;
      for (let c = 0; c < nCols; c++) s += (values[r * nCols + c] - mean[c]) * u[c];
      out[r * 2 + k] = s;
    });
  }
  return out;
}
