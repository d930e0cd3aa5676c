// Local paths in Node: a directory is a zarr store, a file a zipped zarr store (by its zip
// signature) or an .h5ad. Loaded by index.ts only in Node, through an import the browser bundler
// does not follow (it pulls in node:fs and h5wasm/node).

import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { SourceError } from './errors.ts';
import { openDirectoryStore } from './fs-store.ts';
import { openH5adPath } from './h5ad-node.ts';
import type { AnnDataSource, OpenSourceOptions, SourceStore } from './index.ts';
import { isZip, openZipStore, type ByteReader } from './zip-store.ts';

/** Reads of a file by range; each read opens the file, so nothing is left open when the source is dropped. */
function fileReader(path: string, size: number): ByteReader {
  return {
    size,
    async read(offset, length) {
      const handle = await open(path, 'r');
      try {
        const out = new Uint8Array(length);
        const { bytesRead } = await handle.read(out, 0, length, offset);
        if (bytesRead !== length) throw new SourceError('truncated', path, `${path} ended at byte ${offset + bytesRead}, before the ${length} bytes its zip directory points at.`);
        return out;
      } finally {
        await handle.close();
      }
    },
  };
}

export async function openPath(path: string, options: OpenSourceOptions, openZarr: (store: SourceStore, options: OpenSourceOptions) => Promise<AnnDataSource>): Promise<AnnDataSource> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new SourceError('not-found', path, `${path} does not exist.`);
  if (info.isDirectory()) return openZarr(await openDirectoryStore(path), options);
  const reader = fileReader(resolve(path), info.size);
  if (info.size >= 4 && isZip(await reader.read(0, 4))) {
    return openZarr(await openZipStore(reader, basename(path), `mtime:${info.mtimeMs}:size:${info.size}`), options);
  }
  return openH5adPath(path, options);
}
