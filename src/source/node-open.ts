// Local paths in Node: a directory is a zarr store, a file an .h5ad. Loaded by index.ts only in
// Node, through an import the browser bundler does not follow (it pulls in node:fs and h5wasm/node).

import { stat } from 'node:fs/promises';
import { SourceError } from './errors.ts';
import { openDirectoryStore } from './fs-store.ts';
import { openH5adPath } from './h5ad-node.ts';
import type { AnnDataSource, OpenSourceOptions, SourceStore } from './index.ts';

export async function openPath(path: string, options: OpenSourceOptions, openZarr: (store: SourceStore, options: OpenSourceOptions) => Promise<AnnDataSource>): Promise<AnnDataSource> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new SourceError('not-found', path, `${path} does not exist.`);
  if (info.isDirectory()) return openZarr(await openDirectoryStore(path), options);
  return openH5adPath(path, options);
}
