// The loader's sampling parameters, with annbatch's names and defaults, validated up front.
import { LoaderParameterError } from './errors.ts';

export interface SamplingParameters {
  /** Rows per contiguous chunk read from the store (annbatch chunk_size, default 512). */
  readonly chunkSize: number;
  /** Chunks per in-memory pool (annbatch preload_nchunks, default 32). */
  readonly preloadNChunks: number;
  readonly batchSize: number;
  /** Random chunk order and in-pool shuffle (default true). */
  readonly shuffle: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  readonly dropLast: boolean;
  /** Seed of the PRNG: identical seed → identical batch sequence. */
  readonly seed: number;
  /** Give every batch the global row ids of its rows (default true). */
  readonly returnIndex: boolean;
}

export const defaultSamplingParameters: Omit<SamplingParameters, 'batchSize'> = {
  chunkSize: 512,
  preloadNChunks: 32,
  shuffle: true,
  dropLast: false,
  seed: 0,
  returnIndex: true,
};

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new LoaderParameterError(name, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new LoaderParameterError(name, `must be true or false, got ${String(value)}`);
  return value;
}

/** Fills defaults and checks every parameter; throws LoaderParameterError naming the first bad one. */
export function resolveSamplingParameters(
  input: Partial<SamplingParameters> & { readonly batchSize: number },
): SamplingParameters {
  const merged = { ...defaultSamplingParameters, ...input };
  const chunkSize = positiveInteger('chunkSize', merged.chunkSize);
  const preloadNChunks = positiveInteger('preloadNChunks', merged.preloadNChunks);
  const batchSize = positiveInteger('batchSize', merged.batchSize);
  const seed = merged.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new LoaderParameterError('seed', `must be an integer in [0, 2^32 − 1], got ${String(seed)}`);
  }
  // annbatch's constraint: a pool holds a whole number of batches, so no batch spans two pools.
  if ((chunkSize * preloadNChunks) % batchSize !== 0) {
    throw new LoaderParameterError(
      'preloadNChunks',
      `chunkSize × preloadNChunks (${chunkSize} × ${preloadNChunks} = ${chunkSize * preloadNChunks}) must be a multiple of batchSize (${batchSize}); `,
    );
  }
  return {
    chunkSize,
    preloadNChunks,
    batchSize,
    seed,
    shuffle: boolean('shuffle', merged.shuffle),
    dropLast: boolean('dropLast', merged.dropLast),
    returnIndex: boolean('returnIndex', merged.returnIndex),
  };
}
