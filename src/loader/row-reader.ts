// A RowReader is what the loader reads pools through: the source itself, a worker pool, or memory.
import type { AnnDataSource, ReadRowsOptions, RowRead, RowRun } from '../source/types.ts';
import { createTransferStats, type TransferStats } from './transfer.ts';

export interface RowReader {
  read(runs: readonly RowRun[], options: ReadRowsOptions): Promise<RowRead>;
  /** Cumulative bytes and requests so far (network vs cache). */
  transfer(): TransferStats;
  close(): Promise<void>;
}

/** Reads straight from a source in this thread; `stats` is updated by the source's store wrappers. */
export function sourceRowReader(source: AnnDataSource, stats: TransferStats = createTransferStats()): RowReader {
  return {
    read: (runs, options) => source.readRows(runs, options),
    transfer: () => ({ ...stats }),
    close: async () => {},
  };
}
