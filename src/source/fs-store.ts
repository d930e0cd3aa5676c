// A zarr store over a local directory (Node only: the CLI and tests).

import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { SourceError } from './errors.ts';
import type { AbsolutePath, RangeQuery, SourceStore } from './store.ts';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

export async function openDirectoryStore(directory: string): Promise<SourceStore> {
  const root = resolve(directory);
  const pathOf = (key: AbsolutePath): string => {
    const full = resolve(root, `.${key}`);
    if (full !== root && !full.startsWith(root + sep)) throw new SourceError('invalid-argument', root, `key ${key} escapes the store ${root}`);
    return full;
  };

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
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async getRange(key, range: RangeQuery) {
      let handle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      try {
        const size = (await handle.stat()).size;
        const offset = 'suffixLength' in range ? Math.max(0, size - range.suffixLength) : range.offset;
        const length = 'suffixLength' in range ? size - offset : range.length;
        if (offset + length > size) {
          throw new SourceError('malformed', pathOf(key), `${pathOf(key)} has ${size} bytes, but the metadata asks for bytes ${offset}–${offset + length - 1}: the file is truncated.`);
        }
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(out, done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return out;
      } finally {
        await handle.close();
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
