// Training batches from the annbatch-style loader (src/loader): a train and a validation loader over
// the same seeded split, the held-out (cell type × condition) cells filtered out, each batch a ready
// NormalizedBatch: the model genes densified and normalised where the pool was decoded (the read
// workers), with raw counts and library sizes when the model's loss needs them, and condition codes.

import { openLoader, type LoaderBatch, type Loader } from '../../loader/loader.ts';
import type { RowPredicate } from '../../loader/predicate.ts';
import type { RowReader } from '../../loader/row-reader.ts';
import type { AnnDataSource } from '../../source/types.ts';
import type { NormalizedBatch } from '../batch.ts';
import { poolInput, type Holdout, type InputKind } from '../dataset.ts';

export interface TrainingLoaderOptions {
  readonly conditionKey: string;
  /** Var indices of the model's genes, in model order. */
  readonly genes: ArrayLike<number>;
  readonly input: InputKind;
  readonly batchSize: number;
  readonly validationFraction: number;
  readonly seed: number;
  readonly holdout?: Holdout & { readonly cellTypeKey: string };
  readonly layer?: string;
  readonly memoryBudgetBytes?: number;
  /** Training batches hold every condition in equal shares (the validation loader reads in order). */
  readonly balanceConditions?: boolean;
  /** Batches carry the raw counts and library sizes too (a count-based loss, e.g. recon 'nb'). */
  readonly counts?: boolean;
  /** Where pools are read (e.g. a pool of read workers over the chunk cache); default the source. */
  readonly reader?: RowReader;
  readonly signal?: AbortSignal;
}

export interface TrainingLoaders {
  readonly train: Loader;
  readonly validation?: Loader;
  /** Cells in each side of the split after filtering. */
  readonly sizes: { readonly train: number; readonly validation: number };
  batches(epoch: number): AsyncIterable<NormalizedBatch>;
  validationBatches?(): AsyncIterable<NormalizedBatch>;
  close(): Promise<void>;
}

export function toNormalizedBatch(batch: LoaderBatch, conditionKey: string): NormalizedBatch {
  const column = batch.obs[conditionKey];
  if (!column || column.kind !== 'categorical') throw new Error(`batch has no categorical obs column "${conditionKey}"`);
  if (!batch.dense || !batch.rowTotals) throw new Error('loader batches carry no dense genes: open the loader with `genes` and `normalize`');
  return {
    x: batch.dense,
    conditions: column.codes,
    ...(batch.counts ? { counts: { counts: batch.counts, sizeFactors: batch.rowTotals } } : {}),
    ...(batch.rows ? { rows: batch.rows } : {}),
  };
}

async function* convert(batches: AsyncIterable<LoaderBatch>, conditionKey: string): AsyncGenerator<NormalizedBatch> {
  for await (const b of batches) yield toNormalizedBatch(b, conditionKey);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Pool geometry for any batch size: annbatch's loader needs chunkSize × preloadNChunks to be a
 * multiple of the batch size, so the chunk count is a multiple of batch / gcd(chunk, batch), scaled
 * to pools of about `targetPoolRows` rows (annbatch's 512 × 32 for batch 512).
 */
export function poolGeometry(batchSize: number, chunkSize = 512, targetPoolRows = 16_384): { chunkSize: number; preloadNChunks: number } {
  const unit = batchSize / gcd(chunkSize, batchSize);
  return { chunkSize, preloadNChunks: unit * Math.max(1, Math.round(targetPoolRows / (chunkSize * unit))) };
}

export async function openTrainingLoaders(source: AnnDataSource, options: TrainingLoaderOptions): Promise<TrainingLoaders> {
  const column = source.obsColumns.find((c) => c.name === options.conditionKey);
  // Fail before the first epoch, not at its first batch.
  if (column?.kind !== 'categorical') {
    throw new Error(
      `condition key "${options.conditionKey}" must be a categorical obs column to stream through the loader` +
        (column ? `; it is ${column.kind} — re-save with adata.obs["${options.conditionKey}"] = adata.obs["${options.conditionKey}"].astype("category")` : `; obs has ${source.obsColumns.map((c) => c.name).join(', ')}`),
    );
  }
  const input = poolInput(source.nVars, options.genes, options.input);
  const clauses: RowPredicate[] = [{ op: 'not', arg: { op: 'isnull', column: options.conditionKey } }];
  if (options.holdout) {
    const { cellTypeKey, cellType, condition } = options.holdout;
    clauses.push({ op: 'not', arg: { op: 'and', args: [{ op: 'eq', column: cellTypeKey, value: cellType }, { op: 'eq', column: options.conditionKey, value: condition }] } });
  }
  const common = {
    batchSize: options.batchSize,
    ...poolGeometry(options.batchSize),
    seed: options.seed,
    filter: { op: 'and', args: clauses } as RowPredicate,
    obs: [options.conditionKey],
    genes: options.genes,
    normalize: input.normalize,
    counts: options.counts ?? false,
    returnX: false,
    layer: options.layer,
    memoryBudgetBytes: options.memoryBudgetBytes,
    reader: options.reader,
    signal: options.signal,
  };
  const train = await openLoader(source, {
    ...common,
    dropLast: true,
    balanceBy: options.balanceConditions ? options.conditionKey : undefined,
    split: options.validationFraction > 0 ? { validationFraction: options.validationFraction, use: 'train', seed: options.seed } : undefined,
  });
  const validation = options.validationFraction > 0
    ? await openLoader(source, { ...common, shuffle: false, split: { validationFraction: options.validationFraction, use: 'validation', seed: options.seed } })
    : undefined;
  return {
    train,
    validation,
    sizes: { train: train.selection.size, validation: validation?.selection.size ?? 0 },
    // the next epoch's first pools are read while this one ends: an epoch never starts by waiting
    batches: (epoch) => convert(train.epoch(epoch, { thenEpoch: epoch + 1 }), options.conditionKey),
    validationBatches: validation ? () => convert(validation.epoch(0), options.conditionKey) : undefined,
    async close() {
      await train.close();
      await validation?.close();
    },
  };
}
