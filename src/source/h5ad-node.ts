// An .h5ad file from a path, in Node (CLI, tests), read with h5wasm/node.

import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { openAnnData, type AnnDataOpenOptions } from './anndata.ts';
import { checkHdf5Header, h5Tree, hdf5Error, prepareH5wasm, type H5Native, type H5TreeOptions } from './h5-tree.ts';
import type { AnnDataSource } from './types.ts';

async function readHead(path: string): Promise<{ head: Uint8Array; size: number }> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const head = new Uint8Array(Math.min(size, 4096));
    await handle.read(head, 0, head.length, 0);
    return { head, size };
  } finally {
    await handle.close();
  }
}

/** Bytes of the file for chunks h5wasm cannot decode (lzf); short at the end of the file. */
async function readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const out = new Uint8Array(length);
    const { bytesRead } = await handle.read(out, 0, length, offset);
    return out.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function openH5adPath(path: string, options: AnnDataOpenOptions & H5TreeOptions = {}): Promise<AnnDataSource> {
  const full = resolve(path);
  const label = basename(full);
  const { head, size } = await readHead(full);
  const base = checkHdf5Header(head, size, label);
  const h5 = (await import('h5wasm/node')).default;
  const native = prepareH5wasm((await h5.ready) as unknown as H5Native);
  let file: InstanceType<typeof h5.File>;
  try {
    file = new h5.File(full, 'r');
  } catch (error) {
    throw hdf5Error(label, 'opening it', error);
  }
  const close = async () => {
    try {
      file.close();
    } catch {
      // A damaged file may fail to close too; the read's error is the one to report.
    }
  };
  try {
    return await openAnnData(h5Tree(h5, native, file, label, options, { read: (offset, length) => readRange(full, offset, length), base }), label, options, close);
  } catch (error) {
    await close();
    throw error;
  }
}
