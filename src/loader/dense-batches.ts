// Ready batches from a pool, built where the pool's bytes were decoded (a read worker, or the
// loader's thread without workers): each batch's rows densified to the genes in use, optionally
// normalised as the model's inputs, with each row's library size. The consumer receives them as
// they are, instead of gathering CSR rows and densifying them itself.
import { blockToCsr } from '../cpu/csr-pool.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import type { NormalizeOptions } from '../cpu/normalize-options.ts';
import { releaseBuffer } from '../source/reusable-buffers.ts';
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
 * A read's batches, built in this thread; the block goes to the caller only with `keepBlock`, else
 * its buffers are released for the next read (nothing else holds them).
 */
export function readBatches(block: RowBlock, request: DenseRequest | undefined, keepBlock: boolean): { block?: RowBlock; dense?: DenseRows[] } {
  const dense = request ? denseBatches(block, request) : undefined;
  if (keepBlock) return { block, ...(dense ? { dense } : {}) };
  for (const values of block.format === 'csr' ? [block.data, block.indices, block.indptr] : [block.values]) releaseBuffer(values.buffer);
  return dense ? { dense } : {};
}
