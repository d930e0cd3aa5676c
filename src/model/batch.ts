// What the trainer consumes per batch: either normalised rows already in memory, or rows of a CSR
// pool (e.g. one loader batch) that are normalised when the step's inputs are built — by the WGSL
// kernels on the WebGPU EP, by their CPU twin (src/cpu) otherwise.
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import type { NormalizeOptions } from '../cpu/normalize-options.ts';
import type { CsrBlock } from '../source/types.ts';
import { ConfigError } from './trvae/config.ts';

/** Normalised expression [B, nGenes] row-major and integer condition codes. */
export interface NormalizedBatch {
  readonly x: Float32Array;
  readonly conditions: Int32Array;
  /** Raw counts of the model genes [B, nGenes] and library sizes over all genes [B]: needed by recon 'nb'. */
  readonly counts?: { readonly counts: Float32Array; readonly sizeFactors: Float32Array };
  /** Global row ids, when the producer knows them. */
  readonly rows?: Uint32Array;
}

/** How pool rows become model inputs: var → model column (−1 dropped) and the normalisation. */
export interface PoolInput {
  /** Genes of the pools (var axis). */
  readonly nVars: number;
  readonly geneMap: Int32Array;
  /** Number of model genes (columns of x). */
  readonly nSelected: number;
  readonly normalize: NormalizeOptions;
}

/** Rows `rowIds` of a CSR pool with their condition codes; `input` is the same object for every batch of a run. */
export interface PoolBatch {
  readonly pool: CsrBlock;
  readonly rowIds: Int32Array;
  readonly conditions: Int32Array;
  readonly input: PoolInput;
  readonly rows?: Uint32Array;
}

export type TrainingBatch = NormalizedBatch | PoolBatch;

export function isPoolBatch(batch: TrainingBatch): batch is PoolBatch {
  return 'pool' in batch;
}

/** The normalised rows of a batch on the CPU (gather → normalize_total → log1p of the model genes). */
export function denseRows(batch: TrainingBatch): Float32Array {
  if (!isPoolBatch(batch)) return batch.x;
  const { pool, rowIds, input } = batch;
  return gatherNormalize(pool, rowIds, input.geneMap, input.nSelected, input.normalize).x;
}

/** Raw counts of the model genes [B, G] and library sizes over all genes [B], for recon 'nb'. */
export interface CountRows {
  readonly counts: Float32Array;
  readonly sizeFactors: Float32Array;
}

const rawValues: NormalizeOptions = { targetSum: null, log1p: false };

/**
 * The counts of a batch for the NB loss. Pools hold raw counts exactly when their normalisation
 * starts with normalize_total (a target sum); pools of log-normalised values, and in-memory batches
 * without counts, cannot feed the NB loss. Writes into `into` when given.
 */
export function countRows(batch: TrainingBatch, into?: CountRows): CountRows {
  if (!isPoolBatch(batch)) {
    if (!batch.counts) throw new ConfigError("recon 'nb' needs raw counts: this in-memory batch holds normalised values only; train on a counts matrix (--input counts) or use recon 'sse'/'mse'");
    return batch.counts;
  }
  const { pool, rowIds, input } = batch;
  assertRawCounts(input);
  const dense = gatherNormalize(pool, rowIds, input.geneMap, input.nSelected, rawValues, into && { x: into.counts, sizeFactors: into.sizeFactors });
  return { counts: dense.x, sizeFactors: dense.sizeFactors };
}

/** Pools hold raw counts exactly when their normalisation starts with normalize_total (a target sum). */
export function assertRawCounts(input: PoolInput): void {
  if (input.normalize.targetSum === null) {
    throw new ConfigError("recon 'nb' needs raw counts, but the data are log-normalised (--input log1p); train on raw counts (X or a counts layer, --input counts) or use recon 'sse'/'mse'");
  }
}
