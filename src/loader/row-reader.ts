// A RowReader is what the loader reads pools through: the source itself, a worker pool, or memory.
import type { AnnDataSource, ObsValues, ReadRowsOptions, RowBlock, RowRun } from '../source/types.ts';
import { readBatches, type DenseRequest, type DenseRows } from './dense-batches.ts';
import { createTransferStats, type TransferStats } from './transfer.ts';

export interface PoolReadOptions extends ReadRowsOptions {
  /** Also build these batches (dense-batches.ts) where the pool is decoded: in the read workers. */
  readonly dense?: DenseRequest;
  /** Return the pool's row blocks too (default true); false when the consumer takes `dense` only. */
  readonly blocks?: boolean;
}

/**
 * A pool's rows in run order, as blocks stacked vertically: the shares different read workers
 * return stay separate (batches gather across them) instead of being copied into one block.
 */
export interface PoolRead {
  /** Empty when `blocks: false` was asked. */
  readonly blocks: readonly RowBlock[];
  readonly obs: Readonly<Record<string, ObsValues>>;
  /** One per batch of the `dense` request, in its order. */
  readonly dense?: readonly DenseRows[];
}

export interface RowReader {
  read(runs: readonly RowRun[], options: PoolReadOptions): Promise<PoolRead>;
  /** Cumulative bytes and requests so far (network vs cache). */
  transfer(): TransferStats;
  close(): Promise<void>;
}

/** Reads straight from a source in this thread; `stats` is updated by the source's store wrappers. */
export function sourceRowReader(source: AnnDataSource, stats: TransferStats = createTransferStats()): RowReader {
  return {
    read: async (runs, { dense, blocks = true, ...options }) => {
      const read = await source.readRows(runs, options);
      const { block, dense: batches } = readBatches(read.block, dense, blocks);
      return { blocks: block ? [block] : [], obs: read.obs, ...(batches ? { dense: batches } : {}) };
    },
    transfer: () => ({ ...stats }),
    close: async () => {},
  };
}
