// Store wrappers: count network bytes, and serve repeated gets/ranges from a ChunkCache keyed by
// store label + validator + key + range, so a changed store never serves stale bytes.
import type { AbsolutePath, GetOptions, RangeQuery, SourceStore } from '../../source/store.ts';
import type { TransferStats } from '../transfer.ts';
import type { ChunkCache } from './chunk-cache.ts';

function rangeKey(range: RangeQuery | undefined): string {
  if (!range) return 'all';
  return 'suffixLength' in range ? `suffix:${range.suffixLength}` : `${range.offset}+${range.length}`;
}

/** Counts every get/getRange that reaches `store` as network traffic. */
export function withTransferCounting(store: SourceStore, stats: TransferStats): SourceStore {
  const count = (bytes: Uint8Array | undefined): Uint8Array | undefined => {
    stats.networkRequests++;
    stats.networkBytes += bytes?.length ?? 0;
    return bytes;
  };
  return {
    label: store.label,
    validator: store.validator,
    get: async (key, opts) => count(await store.get(key, opts)),
    getRange: async (key, range, opts) => count(await store.getRange(key, range, opts)),
    ...(store.list ? { list: store.list.bind(store) } : {}),
  };
}

/**
 * Serves from `cache` when it can, else from `store` (counted as network) and stores the bytes.
 * A store with an empty validator is not cached: nothing tells a stale entry from a fresh one.
 */
export function withChunkCache(store: SourceStore, cache: ChunkCache, stats: TransferStats): SourceStore {
  const counted = withTransferCounting(store, stats);
  if (!store.validator) return counted;
  const prefix = `${store.label}\n${store.validator}\n`;
  // concurrent requests for the same bytes share one fetch
  const inFlight = new Map<string, Promise<Uint8Array | undefined>>();
  const through = (key: AbsolutePath, range: RangeQuery | undefined, opts: GetOptions | undefined): Promise<Uint8Array | undefined> => {
    const cacheKey = `${prefix}${key}\n${rangeKey(range)}`;
    const pending = inFlight.get(cacheKey);
    if (pending) return pending;
    const result = fetchThrough(cacheKey, key, range, opts).finally(() => inFlight.delete(cacheKey));
    inFlight.set(cacheKey, result);
    return result;
  };
  const fetchThrough = async (cacheKey: string, key: AbsolutePath, range: RangeQuery | undefined, opts: GetOptions | undefined): Promise<Uint8Array | undefined> => {
    const hit = await cache.get(cacheKey);
    if (hit) {
      stats.cacheRequests++;
      stats.cacheBytes += hit.length;
      return hit;
    }
    const bytes = range ? await counted.getRange(key, range, opts) : await counted.get(key, opts);
    if (bytes) await cache.put(cacheKey, bytes);
    return bytes;
  };
  return {
    label: store.label,
    validator: store.validator,
    get: (key, opts) => through(key, undefined, opts),
    getRange: (key, range, opts) => through(key, range, opts),
    ...(store.list ? { list: store.list.bind(store) } : {}),
  };
}
