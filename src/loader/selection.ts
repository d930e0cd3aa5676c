// A selection: the rows a sampler may draw from, as sorted disjoint runs of global row ids
// (O(runs) memory, so a whole 100M-row dataset is one run). Masks, splits and shards make selections.
import type { RowRun } from '../source/types.ts';
import { LoaderParameterError } from './errors.ts';
import { hash32 } from '../random.ts';

export interface Selection {
  readonly runs: readonly RowRun[];
  /** offsets[i] = position of runs[i].start in the selection; offsets[runs.length] = size. */
  readonly offsets: Float64Array;
  readonly size: number;
}

export function selectionFromRuns(runs: readonly RowRun[]): Selection {
  const kept = runs.filter((r) => r.end > r.start);
  const offsets = new Float64Array(kept.length + 1);
  for (let i = 0; i < kept.length; i++) {
    const r = kept[i]!;
    if (i > 0 && r.start < kept[i - 1]!.end) throw new RangeError('selection runs must be sorted and disjoint');
    offsets[i + 1] = offsets[i]! + (r.end - r.start);
  }
  return { runs: kept, offsets, size: offsets[kept.length]! };
}

export function allRows(nRows: number): Selection {
  return selectionFromRuns([{ start: 0, end: nRows }]);
}

/** Rows where mask[row] is non-zero. */
export function selectionFromMask(mask: Uint8Array): Selection {
  const runs: RowRun[] = [];
  let start = -1;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      runs.push({ start, end: i });
      start = -1;
    }
  }
  if (start >= 0) runs.push({ start, end: mask.length });
  return selectionFromRuns(runs);
}

/** Sorted global row ids (for tests and small selections). */
export function selectionRows(selection: Selection): Uint32Array {
  return rowsAt(selection, 0, selection.size);
}

function runIndexOf(selection: Selection, position: number): number {
  const { offsets } = selection;
  let lo = 0;
  let hi = selection.runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= position) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Global row ids at selection positions [from, to). */
export function rowsAt(selection: Selection, from: number, to: number): Uint32Array {
  const out = new Uint32Array(Math.max(0, to - from));
  if (out.length === 0) return out;
  let k = runIndexOf(selection, from);
  let pos = from;
  let o = 0;
  while (pos < to) {
    const run = selection.runs[k]!;
    const base = run.start - selection.offsets[k]!;
    const stop = Math.min(to, selection.offsets[k + 1]!);
    for (; pos < stop; pos++) out[o++] = base + pos;
    k++;
  }
  return out;
}

/** The selection restricted to positions [from, to), as a selection. */
export function sliceSelection(selection: Selection, from: number, to: number): Selection {
  if (from >= to) return selectionFromRuns([]);
  const runs: RowRun[] = [];
  for (let k = runIndexOf(selection, from); k < selection.runs.length && selection.offsets[k]! < to; k++) {
    const run = selection.runs[k]!;
    const base = run.start - selection.offsets[k]!;
    runs.push({
      start: base + Math.max(from, selection.offsets[k]!),
      end: base + Math.min(to, selection.offsets[k + 1]!),
    });
  }
  return selectionFromRuns(runs);
}

export function intersectSelections(a: Selection, b: Selection): Selection {
  const runs: RowRun[] = [];
  let i = 0;
  let j = 0;
  while (i < a.runs.length && j < b.runs.length) {
    const x = a.runs[i]!;
    const y = b.runs[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (start < end) runs.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return selectionFromRuns(runs);
}

export interface SplitOptions {
  /** Fraction of rows that go to validation, in [0, 1). */
  readonly validationFraction: number;
  readonly seed: number;
  /**
   * Rows decided together (default 1: each row on its own). With a pre-shuffled store a block of
   * e.g. 64 rows keeps the validation set contiguous on disk while remaining a random sample.
   */
  readonly blockRows?: number;
}

/**
 * Seeded train/validation split. A row's side depends only on (seed, its block), never on the mask
 * or on the order of evaluation, so the same seed gives the same split under any filter.
 */
export function splitSelection(selection: Selection, options: SplitOptions): { train: Selection; validation: Selection } {
  const { validationFraction: f, seed } = options;
  const blockRows = options.blockRows ?? 1;
  if (!(f >= 0 && f < 1)) throw new LoaderParameterError('validationFraction', `must be in [0, 1), got ${f}`);
  if (!Number.isSafeInteger(blockRows) || blockRows < 1) {
    throw new LoaderParameterError('blockRows', `must be a positive integer, got ${blockRows}`);
  }
  const threshold = f * 4294967296;
  const train: RowRun[] = [];
  const validation: RowRun[] = [];
  const push = (list: RowRun[], start: number, end: number): void => {
    const last = list[list.length - 1];
    if (last && last.end === start) list[list.length - 1] = { start: last.start, end };
    else list.push({ start, end });
  };
  for (const run of selection.runs) {
    let s = run.start;
    while (s < run.end) {
      const block = Math.floor(s / blockRows);
      const e = Math.min(run.end, (block + 1) * blockRows);
      push(hash32(seed, block) < threshold ? validation : train, s, e);
      s = e;
    }
  }
  return { train: selectionFromRuns(train), validation: selectionFromRuns(validation) };
}

/**
 * Disjoint contiguous shard `index` of `count` (workers, ranks): whole chunks of `chunkSize`
 * positions are dealt out so that shard sizes differ by at most one chunk.
 */
export function shardSelection(selection: Selection, index: number, count: number, chunkSize: number): Selection {
  if (!Number.isSafeInteger(count) || count < 1) throw new LoaderParameterError('shardCount', `must be a positive integer, got ${count}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new LoaderParameterError('shardIndex', `must be an integer in [0, ${count - 1}], got ${index}`);
  }
  const nChunks = Math.ceil(selection.size / chunkSize);
  const from = Math.floor((index * nChunks) / count) * chunkSize;
  const to = Math.min(selection.size, Math.floor(((index + 1) * nChunks) / count) * chunkSize);
  return sliceSelection(selection, from, to);
}
