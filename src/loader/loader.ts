// The loader: sampler → pools of chunks → runs → reader → in-pool gather → batches.
// Pool k+1 (and more, with `prefetch`) is read while the trainer consumes pool k, and across epochs
// when the consumer says which epoch comes next.
import type { AnnDataSource, ObsValues, RowBlock } from '../source/types.ts';
import type { NormalizeOptions } from '../cpu/normalize-options.ts';
import { gatherObs, gatherRows, geneColumnMap, rowsToRuns } from './blocks.ts';
import type { DenseColumns } from './dense-batches.ts';
import { LoaderParameterError } from './errors.ts';
import { estimateMemoryBytes, loadIntoMemory } from './memory.ts';
import { resolveSamplingParameters, type SamplingParameters } from './params.ts';
import { evaluatePredicate, parsePredicate, predicateColumns, type RowPredicate } from './predicate.ts';
import { sourceRowReader, type RowReader } from './row-reader.ts';
import { balancedSampler, randomChunkSampler, replacementSampler, sequentialSampler, type PoolPlan, type Sampler } from './samplers.ts';
import { allRows, intersectSelections, selectionFromMask, shardSelection, splitSelection, type Selection } from './selection.ts';
import type { TransferStats } from './transfer.ts';

export type SamplerKind = 'random' | 'sequential' | 'replacement' | 'balanced';

/** Makes a sampler over the rows the loader selected (after masks, splits, shards and filters). */
export type SamplerFactory = (selection: Selection, params: SamplingParameters) => Sampler;

export interface LoaderOptions extends Partial<Omit<SamplingParameters, 'batchSize'>> {
  readonly batchSize: number;
  /**
   * Which rows each pool holds: a built-in sampler by name (default 'random'; 'sequential' when
   * shuffle is false), or any sampler, made from the selected rows and the sampling parameters.
   */
  readonly sampler?: SamplerKind | SamplerFactory;
  /** obs column (categorical) whose categories every batch holds in equal shares; implies 'balanced'. */
  readonly balanceBy?: string;
  /** Keep only rows where this predicate holds (typed form or text, e.g. "not (cell_type == NK)"). */
  readonly filter?: RowPredicate | string;
  /** Seeded train/validation split; `use` picks the side this loader reads. */
  readonly split?: { readonly validationFraction: number; readonly use: 'train' | 'validation'; readonly seed?: number; readonly blockRows?: number };
  /** Disjoint shard for a worker or rank. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** obs columns returned with each batch. */
  readonly obs?: readonly string[];
  /** Read this layer instead of X. */
  readonly layer?: string;
  /**
   * var indices: each batch also carries these columns as a dense float32 [rows × genes] matrix
   * (`dense`) and each row's total over all genes (`rowTotals`), built by the reader where the
   * pool is decoded (in the read workers), so the consumer receives ready batches.
   */
  readonly genes?: ArrayLike<number>;
  /** With `genes`: `dense` holds the values normalised as the model's inputs (normalize_total, log1p, scale). */
  readonly normalize?: NormalizeOptions;
  /** With `normalize`: the raw values of `genes` as well (`counts`, for count-based losses). */
  readonly counts?: boolean;
  /**
   * Batches carry `X`, their rows over all genes (default true). With `genes`, false skips the
   * gather of CSR rows in this thread when the consumer needs the dense genes only.
   */
  readonly returnX?: boolean;
  /** Pools read ahead of the one being consumed (default 1; 0 = no overlap, as annbatch). */
  readonly prefetch?: number;
  /** true / false force; 'auto' (default) loads into memory when the selection fits memoryBudgetBytes. */
  readonly inMemory?: boolean | 'auto';
  /** Default 512 MiB. */
  readonly memoryBudgetBytes?: number;
  /** How pools are read (default: the source, in this thread). The caller closes a reader it gives. */
  readonly reader?: RowReader;
  readonly signal?: AbortSignal;
}

export interface LoaderBatch {
  readonly epoch: number;
  /** Batch number within the epoch. */
  readonly index: number;
  readonly nRows: number;
  /** The batch's rows over all genes (unless returnX is false). */
  readonly X?: RowBlock;
  /** Selected genes, dense float32 row-major (when `genes` was given); normalised with `normalize`. */
  readonly dense?: Float32Array;
  /** Each row's total over all genes (when `genes` was given). */
  readonly rowTotals?: Float32Array;
  /** Raw values of the selected genes (with `normalize` and `counts`). */
  readonly counts?: Float32Array;
  readonly obs: Readonly<Record<string, ObsValues>>;
  /** Global row ids (when returnIndex). */
  readonly rows?: Uint32Array;
}

export interface LoaderProgress extends TransferStats {
  readonly epoch: number;
  readonly batches: number;
  readonly batchesPerEpoch: number;
  readonly cells: number;
  readonly seconds: number;
  readonly cellsPerSecond: number;
  readonly inMemory: boolean;
}

export interface EpochOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LoaderProgress) => void;
  /**
   * The epoch the consumer asks for after this one: its first pools are read while this epoch's
   * last pools are consumed (within the same 1 + prefetch pools), so the next epoch does not start
   * by waiting. A read ahead that the next call does not use is dropped (close() stops it).
   */
  readonly thenEpoch?: number;
}

