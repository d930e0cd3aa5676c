// One training step's inputs on the CPU (for the WASM execution provider), the same contract and the
// same noise streams as src/gpu/training-batch.ts: x [B, G], c one-hot [B, C], eps [B, Z] (Philox
// stream 0) and one inverted-dropout mask [B, width] per layer (stream k + 1); size factors [B] apart,
// since ONNX Runtime rejects feeds the graph has no input for.
import type { CsrBlock } from '../source/types.ts';
import { KernelInputError } from './errors.ts';
import { gatherNormalize } from './gather-normalize.ts';
import { validateGeneMap } from './csr-pool.ts';
import { validateNormalize, type NormalizeOptions } from './normalize-options.ts';
import { oneHot } from './onehot.ts';
import { dropoutMask, dropoutParams, normalNoise } from './philox.ts';

export interface TrainingBatchLayout {
  /** Genes of the pools (var axis). */
  readonly nVars: number;
  /** var index → input column of the model, −1 = not a model gene. */
  readonly geneMap: Int32Array;
  readonly normalize: NormalizeOptions;
  readonly nConditions: number;
  readonly latent: number;
  /** Graph input names and widths of the dropout masks, in layer order. */
  readonly masks: readonly { readonly name: string; readonly width: number }[];
  /** Drop probability p (0: the masks are all ones). */
  readonly dropout: number;
  /** Rows per step: the graph's static batch dimension. */
  readonly batchSize: number;
  readonly seed: number;
}

/** Float32 contents of a step's inputs, keyed by graph input name (x, c, eps, masks…). */
export type TrainingBatchArrays = Record<string, Float32Array>;

/** Checks a layout; returns the number of selected genes. */
export function validateLayout(layout: TrainingBatchLayout): number {
  const nSelected = validateGeneMap(layout.geneMap, layout.nVars);
  validateNormalize(layout.normalize, nSelected);
  dropoutParams(layout.dropout);
  for (const [name, value] of [['nConditions', layout.nConditions], ['latent', layout.latent], ['batchSize', layout.batchSize]] as const) {
    if (!(Number.isInteger(value) && value > 0)) throw new KernelInputError(name, `must be a positive integer; got ${value}`);
  }
  return nSelected;
}

export function validateStep(layout: TrainingBatchLayout, rowIds: ArrayLike<number>, codes: ArrayLike<number>): void {
  if (rowIds.length !== layout.batchSize || codes.length !== layout.batchSize) {
    throw new KernelInputError(
      'rowIds',
      `a step takes exactly batchSize (${layout.batchSize}) rows and codes; got ${rowIds.length} rows and ${codes.length} codes`,
    );
  }
}

/** Allocates the step's arrays once; `fill` rewrites them in place every step. */
export interface CpuTrainingBatch {
  readonly arrays: TrainingBatchArrays;
  /** [B] library size of each row (for count-based losses; add it to the feeds if the graph takes it). */
  readonly sizeFactors: Float32Array;
  fill(pool: CsrBlock, rowIds: ArrayLike<number>, codes: ArrayLike<number>, step: number): void;
}

export function createCpuTrainingBatch(layout: TrainingBatchLayout): CpuTrainingBatch {
  const nSelected = validateLayout(layout);
  const { batchSize: b, nConditions, latent, masks, dropout, seed } = layout;
  const arrays: TrainingBatchArrays = {
    x: new Float32Array(b * nSelected),
    c: new Float32Array(b * nConditions),
    eps: new Float32Array(b * latent),
  };
  const sizeFactors = new Float32Array(b);
  for (const m of masks) arrays[m.name] = new Float32Array(b * m.width);
  return {
    arrays,
    sizeFactors,
    fill(pool, rowIds, codes, step) {
      validateStep(layout, rowIds, codes);
      gatherNormalize(pool, rowIds, layout.geneMap, nSelected, layout.normalize, { x: arrays.x, sizeFactors });
      oneHot(codes, nConditions, arrays.c);
      normalNoise(b * latent, { seed, step, stream: 0 }, arrays.eps);
      masks.forEach((m, k) => dropoutMask(b * m.width, dropout, { seed, step, stream: k + 1 }, arrays[m.name]));
    },
  };
}
