// Samplers decide, per epoch, which rows each pool reads and how the pool is cut into batches.
// They are pure (no I/O): the loader turns a PoolPlan into runs, reads them, and gathers batches.
//
// Every sampler yields pools of about chunkSize × preloadNChunks rows. Rows of one chunk are
// consecutive positions of the selection, so on a store with contiguous selections a pool is
// preloadNChunks contiguous reads — near-random batches at near-sequential I/O cost (annbatch).
import { LoaderParameterError } from './errors.ts';
import type { SamplingParameters } from './params.ts';
import { createRng, permutation, shuffleInPlace, type Rng } from '../random.ts';
import { rowsAt, type Selection } from './selection.ts';

export interface PoolPlan {
  /** Sorted unique global row ids the pool reads. */
  readonly rows: Uint32Array;
  /** Each batch as positions into `rows` (a row may repeat when sampling with replacement). */
  readonly batches: readonly Uint32Array[];
}

export interface Sampler {
  /** The built-in samplers' names; a custom sampler names itself. */
  readonly kind: string;
  /** Batches one epoch yields. */
  readonly batchesPerEpoch: number;
  /** The plans of epoch `epoch` (0-based); the same epoch and seed always give the same plans. */
  pools(epoch: number): Iterable<PoolPlan>;
}