export interface Loader {
  readonly params: SamplingParameters;
  readonly sampler: Sampler;
  readonly selection: Selection;
  readonly inMemory: boolean;
  epoch(epoch: number, options?: EpochOptions): AsyncGenerator<LoaderBatch>;
  transfer(): TransferStats;
  close(): Promise<void>;
}

async function resolveSelection(source: AnnDataSource, options: LoaderOptions, params: SamplingParameters): Promise<Selection> {
  let selection = allRows(source.nObs);
  if (options.filter !== undefined) {
    const predicate = typeof options.filter === 'string' ? parsePredicate(options.filter) : options.filter;
    const names = predicateColumns(predicate);
    const columns = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readObsColumn(source, n, 'filter', options.signal)] as const)));
    selection = selectionFromMask(evaluatePredicate(predicate, columns, source.nObs));
  }
  if (options.split) {
    const { validationFraction, use, seed, blockRows } = options.split;
    if (use !== 'train' && use !== 'validation') throw new LoaderParameterError('split.use', `must be "train" or "validation", got ${String(use)}`);
    const parts = splitSelection(allRows(source.nObs), { validationFraction, seed: seed ?? params.seed, blockRows });
    selection = intersectSelections(selection, parts[use]);
  }
  if (options.shard) selection = shardSelection(selection, options.shard.index, options.shard.count, params.chunkSize);
  return selection;
}

async function readObsColumn(source: AnnDataSource, name: string, parameter: string, signal?: AbortSignal): Promise<ObsValues> {
  if (!source.obsColumns.some((c) => c.name === name)) {
    throw new LoaderParameterError(parameter, `obs has no column "${name}"; available: ${source.obsColumns.map((c) => c.name).join(', ')}`);
  }
  return source.readObs(name, signal);
}

async function makeSampler(source: AnnDataSource, selection: Selection, options: LoaderOptions, params: SamplingParameters): Promise<Sampler> {
  if (typeof options.sampler === 'function') return options.sampler(selection, params);
  const kind = options.balanceBy !== undefined ? 'balanced' : (options.sampler ?? (params.shuffle ? 'random' : 'sequential'));
  switch (kind) {
    case 'random':
      return randomChunkSampler(selection, params);
    case 'sequential':
      return sequentialSampler(selection, params);
    case 'replacement':
      return replacementSampler(selection, params);
    case 'balanced': {
      const column = options.balanceBy;
      if (column === undefined) throw new LoaderParameterError('balanceBy', 'the balanced sampler needs the obs column to balance');
      const values = await readObsColumn(source, column, 'balanceBy', options.signal);
      if (values.kind !== 'categorical') throw new LoaderParameterError('balanceBy', `obs column "${column}" is ${values.kind}; balancing needs a categorical column`);
      return balancedSampler(selection, params, { codes: values.codes, categories: values.categories, column });
    }
    default:
      throw new LoaderParameterError('sampler', `must be random, sequential, replacement or balanced, got ${String(kind)}`);
  }
}

