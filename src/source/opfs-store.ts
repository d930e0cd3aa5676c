// A zarr store in the browser's Origin Private File System (a local copy written by the app's
// convert), read by File slices: works on the page and in workers.

import { SourceError } from './errors.ts';
import { createFileVersions, type AbsolutePath, type RangeQuery, type SourceStore } from './store.ts';

/** Root folder of the app's local stores inside OPFS. */
export const opfsStoresFolder = 'stores';

const isMissing = (error: unknown): boolean => {
  const name = (error as DOMException | null)?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
};

async function fileAt(root: FileSystemDirectoryHandle, key: AbsolutePath): Promise<File | undefined> {
  const parts = key.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.')) return undefined;
  try {
    let dir = root;
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
    return await (await dir.getFileHandle(parts[parts.length - 1] as string)).getFile();
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** The folder `opfs:stores/<name>` as a zarr store. */
export async function openOpfsStore(name: string): Promise<SourceStore> {
  const label = `opfs:${opfsStoresFolder}/${name}`;
  if (!name || name.includes('/') || name === '..' || name === '.') throw new SourceError('invalid-argument', label, `"${name}" is not a store name`);
  let root: FileSystemDirectoryHandle;
  try {
    root = await (await (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder)).getDirectoryHandle(name);
  } catch (error) {
    if (isMissing(error)) throw new SourceError('not-found', label, `this browser has no local store named "${name}"`);
    throw error;
  }
  const meta = (await fileAt(root, '/zarr.json')) ?? (await fileAt(root, '/.zmetadata')) ?? (await fileAt(root, '/.zgroup'));
  if (!meta) throw new SourceError('not-found', label, `${label} is not a zarr store: it has no zarr.json, .zmetadata or .zgroup`);
  // Each file's version is pinned at first read: a local copy rewritten meanwhile is a 'changed' error.
  const versions = createFileVersions(label);
  const pinned = (key: AbsolutePath, file: File | undefined): File | undefined => {
    if (file) versions.check(key, `modified ${new Date(file.lastModified).toISOString()}, ${file.size} bytes`);
    return file;
  };
  return {
    label,
    validator: `mtime:${meta.lastModified}:size:${meta.size}`,
    versions,
    async get(key) {
      const file = pinned(key, await fileAt(root, key));
      return file ? new Uint8Array(await file.arrayBuffer()) : undefined;
    },
    async getRange(key, range: RangeQuery) {
      const file = pinned(key, await fileAt(root, key));
      if (!file) return undefined;
      // A shard shorter than its index, or a range past the end: the copy is incomplete, never zeros.
      const start = 'suffixLength' in range ? file.size - range.suffixLength : range.offset;
      const end = 'suffixLength' in range ? file.size : range.offset + range.length;
      if (start < 0 || end > file.size) {
        const asked = 'suffixLength' in range ? `its last ${range.suffixLength} bytes` : `bytes ${start}–${end}`;
        throw new SourceError('truncated', label, `${label}${key} has ${file.size} bytes but ${asked} were needed: the local copy is incomplete; delete it and save it again`);
      }
      return new Uint8Array(await file.slice(start, end).arrayBuffer());
    },
    async list(prefix) {
      try {
        let dir = root;
        for (const part of prefix.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part);
        const names: string[] = [];
        for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
        return names;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
  };
}
