// A zarr store over a local directory (Node only: the CLI and tests). Each file's mtime and size
// are pinned at first read: a file rewritten while the store is read is a 'changed' error.

import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { SourceError } from './errors.ts';
import { createFileVersions, type AbsolutePath, type RangeQuery, type SourceStore } from './store.ts';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** Open file handles kept for range reads (a shard is read many times per call), closed when idle. */
function handlePool(max: number, idleMs: number) {
  type Entry = { handle: Promise<FileHandle>; users: number; timer?: ReturnType<typeof setTimeout> };
  const entries = new Map<string, Entry>();
  const drop = (path: string, entry: Entry) => {
    entries.delete(path);
    void entry.handle.then((h) => h.close()).catch(() => {});
  };
  return {
    async use<T>(path: string, run: (handle: FileHandle) => Promise<T>): Promise<T> {
      let entry = entries.get(path);
      if (!entry) {
        entry = { handle: open(path, 'r'), users: 0 };
        entries.set(path, entry);
        entry.handle.catch(() => entries.delete(path));
        for (const [other, e] of entries) {
          if (entries.size <= max) break;
          if (e.users === 0 && other !== path) drop(other, e);
        }
      }
      clearTimeout(entry.timer);
      entry.users++;
      try {
        return await run(await entry.handle);
      } finally {
        entry.users--;
        if (entry.users === 0 && entries.get(path) === entry) {
          const idle = entry;
          idle.timer = setTimeout(() => drop(path, idle), idleMs);
          idle.timer.unref?.();
        }
      }
    },
  };
}

/** A file's version: a rewrite changes its mtime (and usually its size). */
const versionOf = (info: { mtimeMs: number; size: number }): string => `mtime ${new Date(info.mtimeMs).toISOString()}, ${info.size} bytes`;

export async function openDirectoryStore(directory: string): Promise<SourceStore> {
  const root = resolve(directory);
  const pathOf = (key: AbsolutePath): string => {
    const full = resolve(root, `.${key}`);
    if (full !== root && !full.startsWith(root + sep)) throw new SourceError('invalid-argument', root, `key ${key} escapes the store ${root}`);
    return full;
  };

  const handles = handlePool(64, 2000);
  const versions = createFileVersions(root, pathOf);
  let validator = '';
  for (const name of ['zarr.json', '.zmetadata', '.zgroup']) {
    const info = await stat(join(root, name)).catch(() => undefined);
    if (info?.isFile()) {
      validator = `mtime:${info.mtimeMs}:size:${info.size}`;
      break;
    }
  }
  if (!validator) {
    throw new SourceError('not-found', root, `${root} is not a zarr store: it has no zarr.json, .zmetadata or .zgroup. Pass the store's root folder (e.g. data.zarr).`);
  }

  return {
    label: root,
    validator,
    versions,
    async get(key) {
      let handle: FileHandle | undefined;
      try {
        handle = await open(pathOf(key), 'r');
        versions.check(key, versionOf(await handle.stat()));
        return new Uint8Array(await handle.readFile());
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      } finally {
        await handle?.close();
      }
    },
    async getRange(key, range: RangeQuery) {
      const path = pathOf(key);
      try {
        return await handles.use(path, async (handle) => {
          const info = await handle.stat();
          versions.check(key, versionOf(info));
          const size = info.size;
          // A suffix longer than the file (a shard cut before its index) is truncation too, not a short read.
          const offset = 'suffixLength' in range ? size - range.suffixLength : range.offset;
          const length = 'suffixLength' in range ? range.suffixLength : range.length;
          if (offset < 0 || offset + length > size) {
            throw new SourceError('malformed', path, `${path} has ${size} bytes, but the metadata asks for bytes ${offset}–${offset + length - 1}: the file is truncated.`);
          }
          const out = new Uint8Array(length);
          let done = 0;
          while (done < length) {
            const { bytesRead } = await handle.read(out, done, length - done, offset + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return out;
        });
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async list(prefix) {
      try {
        // Children of a zarr group are folders; files are metadata or chunks.
        const entries = await readdir(pathOf(prefix), { withFileTypes: true });
        return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
  };
}
