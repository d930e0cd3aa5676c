// A pool of read workers: a pool's runs are split into one share per worker (balanced by rows),
// read in parallel, and stacked back in order (not copied into one block). Buffers come back
// transferred, not copied.
import type * as Comlink from 'comlink';
import type { ObsValues, RowRun } from '../source/types.ts';
import { concatObs } from './blocks.ts';
import { placeRows, splitRequest } from './dense-batches.ts';
import { LoaderParameterError } from './errors.ts';
import type { LiveMemory, ReadWorkerApi, ReadWorkerInput, ReadWorkerOpenOptions } from './read-worker.ts';
import type { PoolRead, RowReader } from './row-reader.ts';
import { addTransferStats, createTransferStats, type TransferStats } from './transfer.ts';

export interface SpawnedWorker {
  readonly api: Comlink.Remote<ReadWorkerApi>;
  terminate(): void;
}

export interface WorkerPoolOptions {
  /** The store each worker opens: URL, (in Node) path, or OPFS store. */
  readonly input: ReadWorkerInput;
  readonly size: number;
  readonly open?: ReadWorkerOpenOptions;
  readonly spawn: () => SpawnedWorker;
}

/** Splits sorted runs into `n` consecutive shares of about equal rows (a run may be cut). */
export function splitRuns(runs: readonly RowRun[], n: number): RowRun[][] {
  const total = runs.reduce((s, r) => s + r.end - r.start, 0);
  const target = Math.ceil(total / n);
  const shares: RowRun[][] = [[]];
  let filled = 0;
  for (const run of runs) {
    let start = run.start;
    while (start < run.end) {
      if (filled === target && shares.length < n) {
        shares.push([]);
        filled = 0;
      }
      const take = Math.min(run.end - start, shares.length < n ? target - filled : run.end - start);
      shares[shares.length - 1]!.push({ start, end: start + take });
      filled += take;
      start += take;
    }
  }
  return shares.filter((s) => s.length > 0);
}

export interface WorkerPool extends RowReader {
  /** Each worker's live memory, after a full GC where `collect` is set and the runtime allows it. */
  memory(collect?: boolean): Promise<LiveMemory[]>;
}

export async function openWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  if (!Number.isSafeInteger(options.size) || options.size < 1) throw new LoaderParameterError('workers', `must be a positive integer, got ${options.size}`);
  const workers = Array.from({ length: options.size }, () => options.spawn());
  try {
    await Promise.all(workers.map((w) => w.api.open(options.input, options.open ?? {})));
  } catch (e) {
    workers.forEach((w) => w.terminate());
    throw e;
  }
  // each worker's cumulative counters as last reported; replies may arrive out of order, so keep the largest
  const perWorker = workers.map(() => createTransferStats());
  const note = (i: number, t: TransferStats): void => {
    const w = perWorker[i]!;
    w.networkBytes = Math.max(w.networkBytes, t.networkBytes);
    w.networkRequests = Math.max(w.networkRequests, t.networkRequests);
    w.cacheBytes = Math.max(w.cacheBytes, t.cacheBytes);
    w.cacheRequests = Math.max(w.cacheRequests, t.cacheRequests);
  };
  let closed = false;
  return {
    async read(runs, readOptions): Promise<PoolRead> {
      if (closed) throw new Error('the read worker pool is closed');
      readOptions.signal?.throwIfAborted();
      const shares = splitRuns(runs, workers.length);
      const { signal: _signal, dense, ...plain } = readOptions;
      // each worker builds its share's rows of every batch; here they are only put in place
      const split = dense && splitRequest(dense, shares.map((share) => share.reduce((n, r) => n + r.end - r.start, 0)));
      const parts = await Promise.all(shares.map((share, i) => workers[i]!.api.read(share, split ? { ...plain, dense: split.requests[i] } : plain)));
      readOptions.signal?.throwIfAborted();
      parts.forEach((p, i) => note(i, p.transfer));
      const obs: Record<string, ObsValues> = {};
      for (const name of Object.keys(parts[0]?.read.obs ?? {})) obs[name] = concatObs(parts.map((p) => p.read.obs[name]!));
      const blocks = parts.flatMap((p) => (p.read.block ? [p.read.block] : []));
      if (!dense || !split) return { blocks, obs };
      const batches = dense.batches.map((rows, b) => placeRows(parts.map((p) => p.dense![b]!), split.slots.map((s) => s[b]!), rows.length, dense.nSelected));
      return { blocks, obs, dense: batches };
    },
    transfer: () => {
      const total = createTransferStats();
      for (const w of perWorker) addTransferStats(total, w);
      return total;
    },
    memory: (collect = false) => Promise.all(workers.map((w) => w.api.memory(collect))),
    async close() {
      if (closed) return; // a terminated worker would never answer a second close
      closed = true;
      await Promise.all(workers.map((w) => w.api.close().catch(() => {})));
      workers.forEach((w) => w.terminate());
    },
  };
}
