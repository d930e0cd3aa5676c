// Store wrappers: count network bytes, and serve repeated gets/ranges from a ChunkCache keyed by
// store label + validator + key + range, each entry checked against its file's version, so a
// changed store never serves stale bytes.
import { isSourceError } from '../../source/errors.ts';
import type { AbsolutePath, GetOptions, RangeQuery, SourceStore } from '../../source/store.ts';
import type { TransferStats } from '../transfer.ts';
import type { ChunkCache } from './chunk-cache.ts';

interface SharedFetch {
  readonly result: Promise<Uint8Array | undefined>;
  readonly controller: AbortController;
  /** Callers still waiting for the result. */
  waiting: number;
  /** Callers that joined so far; the first gets the fetched buffer, later ones a copy. */
  callers: number;
}

// One 'abort' listener per signal, whatever the number of reads waiting on it: a pool's reads in one
// thread share the epoch's signal, and Node warns (MaxListenersExceededWarning) past 10 listeners.
const waitersOf = new WeakMap<AbortSignal, Set<() => void>>();

function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let waiters = waitersOf.get(signal);
  if (!waiters) {
    const set = new Set<() => void>();
    waiters = set;
    waitersOf.set(signal, set);
    signal.addEventListener('abort', () => set.forEach((f) => f()), { once: true });
  }
  waiters.add(callback);
  return () => waiters.delete(callback);
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => reject(signal.reason));
    promise.then(resolve, reject).finally(stop);
  });
}

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
    ...(store.versions ? { versions: store.versions } : {}),
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
  // Entries carry the version of their file. One from another version than the one this session
  // reads is stale and refetched; the first one served pins its version, so the network bytes
  // that follow must be of the same version ('changed' otherwise): old and new never mix. The
  // newest version the network showed for a file is recorded in the cache too, so after a change
  // the next session refetches the file's old entries instead of pinning one of them again.
  const versions = store.versions;
  const newestKey = (key: AbsolutePath): string => `${prefix}${key}\nnewest-version`;
  const newestRecorded = new Map<AbsolutePath, Promise<string | undefined>>();
  const recorded = (key: AbsolutePath): Promise<string | undefined> => {
    let known = newestRecorded.get(key);
    if (!known) {
      known = cache.get(newestKey(key)).then((entry) => entry?.version, () => undefined);
      newestRecorded.set(key, known);
    }
    return known;
  };
  const record = async (key: AbsolutePath, version: string | undefined): Promise<void> => {
    if (!version || (await recorded(key)) === version) return;
    newestRecorded.set(key, Promise.resolve(version));
    await cache.put(newestKey(key), new Uint8Array(0), version);
  };
  const usable = async (key: AbsolutePath, version: string): Promise<boolean> => {
    if (!versions || !version) return true;
    const pinned = versions.get(key);
    if (pinned !== undefined) return pinned === version;
    const newest = await recorded(key);
    if (newest !== undefined && newest !== version) return false;
    try {
      versions.check(key, version);
      return true;
    } catch {
      return false; // pinned meanwhile, to another version
    }
  };
  // Concurrent requests for the same bytes share one fetch. It runs under its own signal, aborted
  // only when every caller waiting on it has given up, so one caller's cancel never fails another.
  const inFlight = new Map<string, SharedFetch>();
  const through = async (key: AbsolutePath, range: RangeQuery | undefined, opts: GetOptions | undefined): Promise<Uint8Array | undefined> => {
    const signal = opts?.signal;
    signal?.throwIfAborted();
    const cacheKey = `${prefix}${key}\n${rangeKey(range)}`;
    let shared = inFlight.get(cacheKey);
    if (!shared) {
      const controller = new AbortController();
      const result = fetchThrough(cacheKey, key, range, { ...opts, signal: controller.signal }).finally(() => {
        if (inFlight.get(cacheKey) === shared) inFlight.delete(cacheKey);
      });
      result.catch(() => {}); // its waiters see the error; one that left must not leave it unhandled
      shared = { result, controller, waiting: 0, callers: 0 };
      inFlight.set(cacheKey, shared);
    }
    const ticket = shared.callers++;
    shared.waiting++;
    try {
      const bytes = await untilAborted(shared.result, signal);
      // Callers may transfer or reuse what they get: each gets its own buffer.
      return ticket === 0 || !bytes ? bytes : bytes.slice();
    } finally {
      if (--shared.waiting === 0 && signal?.aborted) {
        // the last waiter gave up: stop the fetch, and let later callers start a fresh one
        if (inFlight.get(cacheKey) === shared) inFlight.delete(cacheKey);
        shared.controller.abort(signal.reason);
      }
    }
  };
  const fetchThrough = async (cacheKey: string, key: AbsolutePath, range: RangeQuery | undefined, opts: GetOptions | undefined): Promise<Uint8Array | undefined> => {
    const hit = await cache.get(cacheKey);
    if (hit && (await usable(key, hit.version))) {
      stats.cacheRequests++;
      stats.cacheBytes += hit.payload.length;
      return hit.payload;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = range ? await counted.getRange(key, range, opts) : await counted.get(key, opts);
    } catch (error) {
      if (isSourceError(error, 'changed')) await record(key, versions?.newest(key));
      throw error;
    }
    await record(key, versions?.get(key));
    if (bytes) await cache.put(cacheKey, bytes, versions?.get(key) ?? '');
    return bytes;
  };
  return {
    label: store.label,
    validator: store.validator,
    ...(versions ? { versions } : {}),
    get: (key, opts) => through(key, undefined, opts),
    getRange: (key, range, opts) => through(key, range, opts),
    ...(store.list ? { list: store.list.bind(store) } : {}),
  };
}
