// UMAP's fuzzy simplicial set (McInnes, Healy & Melville 2018, §3; umap-learn's
// fuzzy_simplicial_set): each point's neighbour distances become memberships exp(−(d − ρ)/σ), σ
// found by bisection so they sum to log2(k); the two directions of an edge join as a fuzzy union
// a + b − ab. Edges come out in both directions, as the layout samples each one from its head.
import type { Neighbours } from './knn.ts';

const smoothTolerance = 1e-5;
const minDistanceScale = 1e-3;

export interface FuzzyGraph {
  readonly n: number;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly weights: Float32Array;
}

/** ρ (distance to the nearest neighbour) and σ of each point, as umap-learn's smooth_knn_dist with local connectivity 1. */
function smoothDistances(nb: Neighbours, n: number): { rho: Float32Array; sigma: Float32Array } {
  const { k, distances } = nb;
  // log2 of the neighbour count umap counts, which includes the point itself.
  const target = Math.log2(k + 1);
  const rho = new Float32Array(n);
  const sigma = new Float32Array(n);
  let meanAll = 0;
  for (let i = 0; i < n * k; i++) meanAll += distances[i] / (n * k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let first = 0;
    for (let s = 0; s < k; s++) if (distances[base + s] > 0) { first = distances[base + s]; break; }
    rho[i] = first;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let iter = 0; iter < 64; iter++) {
      let sum = 0;
      for (let s = 0; s < k; s++) {
        const t = distances[base + s] - rho[i];
        sum += t > 0 ? Math.exp(-t / mid) : 1;
      }
      if (Math.abs(sum - target) < smoothTolerance) break;
      if (sum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    let mean = 0;
    for (let s = 0; s < k; s++) mean += distances[base + s] / k;
    sigma[i] = Math.max(mid, minDistanceScale * (rho[i] > 0 ? mean : meanAll));
  }
  return { rho, sigma };
}

export function fuzzySimplicialSet(nb: Neighbours, n: number): FuzzyGraph {
  const { k, indices, distances } = nb;
  const { rho, sigma } = smoothDistances(nb, n);
  const member = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const t = distances[i * k + s] - rho[i];
      member[i * k + s] = t <= 0 ? 1 : Math.exp(-t / sigma[i]);
    }
  }
  // Each row holds k entries, so the reverse direction is a scan of k.
  const reverse = (i: number, j: number): number => {
    for (let s = 0; s < k; s++) if (indices[j * k + s] === i) return member[j * k + s];
    return -1;
  };
  const head = new Int32Array(2 * n * k);
  const tail = new Int32Array(2 * n * k);
  const weights = new Float32Array(2 * n * k);
  let edges = 0;
  const edge = (from: number, to: number, w: number) => {
    head[edges] = from;
    tail[edges] = to;
    weights[edges++] = w;
  };
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const j = indices[i * k + s];
      if (j < 0 || j === i) continue;
      const a = member[i * k + s];
      const back = reverse(i, j);
      const b = Math.max(0, back);
      const w = a + b - a * b;
      if (w <= 0) continue;
      edge(i, j, w);
      // j does not list i: this is the edge's only entry, so it is added for j as well.
      if (back < 0) edge(j, i, w);
    }
  }
  return { n, head: head.slice(0, edges), tail: tail.slice(0, edges), weights: weights.slice(0, edges) };
}
