// Where cache entries live: OPFS in the browser (sync access handles in a dedicated worker,
// the async File API elsewhere), or a local directory in Node (same cache code above it).

export interface CacheFile {
  readonly name: string;
  readonly size: number;
  /** ms since epoch; orders the LRU after a reload. */
  readonly lastModified: number;
}

export interface CacheBackend {
  readonly kind: 'opfs' | 'directory';
  list(): Promise<CacheFile[]>;
  read(name: string): Promise<Uint8Array | undefined>;
  /** May throw a QuotaExceededError (DOMException) when storage is full. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  remove(name: string): Promise<void>;
  /** Origin-wide usage and quota (navigator.storage.estimate()), when the platform reports it. */
  estimate(): Promise<{ usage: number; quota: number } | undefined>;
}

export function isQuotaExceeded(error: unknown): boolean {
  const e = error as { name?: string; code?: string } | null;
  return e?.name === 'QuotaExceededError' || e?.code === 'ENOSPC' || e?.code === 'EDQUOT';
}

type SyncHandle = {
  getSize(): number;
  read(buffer: Uint8Array, options?: { at: number }): number;
  write(buffer: Uint8Array, options?: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
};
type SyncCapableFileHandle = FileSystemFileHandle & { createSyncAccessHandle?: (options?: { mode?: string }) => Promise<SyncHandle> };

/**
 * How long one OPFS call may stay pending before it counts as failed. Chromium can leave one
 * pending for good: seen as sync access handles never created, while other workers of the page
 * read and wrote entries of the same folder, which stalled a cold epoch with idle CPU. A cache
 * must never hang a read: a read that times out is a miss, a write a skipped write.
 */
export const opfsCallTimeoutMs = 20_000;

/** `promise`, or a TimeoutError after `ms`; `onLate` receives a value that arrives after that (to close a handle). */
function withinTimeout<T>(ms: number, what: string, promise: Promise<T>, onLate?: (value: T) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      const error = new DOMException(`OPFS ${what} did not finish within ${ms / 1000} s`, 'TimeoutError');
      console.warn(`${error.message}; the chunk cache goes on without it`);
      reject(error);
    }, ms);
  });
  promise.then((value) => void (timedOut && onLate?.(value)), () => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const closeLate = (access: SyncHandle): void => access.close();

const inDedicatedWorker = typeof self !== 'undefined' && typeof (self as { importScripts?: unknown }).importScripts === 'function' && typeof document === 'undefined';

/** An OPFS directory (default: <origin root>/trvae-cache). `callTimeoutMs`: see opfsCallTimeoutMs. */
export async function opfsBackend(dirName = 'trvae-cache', { callTimeoutMs = opfsCallTimeoutMs }: { readonly callTimeoutMs?: number } = {}): Promise<CacheBackend> {
  const within = <T>(what: string, promise: Promise<T>, onLate?: (value: T) => void): Promise<T> => withinTimeout(callTimeoutMs, what, promise, onLate);
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(dirName, { create: true });
  const useSync = inDedicatedWorker;
  return {
    kind: 'opfs',
    async list() {
      const out: CacheFile[] = [];
      for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (handle.kind !== 'file') continue;
        // another worker sharing the directory may remove an entry between listing and reading it
        const file = await (handle as FileSystemFileHandle).getFile().catch(() => undefined);
        if (file) out.push({ name, size: file.size, lastModified: file.lastModified });
      }
      return out;
    },
    async read(name) {
      // any failure (missing, removed meanwhile by another worker, locked) is a cache miss
      try {
        const handle = (await within(`opening ${name}`, dir.getFileHandle(name))) as SyncCapableFileHandle;
        if (useSync && handle.createSyncAccessHandle) {
          // read-only handles do not take the exclusive lock, so several workers can read one entry
          const access = await within(`a read handle on ${name}`, handle.createSyncAccessHandle({ mode: 'read-only' }), closeLate).catch(() => undefined);
          if (access) {
            try {
              const bytes = new Uint8Array(access.getSize());
              access.read(bytes, { at: 0 });
              return bytes;
            } finally {
              access.close();
            }
          }
        }
        return new Uint8Array(await within<ArrayBuffer>(`reading ${name}`, handle.getFile().then((file) => file.arrayBuffer())));
      } catch {
        return undefined;
      }
    },
    async write(name, bytes) {
      const handle = (await within(`creating ${name}`, dir.getFileHandle(name, { create: true }))) as SyncCapableFileHandle;
      if (useSync && handle.createSyncAccessHandle) {
        const access = await within(`a write handle on ${name}`, handle.createSyncAccessHandle(), closeLate);
        try {
          access.truncate(0);
          const written = access.write(bytes, { at: 0 });
          if (written !== bytes.length) throw new DOMException(`wrote ${written} of ${bytes.length} bytes`, 'QuotaExceededError');
          access.flush();
        } finally {
          access.close();
        }
        return;
      }
      const writable = await within(`a writable on ${name}`, handle.createWritable(), (late) => void late.abort().catch(() => {}));
      await within(`writing ${name}`, writable.write(bytes as Uint8Array<ArrayBuffer>).then(() => writable.close()));
    },
    async remove(name) {
      await within(`removing ${name}`, dir.removeEntry(name)).catch(() => {});
    },
    async estimate() {
      const e = await navigator.storage.estimate();
      return e.quota === undefined ? undefined : { usage: e.usage ?? 0, quota: e.quota };
    },
  };
}

const tempSuffix = '.tmp';
/** A temp file older than this was left by a writer that crashed; a live write takes milliseconds. */
const staleTempMs = 10 * 60_000;

async function removeStaleTempFiles(fs: typeof import('node:fs/promises'), join: (...parts: string[]) => string, path: string): Promise<void> {
  const now = Date.now();
  for (const name of await fs.readdir(path)) {
    if (!name.endsWith(tempSuffix)) continue;
    const s = await fs.stat(join(path, name)).catch(() => undefined);
    if (s?.isFile() && now - s.mtimeMs > staleTempMs) await fs.rm(join(path, name), { force: true });
  }
}

/** A local directory (Node): the stand-in for OPFS in the CLI and benchmarks. */
export async function directoryBackend(path: string): Promise<CacheBackend> {
  const fs = await import('node:fs/promises');
  const { join } = await import('node:path');
  await fs.mkdir(path, { recursive: true });
  await removeStaleTempFiles(fs, join, path);
  return {
    kind: 'directory',
    async list() {
      const names = await fs.readdir(path);
      const out: CacheFile[] = [];
      for (const name of names) {
        const s = await fs.stat(join(path, name)).catch(() => undefined);
        if (s?.isFile()) out.push({ name, size: s.size, lastModified: s.mtimeMs });
      }
      return out;
    },
    async read(name) {
      try {
        const b = await fs.readFile(join(path, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch {
        return undefined;
      }
    },
    async write(name, bytes) {
      // write then rename: a crash never leaves a half-written entry under the final name
      // a random name: worker threads share the pid and the directory, and may write one entry at once
      const tmp = join(path, `${name}.${crypto.randomUUID()}${tempSuffix}`);
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, join(path, name));
    },
    async remove(name) {
      await fs.rm(join(path, name), { force: true });
    },
    async estimate() {
      const s = await fs.statfs(path).catch(() => undefined);
      return s ? { usage: 0, quota: s.bavail * s.bsize } : undefined;
    },
  };
}