/** Opens a loader over a source: resolves masks, splits and shards, picks in-memory mode. */
export async function openLoader(source: AnnDataSource, options: LoaderOptions): Promise<Loader> {
  const params = resolveSamplingParameters(options);
  const prefetch = options.prefetch ?? 1;
  if (!Number.isSafeInteger(prefetch) || prefetch < 0) throw new LoaderParameterError('prefetch', `must be a non-negative integer, got ${prefetch}`);
  if (options.layer !== undefined && !(options.layer in source.layers)) {
    throw new LoaderParameterError('layer', `the AnnData has no layer "${options.layer}"; layers: ${Object.keys(source.layers).join(', ') || 'none'}`);
  }
  for (const name of options.obs ?? []) {
    if (!source.obsColumns.some((c) => c.name === name)) {
      throw new LoaderParameterError('obs', `obs has no column "${name}"; available: ${source.obsColumns.map((c) => c.name).join(', ')}`);
    }
  }
  const genes = options.genes;
  const columns = genes === undefined ? undefined : { map: geneColumnMap(source.nVars, genes), nSelected: genes.length };
  const returnX = options.returnX ?? true;
  if (!returnX && !columns) throw new LoaderParameterError('returnX', 'false needs `genes`: a batch would hold no values');
  if (options.normalize && !columns) throw new LoaderParameterError('normalize', 'needs `genes`, the columns to normalise');
  const dense: DenseColumns | undefined = columns && {
    geneMap: columns.map,
    nSelected: columns.nSelected,
    ...(options.normalize ? { normalize: options.normalize, counts: options.counts ?? false } : {}),
  };
  const selection = await resolveSelection(source, options, params);
  const sampler = await makeSampler(source, selection, options, params);

  const budget = options.memoryBudgetBytes ?? 512 * 2 ** 20;
  const estimate = estimateMemoryBytes({ source, selection, layer: options.layer, nGenes: genes?.length });
  const inMemory = options.inMemory === true || ((options.inMemory ?? 'auto') === 'auto' && estimate <= budget);
  const baseReader = options.reader ?? sourceRowReader(source);
  // In memory, batches are densified from the already column-selected block.
  const reader = inMemory
    ? await loadIntoMemory(baseReader, selection, { layer: options.layer, obs: options.obs, columnMap: columns, signal: options.signal })
    : baseReader;

  const readPool = async (plan: PoolPlan, signal?: AbortSignal) =>
    reader.read(rowsToRuns(plan.rows), {
      layer: options.layer,
      obs: options.obs,
      signal,
      ...(dense ? { dense: { ...dense, batches: plan.batches }, blocks: returnX } : {}),
    });

  type Queued = { plan: PoolPlan; read: ReturnType<typeof readPool> };
  const enqueue = (queue: Queued[], plan: PoolPlan, signal: AbortSignal | undefined): void => {
    const read = readPool(plan, signal);
    read.catch(() => {}); // awaited by the epoch; a consumer that stops early must not leave it unhandled
    queue.push({ plan, read });
  };
  /** The first pools of the epoch named by thenEpoch, read while the one before ends. */
  let ahead: { epoch: number; plans: Iterator<PoolPlan>; queue: Queued[]; controller: AbortController } | undefined;
  const dropAhead = (): void => {
    ahead?.controller.abort(new DOMException('the epoch read ahead was not asked for', 'AbortError'));
    ahead = undefined;
  };

  async function* epoch(e: number, epochOptions: EpochOptions = {}): AsyncGenerator<LoaderBatch> {
    const signal = anySignal(options.signal, epochOptions.signal);
    let plans = sampler.pools(e)[Symbol.iterator]();
    let queue: Queued[] = [];
    if (ahead?.epoch === e) {
      ({ plans, queue } = ahead);
      const { controller } = ahead;
      ahead = undefined;
      epochOptions.signal?.addEventListener('abort', () => controller.abort(epochOptions.signal!.reason), { once: true });
    } else dropAhead();
    const then = epochOptions.thenEpoch;
    // The next pool to consume and `prefetch` more: while a pool is consumed, exactly `prefetch`
    // reads are in flight, so memory holds 1 + prefetch pools whatever the dataset's size. Once
    // this epoch's plans are all out, free places go to the next epoch's first pools.
    let exhausted = false;
    const fill = (): void => {
      while (!exhausted && queue.length < 1 + prefetch) {
        const next = plans.next();
        if (next.done) exhausted = true;
        else enqueue(queue, next.value, signal);
      }
      if (!exhausted || then === undefined) return;
      if (!ahead) {
        const controller = new AbortController();
        ahead = { epoch: then, plans: sampler.pools(then)[Symbol.iterator](), queue: [], controller };
      }
      const next = ahead;
      if (next.epoch !== then) return;
      while (queue.length + next.queue.length < 1 + prefetch) {
        const plan = next.plans.next();
        if (plan.done) return;
        enqueue(next.queue, plan.value, anySignal(options.signal, next.controller.signal));
      }
    };
    const start = performance.now();
    const startTransfer = reader.transfer();
    let batches = 0;
    let cells = 0;
    while ((fill(), queue.length > 0)) {
      signal?.throwIfAborted();
      const { plan, read } = queue.shift()!;
      const pool = await read;
      for (const [b, positions] of plan.batches.entries()) {
        signal?.throwIfAborted();
        const obs = Object.fromEntries(Object.entries(pool.obs).map(([k, v]) => [k, gatherObs(v, positions)]));
        const rows = pool.dense?.[b];
        const batch: LoaderBatch = {
          epoch: e,
          index: batches,
          nRows: positions.length,
          ...(returnX ? { X: gatherRows(pool.blocks, positions) } : {}),
          obs,
          ...(rows ? { dense: rows.x, rowTotals: rows.rowTotals, ...(rows.counts ? { counts: rows.counts } : {}) } : {}),
          ...(params.returnIndex ? { rows: Uint32Array.from(positions, (p) => plan.rows[p]!) } : {}),
        };
        batches++;
        cells += positions.length;
        if (epochOptions.onProgress) {
          const seconds = (performance.now() - start) / 1000;
          const t = reader.transfer();
          epochOptions.onProgress({
            epoch: e,
            batches,
            batchesPerEpoch: sampler.batchesPerEpoch,
            cells,
            seconds,
            cellsPerSecond: cells / Math.max(seconds, 1e-9),
            inMemory,
            networkBytes: t.networkBytes - startTransfer.networkBytes,
            networkRequests: t.networkRequests - startTransfer.networkRequests,
            cacheBytes: t.cacheBytes - startTransfer.cacheBytes,
            cacheRequests: t.cacheRequests - startTransfer.cacheRequests,
          });
        }
        yield batch;
      }
    }
  }

  // a reader from the options is the caller's to close; the default one is this loader's
  const close = async (): Promise<void> => {
    dropAhead();
    if (!options.reader) await baseReader.close();
  };
  return { params, sampler, selection, inMemory, epoch, transfer: () => reader.transfer(), close };
}

function anySignal(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}
