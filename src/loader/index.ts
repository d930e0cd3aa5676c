// The out-of-core loader, as a library user sees it: open a loader over an AnnData source (annbatch
// semantics: random contiguous chunks preloaded into a pool, shuffled, cut into batches, the next pool
// prefetched), the samplers it takes, row filters, and the read-worker pool over the chunk cache.
export { openLoader, type EpochOptions, type Loader, type LoaderBatch, type LoaderOptions, type LoaderProgress, type SamplerFactory, type SamplerKind } from './loader.ts';
export { balancedSampler, planFromRows, randomChunkSampler, replacementSampler, sequentialSampler, type BalancedOptions, type PoolPlan, type Sampler } from './samplers.ts';
export { parsePredicate, type RowPredicate } from './predicate.ts';
export { defaultWorkerCount, openPooledReader, type PooledReader, type PooledReaderOptions } from './pooled-reader.ts';
export { cacheSettings, defaultCacheSettings, spawnReadWorker } from './read-workers.ts';
export { LoaderParameterError, PredicateError } from './errors.ts';
