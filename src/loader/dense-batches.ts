// Ready batches from a pool, built where the pool's bytes were decoded (a read worker, or the
// loader's thread without workers): each batch's rows densified to the genes in use, optionally
// normalised as the model's inputs, with each row's library size. The consumer then only places
// the rows, instead of gathering CSR rows and densifying them itself.
import { blockToCsr } from '../cpu/csr-pool.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import type { NormalizeOptions } from '../cpu/normalize-options.ts';
import type { RowBlock } from '../source/types.ts';

/** Which genes a batch holds and how its values are prepared. */
export interface DenseColumns {
  /** var index → output column (−1: not in use), as geneColumnMap makes it. */
  readonly geneMap: Int32Array;
  readonly nSelected: number;
  /** Normalise the values (normalize_total, log1p, scale) as the model's inputs; raw values when absent. */
  readonly normalize?: NormalizeOptions;
  /** With `normalize`: the raw values of the genes in use as well (for count-based losses). */
  readonly counts?: boolean;
}

/** What a reader is asked to build from a pool: the columns, and each batch's pool rows in batch order. */
export interface DenseRequest extends DenseColumns {
  readonly batches: readonly Uint32Array[];
}

/** One batch's rows, [rows, nSelected] row-major. */
export interface DenseRows {
  /** Values of the genes in use: normalised with `normalize`, raw otherwise. */
  readonly x: Float32Array;
  /** Each row's total over all genes (its library size). */
  readonly rowTotals: Float32Array;
  /** Raw values of the genes in use, when `counts` was asked with `normalize`. */
  readonly counts?: Float32Array;
}

const raw: NormalizeOptions = { targetSum: null, log1p: false };

/**
 * The batch's rows `rowIds` of `block`. `totals` are the block's row totals when the block holds
 * only the genes in use already (an in-memory pool; `columns.geneMap` then maps its columns).
 */
export function denseRows(block: RowBlock, rowIds: ArrayLike<number>, columns: DenseColumns, totals?: Float32Array): DenseRows {
  const csr = blockToCsr(block);
  const { geneMap, nSelected, normalize } = columns;
  const values = gatherNormalize(csr, rowIds, geneMap, nSelected, normalize ?? raw, undefined, totals);
  if (!normalize || !columns.counts) return { x: values.x, rowTotals: values.sizeFactors };
  const counts = gatherNormalize(csr, rowIds, geneMap, nSelected, raw, { x: new Float32Array(values.x.length), sizeFactors: values.sizeFactors }, totals);
  return { x: values.x, rowTotals: values.sizeFactors, counts: counts.x };
}

/** Every batch of a request from one block holding all of the pool's rows (in pool order). */
export function denseBatches(block: RowBlock, request: DenseRequest, totals?: Float32Array): DenseRows[] {
  return request.batches.map((rowIds) => denseRows(block, rowIds, request, totals));
}

/**
 * One batch from parts built by several readers: part k holds the batch's rows at `slots[k]` (its
 * rows in order). Rows are copied into place; a single part is the batch as it is.
 */
export function placeRows(parts: readonly DenseRows[], slots: readonly Uint32Array[], nRows: number, nSelected: number): DenseRows {
  const nonEmpty = parts.filter((p) => p.rowTotals.length > 0);
  if (nonEmpty.length === 1 && nonEmpty[0]!.rowTotals.length === nRows) return nonEmpty[0]!;
  const withCounts = parts.some((p) => p.counts);
  const x = new Float32Array(nRows * nSelected);
  const rowTotals = new Float32Array(nRows);
  const counts = withCounts ? new Float32Array(nRows * nSelected) : undefined;
  parts.forEach((part, k) => {
    const at = slots[k]!;
    for (let j = 0; j < at.length; j++) {
      const to = at[j]! * nSelected;
      x.set(part.x.subarray(j * nSelected, (j + 1) * nSelected), to);
      counts?.set(part.counts!.subarray(j * nSelected, (j + 1) * nSelected), to);
      rowTotals[at[j]!] = part.rowTotals[j]!;
    }
  });
  return counts ? { x, rowTotals, counts } : { x, rowTotals };
}

/**
 * A request cut into one per reader, for readers of consecutive shares of the pool's rows
 * (`shareRows` each): the share's rows of every batch, as rows of the share, and where in the batch
 * they go (`slots[share][batch]`), for placeRows.
 */
export function splitRequest(request: DenseRequest, shareRows: readonly number[]): { requests: DenseRequest[]; slots: Uint32Array[][] } {
  const starts = [0];
  for (const n of shareRows) starts.push(starts[starts.length - 1]! + n);
  const perShare = shareRows.map(() => ({ batches: [] as Uint32Array[], slots: [] as Uint32Array[] }));
  const count = new Uint32Array(shareRows.length);
  for (const positions of request.batches) {
    const share = new Uint32Array(positions.length);
    count.fill(0);
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      let k = 0;
      while (k < shareRows.length - 1 && p >= starts[k + 1]!) k++;
      if (p >= starts[shareRows.length]!) throw new RangeError(`batch row ${p} is outside the pool's ${starts[shareRows.length]} rows`);
      share[i] = k;
      count[k]!++;
    }
    const rows = perShare.map((_, k) => new Uint32Array(count[k]!));
    const slots = perShare.map((_, k) => new Uint32Array(count[k]!));
    count.fill(0);
    for (let i = 0; i < positions.length; i++) {
      const k = share[i]!;
      rows[k]![count[k]!] = positions[i]! - starts[k]!;
      slots[k]![count[k]!++] = i;
    }
    perShare.forEach((s, k) => {
      s.batches.push(rows[k]!);
      s.slots.push(slots[k]!);
    });
  }
  const { batches: _all, ...columns } = request;
  return { requests: perShare.map((s) => ({ ...columns, batches: s.batches })), slots: perShare.map((s) => s.slots) };
}
