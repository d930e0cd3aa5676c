// A seeded 2-D UMAP of row vectors (umap-js), run to completion in the calling thread: the
// embedding worker calls it, so the page never waits on it. Progress is reported per epoch; a
// caller cancels by terminating the worker. The same values and seed give the same layout.
import { UMAP } from 'umap-js';
import { EmbeddingError } from './embedding-error.ts';
import { createRng } from '../random.ts';

export type UmapProgress = { readonly phase: 'neighbours'; readonly cells: number } | { readonly phase: 'layout'; readonly epoch: number; readonly epochs: number };

export interface UmapOptions {
  readonly seed?: number;
  /** Neighbours per cell (umap-js and scanpy default: 15; fewer when there are fewer cells). */
  readonly nNeighbors?: number;
  readonly minDist?: number;
  /** Optimisation epochs; default umap-js's choice by size (500 up to 2,500 cells … 200 above 7,500). */
  readonly epochs?: number;
  readonly onProgress?: (progress: UmapProgress) => void;
}

/** UMAP of `n` rows of `width` values (row-major) → [n, 2] interleaved x, y. */
export function umapLayout(values: Float32Array, n: number, width: number, options: UmapOptions = {}): Float32Array {
  if (!Number.isInteger(n) || !Number.isInteger(width) || n < 0 || width < 1 || values.length !== n * width) {
    throw new EmbeddingError('invalid-argument', `UMAP input: ${values.length} values are not ${n} cells × ${width} dimensions`);
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new EmbeddingError('non-finite', `UMAP input: cell ${Math.floor(bad / width)} has a non-finite value (${values[bad]}) in dimension ${bad % width}`);
  const out = new Float32Array(2 * n);
  // UMAP needs at least a cell and two neighbours; fewer cells are laid out as they are (first two dimensions).
  if (n < 4) {
    for (let i = 0; i < n; i++) {
      out[2 * i] = values[i * width];
      out[2 * i + 1] = width > 1 ? values[i * width + 1] : 0;
    }
    return out;
  }
  const rng = createRng(options.seed ?? 0, 0x75e4);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(options.nNeighbors ?? 15, n - 1)),
    minDist: options.minDist ?? 0.1,
    nEpochs: options.epochs,
    random: rng.next,
  });
  const rows = Array.from({ length: n }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width)));
  options.onProgress?.({ phase: 'neighbours', cells: n });
  const epochs = umap.initializeFit(rows);
  for (let epoch = 0; epoch < epochs; ) {
    epoch = umap.step();
    options.onProgress?.({ phase: 'layout', epoch, epochs });
  }
  const embedding = umap.getEmbedding();
  for (let i = 0; i < n; i++) {
    out[2 * i] = embedding[i][0];
    out[2 * i + 1] = embedding[i][1];
  }
  return out;
}
