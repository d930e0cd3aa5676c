// An LRU cache of store byte ranges under a byte budget, on a CacheBackend. It never fails a read:
// a missing, partial or corrupt entry is a miss; a full disk (QuotaExceededError) evicts and, if
// that does not help, the bytes are simply not cached.
import type { CacheBackend } from './backend.ts';
import { isQuotaExceeded } from './backend.ts';
import { decodeEntry, encodeEntry, entryName, type CacheEntry } from './entry.ts';

export interface ChunkCacheOptions {
  /** Most bytes the cache may hold (default 2 GiB); also kept under 80% of the free quota. */
  readonly budgetBytes?: number;
}

export interface ChunkCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly budgetBytes: number;
  readonly hits: number;
  readonly misses: number;
  /** Entries found partial or corrupt and dropped. */
  readonly corrupt: number;
  readonly evictions: number;
  /** Writes skipped because storage stayed full after eviction. */
  readonly skippedWrites: number;
}

export interface ChunkCache {
  /** The cached bytes and the version of the file they came from. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Caches `bytes`, read from the file at `version` (its ETag, Last-Modified or mtime; '' if none). */
  put(key: string, bytes: Uint8Array, version?: string): Promise<void>;
  stats(): ChunkCacheStats;
  /** Removes every entry. */
  clear(): Promise<void>;
}

export async function openChunkCache(backend: CacheBackend, options: ChunkCacheOptions = {}): Promise<ChunkCache> {
  // Map order is the LRU order: oldest first.
  const index = new Map<string, number>();
  const files = (await backend.list()).filter((f) => f.name.endsWith('.bin')).sort((a, b) => a.lastModified - b.lastModified);
  let bytes = 0;
  for (const f of files) {
    index.set(f.name, f.size);
    bytes += f.size;
  }
  let budget = options.budgetBytes ?? 2 * 2 ** 30;
  const estimate = await backend.estimate().catch(() => undefined);
  if (estimate) budget = Math.min(budget, Math.max(0, bytes + 0.8 * (estimate.quota - estimate.usage)));
  const counters = { hits: 0, misses: 0, corrupt: 0, evictions: 0, skippedWrites: 0 };

  /** Forgets an entry in the accounting only (its file is about to be overwritten). */
  const forget = (name: string): void => {
    const size = index.get(name);
    if (size === undefined) return;
    index.delete(name);
    bytes -= size;
  };
  const drop = async (name: string): Promise<void> => {
    if (!index.has(name)) return;
    forget(name);
    await backend.remove(name);
  };
  const evictUntil = async (target: number): Promise<void> => {
    for (const name of index.keys()) {
      if (bytes <= target) return;
      counters.evictions++;
      await drop(name);
    }
  };

  return {
    async get(key) {
      const name = entryName(key);
      // read even when the index does not know the entry: another worker sharing the directory may have written it
      const raw = await backend.read(name);
      const entry = raw && decodeEntry(key, raw);
      if (entry) {
        const known = index.get(name);
        if (known !== undefined) index.delete(name);
        else bytes += raw.length;
        index.set(name, raw.length);
        counters.hits++;
        return entry;
      }
      // a corrupt or partial entry (or one another worker is still writing) is refetched and
      // overwritten by the put that follows; it is not deleted here, where it may race that writer
      if (raw) counters.corrupt++;
      forget(name);
      counters.misses++;
      return undefined;
    },
    async put(key, payload, version = '') {
      const name = entryName(key);
      const entry = encodeEntry(key, payload, version);
      if (entry.length > budget) return;
      forget(name);
      await evictUntil(budget - entry.length);
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await backend.write(name, entry);
          index.set(name, entry.length);
          bytes += entry.length;
          // concurrent puts may each have made room for themselves only
          await evictUntil(budget);
          return;
        } catch (e) {
          // caching is an optimisation: a failed store leaves the read itself intact. Another
          // worker writing the same entry holds its lock: theirs is as good as ours.
          if (!isQuotaExceeded(e)) break;
          await backend.remove(name).catch(() => {});
          // free a quarter of the cache (at least this entry's size) and try again
          await evictUntil(Math.max(0, Math.min(bytes - entry.length, bytes * 0.75)));
          budget = Math.min(budget, bytes + entry.length);
        }
      }
      counters.skippedWrites++;
    },
    stats: () => ({ entries: index.size, bytes, budgetBytes: budget, ...counters }),
    async clear() {
      for (const name of [...index.keys()]) await drop(name);
      for (const f of await backend.list()) await backend.remove(f.name);
    },
  };
}
