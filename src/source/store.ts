// The byte store under every zarr reader: zarrita's AsyncReadable plus what a cache needs to key on.

import type { AbsolutePath, AsyncReadable, GetOptions, RangeQuery } from '@zarrita/storage';
import { SourceError } from './errors.ts';

export type { AbsolutePath, GetOptions, RangeQuery };

export interface SourceStore extends AsyncReadable {
  /** URL or directory, for messages and as the identity part of a cache key. */
  readonly label: string;
  /**
   * Version of the data behind the store: the ETag (else Last-Modified, else size) of its root
   * metadata for HTTP, mtime and size for a directory. A cache keyed on label + validator never
   * serves bytes of an older copy of the store. Empty when the host gives nothing to go on.
   */
  readonly validator: string;
  get(key: AbsolutePath, opts?: GetOptions): Promise<Uint8Array | undefined>;
  getRange(key: AbsolutePath, range: RangeQuery, opts?: GetOptions): Promise<Uint8Array | undefined>;
  /** Child names of a directory-like prefix, when the store can list (local directories can; HTTP cannot). */
  list?(prefix: AbsolutePath): Promise<string[] | undefined>;
  /**
   * The version of each file this store has read (ETag / Last-Modified over HTTP, mtime and size
   * locally), pinned at first sight: a later answer from another version is a 'changed' error.
   * The chunk cache pins the versions of the entries it serves here too.
   */
  readonly versions?: FileVersions;
  /**
   * The zarr format of the store's root, when opening it already found out (HTTP fetches a root
   * document to open): the tree then reads that format without asking for the other one's.
   */
  readonly zarrFormat?: ZarrFormat;
}

export type ZarrFormat = 2 | 3;

export interface FileVersions {
  /** The version pinned for `key`, if it was seen. */
  get(key: AbsolutePath): string | undefined;
  /** Pins `version` for `key` at first sight; throws a 'changed' SourceError when it differs from the pinned one. An empty version (the host gives none) is not checked. */
  check(key: AbsolutePath, version: string): void;
  /** The version the latest answer for `key` carried, even one that did not match the pin. */
  newest(key: AbsolutePath): string | undefined;
}

/** Pinned file versions of the store `label`; messages name `where(key)`. */
export function createFileVersions(label: string, where: (key: AbsolutePath) => string = (key) => `${label}${key}`): FileVersions {
  const pinned = new Map<AbsolutePath, string>();
  const latest = new Map<AbsolutePath, string>();
  return {
    get: (key) => pinned.get(key),
    newest: (key) => latest.get(key),
    check(key, version) {
      if (!version) return;
      latest.set(key, version);
      const seen = pinned.get(key);
      if (seen === undefined) pinned.set(key, version);
      else if (seen !== version) {
        const location = where(key);
        throw new SourceError(
          'changed',
          location,
          `the store changed while being read: ${location} was ${seen} and is now ${version}. Values read before and after the change would not belong together; open the store again.`,
        );
      }
    },
  };
}

/** Lets at most `limit` get/getRange calls of `store` be in flight; the rest queue in call order. */
export function withConcurrencyLimit<S extends SourceStore>(store: S, limit: number): S {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<void> => {
    if (active < limit) {
      active++;
      return Promise.resolve();
    }
    return new Promise((go) => waiting.push(go));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const limited = async <T>(run: () => Promise<T>): Promise<T> => {
    await acquire();
    try {
      return await run();
    } finally {
      release();
    }
  };
  return {
    ...store,
    label: store.label,
    validator: store.validator,
    ...(store.versions ? { versions: store.versions } : {}),
    get: (key, opts) => limited(() => store.get(key, opts)),
    getRange: (key, range, opts) => limited(() => store.getRange(key, range, opts)),
    ...(store.list ? { list: store.list.bind(store) } : {}),
  };
}
