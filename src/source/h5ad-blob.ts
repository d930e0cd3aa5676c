// An .h5ad File/Blob opened inside a worker: mounted with WORKERFS so HDF5 reads only the byte
// ranges it needs (a multi-GB file is never copied), then read with h5wasm's synchronous API —
// which is why this runs only in workers, never on the page's main thread.

import h5wasm, { FS } from 'h5wasm';
import { openAnnData, type AnnDataOpenOptions } from './anndata.ts';
import { checkHdf5Header, h5Tree, hdf5Error, prepareH5wasm, type H5Native, type H5TreeOptions } from './h5-tree.ts';
import type { AnnDataSource } from './types.ts';

let mounts = 0;

export async function openH5adBlobHere(blob: Blob, name: string, options: AnnDataOpenOptions & H5TreeOptions = {}): Promise<AnnDataSource> {
  const base = checkHdf5Header(new Uint8Array(await blob.slice(0, 4096).arrayBuffer()), blob.size, name);
  const read = async (offset: number, length: number) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
  const module = await h5wasm.ready;
  const native = prepareH5wasm(module as unknown as H5Native);
  const fs = FS ?? module.FS;
  const mountPoint = `/h5ad-${++mounts}`;
  fs.mkdir(mountPoint);
  fs.mount(fs.filesystems.WORKERFS!, { blobs: [{ name: 'data.h5ad', data: blob }] }, mountPoint);
  const unmount = () => {
    fs.unmount(mountPoint);
    fs.rmdir(mountPoint);
  };
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(`${mountPoint}/data.h5ad`, 'r');
  } catch (error) {
    unmount();
    throw hdf5Error(name, 'opening it', error);
  }
  const close = async () => {
    try {
      file.close();
    } catch {
      // A damaged file may fail to close too; the read's error is the one to report.
    }
    unmount();
  };
  try {
    return await openAnnData(h5Tree(h5wasm, native, file, name, options, { read, base }), name, options, close);
  } catch (error) {
    await close();
    throw error;
  }
}