/** Turns an ordered row list (may repeat) into sorted unique rows plus positions. */
export function planFromRows(order: Uint32Array, batchSize: number): PoolPlan {
  const rows = Uint32Array.from(order).sort();
  let n = 0;
  for (let i = 0; i < rows.length; i++) if (i === 0 || rows[i] !== rows[n - 1]) rows[n++] = rows[i]!;
  const unique = rows.slice(0, n);
  const positions = new Uint32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const r = order[i]!;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (unique[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    positions[i] = lo;
  }
  const batches: Uint32Array[] = [];
  for (let s = 0; s < positions.length; s += batchSize) batches.push(positions.subarray(s, Math.min(positions.length, s + batchSize)));
  return { rows: unique, batches };
}

/**
 * Cuts a stream of per-pool row lists (chunk by chunk, unshuffled) into whole batches, shuffling
 * each pool's rows with `rng`. Rows that do not fill a batch at the end of a pool (only possible
 * next to the short last chunk) move to the next pool, so every batch but the epoch's last has
 * exactly batchSize rows; that last one is dropped with dropLast. The carried rows are cut before
 * the shuffle, from the end of the list: a few contiguous runs that no earlier pool read. (Cut
 * after it, they were a random subset of the pool's rows, carried on through every later pool: each
 * later read was thousands of runs over chunks already read — twice the bytes and the memory.)
 */
function* assemble(poolOrders: Iterable<Uint32Array>, params: SamplingParameters, rng: Rng | null): Iterable<PoolPlan> {
  const { batchSize, dropLast } = params;
  let carry = new Uint32Array(0);
  for (const order of poolOrders) {
    const all = new Uint32Array(carry.length + order.length);
    all.set(carry);
    all.set(order, carry.length);
    const whole = all.length - (all.length % batchSize);
    carry = all.slice(whole);
    if (whole > 0) yield planFromRows(rng ? shuffleInPlace(all.subarray(0, whole), rng) : all.subarray(0, whole), batchSize);
  }
  if (carry.length > 0 && !dropLast) yield planFromRows(rng ? shuffleInPlace(carry, rng) : carry, batchSize);
}

function batchCount(rows: number, params: SamplingParameters): number {
  return params.dropLast ? Math.floor(rows / params.batchSize) : Math.ceil(rows / params.batchSize);
}

function checkNotEmpty(selection: Selection): void {
  if (selection.size === 0) throw new LoaderParameterError('selection', 'no rows to sample from (the mask, split or shard selects none)');
}

/** Chunk `c` of the selection, in storage order. */
function chunkRows(selection: Selection, chunkSize: number, c: number): Uint32Array {
  return rowsAt(selection, c * chunkSize, Math.min(selection.size, (c + 1) * chunkSize));
}

/** Each pool's rows, chunk after chunk in `chunkOrder`, not yet shuffled (see assemble). */
function* chunkedPools(selection: Selection, params: SamplingParameters, chunkOrder: Uint32Array): Iterable<Uint32Array> {
  const { chunkSize, preloadNChunks } = params;
  for (let p = 0; p < chunkOrder.length; p += preloadNChunks) {
    const parts = Array.from(chunkOrder.subarray(p, p + preloadNChunks), (c) => chunkRows(selection, chunkSize, c));
    const order = new Uint32Array(parts.reduce((n, a) => n + a.length, 0));
    let o = 0;
    for (const part of parts) {
      order.set(part, o);
      o += part.length;
    }
    yield order;
  }
}

/**
 * annbatch's random sampler: each epoch visits every chunk once in random order (no replacement);
 * a pool is preloadNChunks chunks, shuffled as a whole, then cut into batches. With
 * shuffle = false it is the sequential sampler.
 */
export function randomChunkSampler(selection: Selection, params: SamplingParameters): Sampler {
  checkNotEmpty(selection);
  const nChunks = Math.ceil(selection.size / params.chunkSize);
  return {
    kind: params.shuffle ? 'random' : 'sequential',
    batchesPerEpoch: batchCount(selection.size, params),
    pools(epoch) {
      if (!params.shuffle) return assemble(chunkedPools(selection, params, permutationIdentity(nChunks)), params, null);
      const rng = createRng(params.seed, epoch);
      return assemble(chunkedPools(selection, params, permutation(nChunks, rng)), params, rng);
    },
  };
}

function permutationIdentity(n: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}

/** Rows in storage order, chunk by chunk, batches in order (shuffle is ignored). */
export function sequentialSampler(selection: Selection, params: SamplingParameters): Sampler {
  return randomChunkSampler(selection, { ...params, shuffle: false });
}

/**
 * Random with replacement: an epoch draws as many chunks as the selection has, each uniformly
 * with replacement, so a chunk can appear several times (its rows repeat in the pool's batches).
 */
export function replacementSampler(selection: Selection, params: SamplingParameters): Sampler {
  checkNotEmpty(selection);
  const nChunks = Math.ceil(selection.size / params.chunkSize);
  return {
    kind: 'replacement',
    batchesPerEpoch: batchCount(selection.size, params),
    pools(epoch) {
      const rng = createRng(params.seed, epoch);
      const order = new Uint32Array(nChunks);
      for (let i = 0; i < nChunks; i++) order[i] = rng.int(nChunks);
      return assemble(chunkedPools(selection, params, order), params, rng);
    },
  };
}

export interface BalancedOptions {
  /** Category code of every row of the dataset (−1 = missing: never sampled). */
  readonly codes: Int32Array;
  readonly categories: readonly string[];
  /** obs column name, for messages. */
  readonly column: string;
}

/**
 * Condition-balanced sampling: every batch holds ⌊B/K⌋ or ⌈B/K⌉ rows of each of the K categories
 * present in the selection (trVAE's MMD compares conditions inside every batch).
 *
 * Chunked I/O is kept with one chunk stream per category: the category's rows (in storage order)
 * are cut into chunks of chunkSize, visited in a random order that is reshuffled whenever the
 * stream wraps. A pool takes from each stream the rows its batches need, so a pool is about
 * preloadNChunks chunks split evenly across categories. Minority categories wrap more often
 * (they are oversampled; that is the point). When a store is grouped by category the chunks are
 * contiguous reads; on a fully shuffled store a category's chunk spans ~chunkSize / share rows,
 * which the source's range coalescing still reads as a few large requests.
 * One epoch is as many batches as the selection has rows / batchSize.
 */
export function balancedSampler(selection: Selection, params: SamplingParameters, options: BalancedOptions): Sampler {
  checkNotEmpty(selection);
  const { codes, categories, column } = options;
  const all = rowsAt(selection, 0, selection.size);
  const counts = new Float64Array(categories.length);
  for (const r of all) {
    const c = codes[r];
    if (c === undefined) throw new LoaderParameterError('balanceBy', `obs column "${column}" has ${codes.length} rows, the selection reaches row ${r}`);
    if (c >= categories.length) throw new LoaderParameterError('balanceBy', `obs column "${column}" has code ${c} but only ${categories.length} categories`);
    if (c >= 0) counts[c]!++;
  }
  const present = [...counts.keys()].filter((c) => counts[c]! > 0);
  const K = present.length;
  if (K === 0) throw new LoaderParameterError('balanceBy', `obs column "${column}" is missing for every selected row`);
  if (params.batchSize < K) {
    throw new LoaderParameterError('batchSize', `must be at least the number of categories of "${column}" (${K}) for balanced batches`);
  }
  const perCategory = present.map((c) => {
    const rows = new Uint32Array(counts[c]!);
    let o = 0;
    for (const r of all) if (codes[r] === c) rows[o++] = r;
    return rows;
  });
  const usable = perCategory.reduce((n, a) => n + a.length, 0);
  const batchesPerEpoch = params.dropLast ? Math.floor(usable / params.batchSize) : Math.ceil(usable / params.batchSize);
  const poolBatches = (params.chunkSize * params.preloadNChunks) / params.batchSize;
  return {
    kind: 'balanced',
    batchesPerEpoch,
    *pools(epoch) {
      const rng = createRng(params.seed, epoch);
      const streams = perCategory.map((rows) => categoryStream(rows, params.chunkSize, params.shuffle ? rng : null));
      for (let b0 = 0; b0 < batchesPerEpoch; b0 += poolBatches) {
        const nb = Math.min(poolBatches, batchesPerEpoch - b0);
        // quota[b][k]: rows of category k in batch b; the remainder rotates across categories.
        const base = Math.floor(params.batchSize / K);
        const extra = params.batchSize % K;
        const need = new Array<number>(K).fill(0);
        const quotaOf = (b: number, k: number): number => base + ((((k - (b0 + b) * extra) % K) + K) % K < extra ? 1 : 0);
        for (let b = 0; b < nb; b++) for (let k = 0; k < K; k++) need[k]! += quotaOf(b, k);
        const taken = streams.map((s, k) => {
          const rows = s.take(need[k]!);
          return params.shuffle ? shuffleInPlace(rows, rng) : rows;
        });
        const order = new Uint32Array(nb * params.batchSize);
        const cursor = new Array<number>(K).fill(0);
        for (let b = 0; b < nb; b++) {
          const start = b * params.batchSize;
          let o = start;
          for (let k = 0; k < K; k++) {
            const q = quotaOf(b, k);
            order.set(taken[k]!.subarray(cursor[k]!, cursor[k]! + q), o);
            cursor[k]! += q;
            o += q;
          }
          if (params.shuffle) shuffleInPlace(order.subarray(start, o), rng);
        }
        yield planFromRows(order, params.batchSize);
      }
    },
  };
}

/** An endless stream of one category's rows, chunk by chunk, chunk order reshuffled per wrap. */
function categoryStream(rows: Uint32Array, chunkSize: number, rng: Rng | null): { take(n: number): Uint32Array } {
  const nChunks = Math.ceil(rows.length / chunkSize);
  let order = rng ? permutation(nChunks, rng) : permutationIdentity(nChunks);
  let chunk = 0;
  let offset = 0;
  return {
    take(n) {
      const out = new Uint32Array(n);
      let o = 0;
      while (o < n) {
        if (chunk === nChunks) {
          order = rng ? permutation(nChunks, rng) : order;
          chunk = 0;
        }
        const c = order[chunk]!;
        const from = c * chunkSize + offset;
        const to = Math.min(rows.length, (c + 1) * chunkSize);
        const k = Math.min(n - o, to - from);
        out.set(rows.subarray(from, from + k), o);
        o += k;
        offset += k;
        if (from + k === to) {
          chunk++;
          offset = 0;
        }
      }
      return out;
    },
  };
}
