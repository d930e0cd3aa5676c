// The writer into OPFS (the app's "convert into the browser"): a store written with opfsSink reads
// back with zarrita through a store over the same OPFS directory.
import * as zarr from 'zarrita';
import { describe, expect, it } from 'vitest';
import type { CsrBlock } from '../source/types.ts';
import { writeAnnDataGroup } from './anndata-writer.ts';
import { opfsSink } from './sink.ts';
import { syntheticAnnData, syntheticRows } from './synthetic.ts';
import { writeConsolidatedRoot, type NodeMetadata } from './zarr-v3.ts';

function opfsStore(root: FileSystemDirectoryHandle) {
  const file = async (key: string): Promise<Uint8Array | undefined> => {
    const parts = key.slice(1).split('/');
    try {
      let dir = root;
      for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
      return new Uint8Array(await (await (await dir.getFileHandle(parts.at(-1)!)).getFile()).arrayBuffer());
    } catch {
      return undefined;
    }
  };
  return {
    get: (key: zarr.AbsolutePath) => file(key),
    async getRange(key: zarr.AbsolutePath, range: zarr.RangeQuery) {
      const bytes = await file(key);
      if (!bytes) return undefined;
      return 'suffixLength' in range ? bytes.slice(bytes.length - range.suffixLength) : bytes.slice(range.offset, range.offset + range.length);
    },
  };
}

describe('zarr v3 writer into OPFS', () => {
  it('writes a sharded AnnData store that zarrita reads back', async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(`convert-${Date.now()}.zarr`, { create: true });
    const spec = { nObs: 300, nVars: 200, nnzPerRow: 20, seed: 4 };
    const nodes: NodeMetadata = new Map();
    const sink = opfsSink(root);
    await writeAnnDataGroup(sink, nodes, '', syntheticAnnData(spec), { layout: { chunkRows: 16, shardBytes: 16 * 1024 } });
    await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
    const store = await zarr.withConsolidatedMetadata(opfsStore(root), { format: 'v3' });
    const group = await zarr.open.v3(store, { kind: 'group' });
    expect(group.attrs['encoding-type']).toBe('anndata');
    const expected: CsrBlock = syntheticRows(spec, 0, spec.nObs);
    const data = await zarr.get(await zarr.open.v3(group.resolve('X/data'), { kind: 'array' }));
    const indices = await zarr.get(await zarr.open.v3(group.resolve('X/indices'), { kind: 'array' }));
    const indptr = await zarr.get(await zarr.open.v3(group.resolve('X/indptr'), { kind: 'array' }));
    expect(Array.from(data.data as Float32Array)).toEqual(Array.from(expected.data));
    expect(Array.from(indices.data as Uint16Array)).toEqual(Array.from(expected.indices));
    expect(Array.from(indptr.data as Int32Array)).toEqual(Array.from(expected.indptr));
    await (await navigator.storage.getDirectory()).removeEntry(root.name, { recursive: true });
  });
});
