import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { afterAll, describe, expect, it } from 'vitest';
import type { CsrBlock } from '../source/types.ts';
import { crc32c } from '../source/crc32c.ts';
import { writeAnnDataGroup, type AnnDataInput } from './anndata-writer.ts';
import { directorySink } from './sink.ts';
import { writeConsolidatedRoot, type NodeMetadata } from './zarr-v3.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function randomCsr(nRows: number, nCols: number, seed: number): CsrBlock {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const indptr = new Int32Array(nRows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      if (rand() < 0.1) {
        indices.push(c);
        data.push(1 + Math.floor(rand() * 9));
      }
    }
    indptr[r + 1] = indices.length;
  }
  return { format: 'csr', nRows, nCols, indptr, indices: Uint16Array.from(indices), data: Float32Array.from(data) };
}

describe('zarr v3 sharded AnnData writer', () => {
  it('crc32c matches the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('writes a store that zarrita reads back exactly (sharding, blosc, vlen-utf8, consolidated)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trvae-writer-'));
    dirs.push(dir);
    const nObs = 1000;
    const nVars = 300;
    const X = randomCsr(nObs, nVars, 1);
    const half = 600;
    const input: AnnDataInput = {
      nObs,
      nVars,
      X: {
        encoding: 'csr_matrix',
        nnz: X.indptr[nObs]!,
        blocks: (async function* () {
          const slice = (a: number, b: number): CsrBlock => ({
            format: 'csr',
            nRows: b - a,
            nCols: nVars,
            indptr: X.indptr.slice(a, b + 1),
            indices: X.indices,
            data: X.data,
          });
          yield slice(0, half);
          yield slice(half, nObs);
        })(),
      },
      obs: {
        index: Array.from({ length: nObs }, (_, i) => `cell_${i}`),
        columns: [
          { name: 'condition', values: { kind: 'categorical', codes: Int32Array.from({ length: nObs }, (_, i) => i % 3), categories: ['ctrl', 'stim', 'ünïcode'] } },
          { name: 'n_counts', dtype: 'int64', values: { kind: 'numeric', values: Float64Array.from({ length: nObs }, (_, i) => i * 2) } },
          { name: 'donor', values: { kind: 'string', values: Array.from({ length: nObs }, (_, i) => (i % 5 === 4 ? null : `d${i % 2}`)) } },
          { name: 'batch', dtype: 'int32', values: { kind: 'numeric', values: Float64Array.from({ length: nObs }, (_, i) => i % 3), mask: Uint8Array.from({ length: nObs }, (_, i) => (i === 7 ? 1 : 0)) } },
        ],
      },
      var: { index: Array.from({ length: nVars }, (_, i) => `gene_${i}`), columns: [] },
    };
    const sink = await directorySink(dir);
    const nodes: NodeMetadata = new Map();
    // tiny shards so the test crosses shard and inner-chunk boundaries and has a partial last shard
    await writeAnnDataGroup(sink, nodes, '', input, { layout: { chunkRows: 8, shardBytes: 4096 } });
    await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });

    const store = await zarr.withConsolidatedMetadata(new FileSystemStore(dir), { format: 'v3' });
    const root = await zarr.open.v3(store, { kind: 'group' });
    expect(root.attrs['encoding-type']).toBe('anndata');
    const data = await zarr.get(await zarr.open.v3(root.resolve('X/data'), { kind: 'array' }));
    const indices = await zarr.get(await zarr.open.v3(root.resolve('X/indices'), { kind: 'array' }));
    const indptr = await zarr.get(await zarr.open.v3(root.resolve('X/indptr'), { kind: 'array' }));
    expect(Array.from(data.data as Float32Array)).toEqual(Array.from(X.data));
    expect(indices.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(indices.data as Uint16Array)).toEqual(Array.from(X.indices));
    expect(Array.from(indptr.data as Int32Array)).toEqual(Array.from(X.indptr));
    const xGroup = await zarr.open.v3(root.resolve('X'), { kind: 'group' });
    expect(xGroup.attrs).toMatchObject({ 'encoding-type': 'csr_matrix', shape: [nObs, nVars] });
    const codes = await zarr.get(await zarr.open.v3(root.resolve('obs/condition/codes'), { kind: 'array' }));
    expect(codes.data).toBeInstanceOf(Int8Array);
    expect(Array.from(codes.data as Int8Array).slice(0, 4)).toEqual([0, 1, 2, 0]);
    const cats = await zarr.get(await zarr.open.v3(root.resolve('obs/condition/categories'), { kind: 'array' }));
    expect(Array.from(cats.data as unknown as string[])).toEqual(['ctrl', 'stim', 'ünïcode']);
    const names = await zarr.get(await zarr.open.v3(root.resolve('obs/_index'), { kind: 'array' }));
    expect((names.data as unknown as string[])[999]).toBe('cell_999');
    const counts = await zarr.get(await zarr.open.v3(root.resolve('obs/n_counts'), { kind: 'array' }));
    expect(counts.data).toBeInstanceOf(BigInt64Array);
    const obs = await zarr.open.v3(root.resolve('obs'), { kind: 'group' });
    expect(obs.attrs).toMatchObject({ 'encoding-type': 'dataframe', _index: '_index', 'column-order': ['condition', 'n_counts', 'donor', 'batch'] });
    // strings with missing values: a categorical with code −1 (what every anndata reads, lazily too)
    const donor = await zarr.open.v3(root.resolve('obs/donor'), { kind: 'group' });
    expect(donor.attrs).toMatchObject({ 'encoding-type': 'categorical', 'encoding-version': '0.2.0' });
    const donorCodes = await zarr.get(await zarr.open.v3(root.resolve('obs/donor/codes'), { kind: 'array' }));
    expect(Array.from(donorCodes.data as Int8Array).slice(0, 6)).toEqual([0, 1, 0, 1, -1, 1]);
    // the parts of a nullable column carry their own encoding, as anndata writes them
    for (const part of ['values', 'mask']) {
      const array = await zarr.open.v3(root.resolve(`obs/batch/${part}`), { kind: 'array' });
      expect(array.attrs).toMatchObject({ 'encoding-type': 'array', 'encoding-version': '0.2.0' });
    }

    // annbatch reads X/data and X/indices through one indexer built from data's shard grid
    const grid = async (name: string) => {
      const m = JSON.parse(await readFile(join(dir, `X/${name}/zarr.json`), 'utf8'));
      return [m.chunk_grid.configuration.chunk_shape, m.codecs[0].configuration.chunk_shape];
    };
    expect(await grid('indices')).toEqual(await grid('data'));

    // the shard index sits at the end: 16 bytes per inner chunk, then its crc32c
    const meta = JSON.parse(await readFile(join(dir, 'X/data/zarr.json'), 'utf8'));
    const perShard = meta.chunk_grid.configuration.chunk_shape[0] / meta.codecs[0].configuration.chunk_shape[0];
    const shard = await readFile(join(dir, 'X/data/c/0'));
    const index = shard.subarray(shard.length - 4 - 16 * perShard, shard.length - 4);
    expect(crc32c(index)).toBe(shard.readUInt32LE(shard.length - 4));
    const lastShard = Math.floor((X.data.length - 1) / meta.chunk_grid.configuration.chunk_shape[0]);
    const tail = await readFile(join(dir, `X/data/c/${lastShard}`));
    const tailIndex = new BigUint64Array(Uint8Array.from(tail.subarray(tail.length - 4 - 16 * perShard, tail.length - 4)).buffer);
    expect(tailIndex[tailIndex.length - 1]).toBe(2n ** 64n - 1n);
  });
});
