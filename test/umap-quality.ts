// How well a 2-D layout keeps its input's structure, for the UMAP test and bench/umap.ts: over every
// stride-th cell, the share of its 15 nearest cells in the layout that share its cluster, and that
// are among its 15 nearest in the input (exact, so O(probes × n)).
import { createRng } from '../src/random.ts';

/** Gaussian blobs: cell i in cluster i % clusters, centred `gap` along its own axis. */
export function blobs(n: number, width: number, clusters: number, gap: number, seed = 1): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * width);
  for (let i = 0; i < n; i++) for (let d = 0; d < width; d++) x[i * width + d] = (d === i % clusters ? gap : 0) + rng.normal();
  return x;
}

export const squaredDistance = (x: Float32Array, w: number, i: number, j: number) => {
  let s = 0;
  for (let d = 0; d < w; d++) s += (x[i * w + d] - x[j * w + d]) ** 2;
  return s;
};

/** The exact `k` nearest other rows of row `i` by `distance`. */
export const exactNeighbours = (distance: (j: number) => number, n: number, i: number, k: number) =>
  Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => distance(a) - distance(b)).slice(0, k);

export function neighbourhoods(x: Float32Array, w: number, xy: Float32Array, n: number, clusters: number, probes: number): { sameCluster: number; keptNeighbours: number } {
  const stride = Math.max(1, Math.floor(n / probes));
  let same = 0, kept = 0, count = 0;
  for (let i = 0; i < n; i += stride, count++) {
    const low = exactNeighbours((j) => (xy[2 * i] - xy[2 * j]) ** 2 + (xy[2 * i + 1] - xy[2 * j + 1]) ** 2, n, i, 15);
    const high = new Set(exactNeighbours((j) => squaredDistance(x, w, i, j), n, i, 15));
    same += low.filter((j) => j % clusters === i % clusters).length / 15;
    kept += low.filter((j) => high.has(j)).length / 15;
  }
  return { sameCluster: same / count, keptNeighbours: kept / count };
}
