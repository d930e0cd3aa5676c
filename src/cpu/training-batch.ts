// One training step's inputs on the CPU (for the WASM execution provider), the same contract and the
// same noise streams as src/gpu/training-batch.ts. The model declares its inputs (BatchInput: name,
// values per cell, where they come from); this builds exactly those: normalised rows, condition
// one-hots, Philox normal noise and inverted-dropout masks keyed by (seed, step, stream), raw counts
// and library sizes.
import type { CsrBlock } from '../source/types.ts';
import { KernelInputError } from './errors.ts';
import { gatherNormalize } from './gather-normalize.ts';
import { validateGeneMap } from './csr-pool.ts';
import { validateNormalize, type NormalizeOptions } from './normalize-options.ts';
import { oneHot } from './onehot.ts';
import { dropoutMask, dropoutParams, normalNoise } from './philox.ts';

/** Where a batch input's values come from. */
export type BatchInputSource =
  /** Normalised expression of the model genes. */
  | { readonly kind: 'x' }
  /** One-hot condition codes (width: the number of conditions). */
  | { readonly kind: 'onehot' }
  /** Standard normal noise, Philox stream `stream`. */
  | { readonly kind: 'normal'; readonly stream: number }
  /** Inverted-dropout mask (0 with probability `rate`, else 1/(1 − rate)), Philox stream `stream`. */
  | { readonly kind: 'dropout'; readonly rate: number; readonly stream: number }
  /** Raw counts of the model genes (pools of raw counts only). */
  | { readonly kind: 'counts' }
  /** Library size of each row over all genes. */
  | { readonly kind: 'size-factors' };

/** One input of a step graph: name, shape per cell ([] for one value per cell) and source. */
export interface BatchInput {
  readonly name: string;
  readonly perCell: readonly number[];
  readonly source: BatchInputSource;
}

export const valuesPerCell = (input: BatchInput): number => input.perCell.reduce((a, b) => a * b, 1);

/** The graph shape of a batch input for `b` rows. */
export const batchInputShape = (input: BatchInput, b: number): number[] => [b, ...input.perCell];

export interface TrainingBatchLayout {
  /** Genes of the pools (var axis). */
  readonly nVars: number;
  /** var index → input column of the model, −1 = not a model gene. */
  readonly geneMap: Int32Array;
  readonly normalize: NormalizeOptions;
  /** The inputs to build, as the step graph declares them. */
  readonly inputs: readonly BatchInput[];
  /** Rows per step: the graph's static batch dimension. */
  readonly batchSize: number;
  readonly seed: number;
}

/** Float32 contents of a step's inputs, keyed by graph input name. */
export type TrainingBatchArrays = Record<string, Float32Array>;

/** Checks a layout; returns the number of selected genes. */
export function validateLayout(layout: TrainingBatchLayout): number {
  const nSelected = validateGeneMap(layout.geneMap, layout.nVars);
  validateNormalize(layout.normalize, nSelected);
  if (!(Number.isInteger(layout.batchSize) && layout.batchSize > 0)) throw new KernelInputError('batchSize', `must be a positive integer; got ${layout.batchSize}`);
  const names = new Set<string>();
  for (const input of layout.inputs) {
    if (names.has(input.name)) throw new KernelInputError('inputs', `"${input.name}" is declared twice`);
    names.add(input.name);
    const width = valuesPerCell(input);
    if (!(Number.isInteger(width) && width > 0)) throw new KernelInputError(input.name, `must have a positive number of values per cell; got [${input.perCell.join(', ')}]`);
    const { source } = input;
    if ((source.kind === 'x' || source.kind === 'counts') && width !== nSelected) {
      throw new KernelInputError(input.name, `has ${width} values per cell, but the gene map selects ${nSelected} genes`);
    }
    if (source.kind === 'size-factors' && input.perCell.length !== 0) throw new KernelInputError(input.name, 'size factors are one value per cell (perCell [])');
    if (source.kind === 'dropout') dropoutParams(source.rate);
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

const rawValues: NormalizeOptions = { targetSum: null, log1p: false };

/** Allocates the step's arrays once; `fill` rewrites them in place every step. */
export interface CpuTrainingBatch {
  readonly arrays: TrainingBatchArrays;
  /** [B] library size of each row (also an input when one is declared with source 'size-factors'). */
  readonly sizeFactors: Float32Array;
  fill(pool: CsrBlock, rowIds: ArrayLike<number>, codes: ArrayLike<number>, step: number): void;
}

export function createCpuTrainingBatch(layout: TrainingBatchLayout): CpuTrainingBatch {
  const nSelected = validateLayout(layout);
  const { batchSize: b, inputs, seed } = layout;
  const arrays: TrainingBatchArrays = {};
  for (const input of inputs) if (input.source.kind !== 'size-factors') arrays[input.name] = new Float32Array(b * valuesPerCell(input));
  const sizeFactors = new Float32Array(b);
  for (const input of inputs) if (input.source.kind === 'size-factors') arrays[input.name] = sizeFactors;
  // x is gathered even when not declared: it yields the size factors.
  const x = inputs.find((i) => i.source.kind === 'x');
  const xArray = x ? arrays[x.name] : new Float32Array(b * nSelected);
  return {
    arrays,
    sizeFactors,
    fill(pool, rowIds, codes, step) {
      validateStep(layout, rowIds, codes);
      gatherNormalize(pool, rowIds, layout.geneMap, nSelected, layout.normalize, { x: xArray, sizeFactors });
      for (const input of inputs) {
        const out = arrays[input.name];
        const { source } = input;
        if (source.kind === 'onehot') oneHot(codes, valuesPerCell(input), out);
        else if (source.kind === 'normal') normalNoise(out.length, { seed, step, stream: source.stream }, out);
        else if (source.kind === 'dropout') dropoutMask(out.length, source.rate, { seed, step, stream: source.stream }, out);
        else if (source.kind === 'counts') gatherNormalize(pool, rowIds, layout.geneMap, nSelected, rawValues, { x: out, sizeFactors });
      }
    },
  };
}
