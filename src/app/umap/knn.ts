// Approximate k nearest neighbours by NN-descent (Dong, Charikar & Li 2011; as umap-learn's
// pynndescent): start from random neighbours, then repeatedly let each point's neighbours meet
// (a neighbour of a neighbour is likely a neighbour) until hardly any list changes. Flat typed
// arrays throughout (100k latent vectors of width 20: 18 s in Chromium, README "UMAP").
import type { Rng } from '../../random.ts';

export interface Neighbours {
  readonly k: number;
  /** [n, k] neighbour rows of each point (itself excluded), nearest first. */
  readonly indices: Int32Array;
  /** [n, k] Euclidean distances, ascending per point. */
  readonly distances: Float32Array;
}

function squaredDistance(data: Float32Array, d: number, a: number, b: number): number {
  let sum = 0;
  const ia = a * d;
  const ib = b * d;
  for (let c = 0; c < d; c++) {
    const t = data[ia + c] - data[ib + c];
    sum += t * t;
  }
  return sum;
}

/**
 * Pushes `item` with `key` into row `row`'s bounded max-heap (the root holds the largest key), unless
 * it is no better than the root or already there. Returns whether the heap changed.
 */
function heapPush(items: Int32Array, keys: Float32Array, flags: Uint8Array | undefined, size: number, row: number, item: number, key: number, flag: number): boolean {
  const base = row * size;
  if (key >= keys[base]) return false;
  for (let s = 0; s < size; s++) if (items[base + s] === item) return false;
  // Replace the root and sift down.
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && keys[base + right] > keys[base + left] ? right : left;
    if (keys[base + child] <= key) break;
    items[base + i] = items[base + child];
    keys[base + i] = keys[base + child];
    if (flags) flags[base + i] = flags[base + child];
    i = child;
  }
  items[base + i] = item;
  keys[base + i] = key;
  if (flags) flags[base + i] = flag;
  return true;
}

/** `k` nearest neighbours of each of `n` rows of width `d` (row-major), NN-descent seeded by `rng`. */
export function nearestNeighbours(data: Float32Array, n: number, d: number, k: number, rng: Rng, maxIterations = Math.max(5, Math.round(Math.log2(n)))): Neighbours {
  if (k >= n) throw new RangeError(`${k} neighbours need more than ${n} points`);
  const indices = new Int32Array(n * k).fill(-1);
  const keys = new Float32Array(n * k).fill(Infinity);
  const isNew = new Uint8Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let tries = 0, filled = 0; filled < k && tries < 4 * k; tries++) {
      const j = rng.int(n);
      if (j !== i && heapPush(indices, keys, isNew, k, i, j, squaredDistance(data, d, i, j), 1)) filled++;
    }
  }
  // Candidates per point: up to maxCandidates new and old neighbours (forward and reverse), sampled
  // by random priority as pynndescent does, so popular points do not blow up the local join.
  const maxCandidates = Math.min(60, 2 * k);
  const newCandidates = new Int32Array(n * maxCandidates);
  const oldCandidates = new Int32Array(n * maxCandidates);
  const newPriority = new Float32Array(n * maxCandidates);
  const oldPriority = new Float32Array(n * maxCandidates);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    newCandidates.fill(-1);
    oldCandidates.fill(-1);
    newPriority.fill(Infinity);
    oldPriority.fill(Infinity);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        const j = indices[i * k + s];
        if (j < 0) continue;
        const priority = rng.next();
        if (isNew[i * k + s]) {
          heapPush(newCandidates, newPriority, undefined, maxCandidates, i, j, priority, 0);
          heapPush(newCandidates, newPriority, undefined, maxCandidates, j, i, priority, 0);
        } else {
          heapPush(oldCandidates, oldPriority, undefined, maxCandidates, i, j, priority, 0);
          heapPush(oldCandidates, oldPriority, undefined, maxCandidates, j, i, priority, 0);
        }
      }
    }
    // A neighbour taken as a new candidate is old from now on.
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        const j = indices[i * k + s];
        if (j < 0 || !isNew[i * k + s]) continue;
        const base = i * maxCandidates;
        for (let c = 0; c < maxCandidates; c++) if (newCandidates[base + c] === j) isNew[i * k + s] = 0;
      }
    }
    let updates = 0;
    for (let i = 0; i < n; i++) {
      const base = i * maxCandidates;
      for (let a = 0; a < maxCandidates; a++) {
        const p = newCandidates[base + a];
        if (p < 0) continue;
        for (let b = a + 1; b < maxCandidates; b++) {
          const q = newCandidates[base + b];
          if (q < 0 || q === p) continue;
          const dist = squaredDistance(data, d, p, q);
          if (heapPush(indices, keys, isNew, k, p, q, dist, 1)) updates++;
          if (heapPush(indices, keys, isNew, k, q, p, dist, 1)) updates++;
        }
        for (let b = 0; b < maxCandidates; b++) {
          const q = oldCandidates[base + b];
          if (q < 0 || q === p) continue;
          const dist = squaredDistance(data, d, p, q);
          if (heapPush(indices, keys, isNew, k, p, q, dist, 1)) updates++;
          if (heapPush(indices, keys, isNew, k, q, p, dist, 1)) updates++;
        }
      }
    }
    if (updates <= 0.001 * n * k) break;
  }
  // Heaps to ascending lists, distances as Euclidean.
  const distances = new Float32Array(n * k);
  const order = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let s = 0; s < k; s++) order[s] = s;
    order.sort((a, b) => keys[base + a] - keys[base + b]);
    const row = Array.from(order, (s) => indices[base + s]);
    const dist = Array.from(order, (s) => Math.sqrt(keys[base + s]));
    indices.set(row, base);
    distances.set(dist, base);
  }
  return { k, indices, distances };
}
