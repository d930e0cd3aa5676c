// A RowReader is what the loader reads pools through: the source itself, a worker pool, or memory.
import type { AnnDataSource, ObsValues, ReadRowsOptions, RowBlock, RowRun } from '../source/types.ts';
import { createTransferStats, type TransferStats } from './transfer.ts';

/**
 * A pool's rows in run order, as blocks stacked vertically: the shares different read workers
 * return stay separate (batches gather across them) instead of being copied into one block.
 */
export interface PoolRead {
  readonly blocks: readonly RowBlock[];
  readonly obs: Readonly<Record<string, ObsValues>>;
}

export interface RowReader {
  read(runs: readonly RowRun[], options: ReadRowsOptions): Promise<PoolRead>;
  /** Cumulative bytes and requests so far (network vs cache). */
  transfer(): TransferStats;
  close(): Promise<void>;
}

/** Reads straight from a source in this thread; `stats` is updated by the source's store wrappers. */
export function sourceRowReader(source: AnnDataSource, stats: TransferStats = createTransferStats()): RowReader {
  return {
    read: async (runs, options) => {
      const { block, obs } = await source.readRows(runs, options);
      return { blocks: [block], obs };
    },
    transfer: () => ({ ...stats }),
    close: async () => {},
  };
}
