// A local copy in OPFS (written by the convert worker the app uses) reads exactly like the
// anndata-written original; a truncated copy or one rewritten mid-read gives a clear error.
import * as Comlink from 'comlink';
import { afterAll, describe, expect, inject, it } from 'vitest';
import expectedJson from '../../test/fixtures/anndata/small-csr.expected.json';
import { expectedCsrRows, expectedToPlain, obsToPlain, type Expected } from '../../test/fixtures/expected.ts';
import { spawnConvertWorker } from '../convert/convert-worker.ts';
import { openSource, SourceError } from './index.ts';
import { opfsStoresFolder } from './opfs-store.ts';

const csr = expectedJson as unknown as Expected;
const servers = inject('fixtureServers');
const runs = [
  { start: 0, end: 3 },
  { start: 10, end: 12 },
  { start: 45, end: 50 },
];

async function stores(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
}

afterAll(async () => {
  await (await navigator.storage.getDirectory()).removeEntry(opfsStoresFolder, { recursive: true }).catch(() => {});
});

describe('local copies in OPFS', () => {
  it('a copy saved by the convert worker reads value for value like the original h5ad', async () => {
    const file = new File([await (await fetch(`${servers.ok}/anndata/small-csr.gzip.h5ad`)).arrayBuffer()], 'small.h5ad');
    const { worker, api } = spawnConvertWorker();
    const phases = new Set<string>();
    const summary = await api.save(file, 'small.zarr', {}, Comlink.proxy((p: { phase: string }) => phases.add(p.phase)));
    expect(summary).toMatchObject({ nObs: 50, encoding: 'csr_matrix' });
    expect(phases.has('writing')).toBe(true);
    await expect(api.save(file, 'small.zarr', {})).rejects.toThrow(/already exists/);
    await expect(api.save(file, 'bad/name', {})).rejects.toThrow(/not a valid store name/);
    worker.terminate();

    const source = await openSource({ opfs: 'small.zarr' });
    expect(source.label).toBe('opfs:stores/small.zarr');
    expect(source.nObs).toBe(50);
    expect(await source.varNames()).toEqual(csr.var_names);
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type', 'passed_qc'] });
    if (block.format !== 'csr') throw new Error('expected CSR');
    const want = expectedCsrRows(csr.X, runs);
    expect(Array.from(block.indptr)).toEqual(want.indptr);
    expect(Array.from(block.indices)).toEqual(want.indices);
    expect(Array.from(block.data)).toEqual(want.data.map((v) => Math.fround(v)));
    for (const name of ['cell_type', 'passed_qc']) expect(obsToPlain(obs[name]!), name).toEqual(expectedToPlain(csr.obs[name]!, runs));
    await source.close();
  });

  it('a file rewritten while the copy is read stops the read: the store changed', async () => {
    const source = await openSource({ opfs: 'small.zarr' });
    await source.readRows(runs);
    const indices = await (await (await (await stores()).getDirectoryHandle('small.zarr')).getDirectoryHandle('X')).getDirectoryHandle('indices');
    const shard = await (await indices.getDirectoryHandle('c')).getFileHandle('0');
    const bytes = await (await shard.getFile()).arrayBuffer();
    await new Promise((done) => setTimeout(done, 20)); // a later lastModified
    const writable = await shard.createWritable();
    await writable.write(bytes); // the same bytes, a new version of the file
    await writable.close();
    await expect(source.readRows(runs)).rejects.toMatchObject({ code: 'changed', message: expect.stringMatching(/the store changed while being read: opfs:stores\/small\.zarr\/X\/indices\/c\/0 was modified/) });
    await source.close();
  });

  it('a missing store and a truncated shard are clear errors', async () => {
    await expect(openSource({ opfs: 'nope.zarr' })).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('no local store named "nope.zarr"') });
    // Cut the last shard of X/data short: its index (at the end) is gone.
    const data = await (await (await (await stores()).getDirectoryHandle('small.zarr')).getDirectoryHandle('X')).getDirectoryHandle('data');
    const shardDir = await data.getDirectoryHandle('c');
    let shard: FileSystemFileHandle | undefined;
    for await (const handle of (shardDir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) if (handle.kind === 'file') shard = handle as FileSystemFileHandle;
    if (!shard) throw new Error('no shard file');
    const writable = await shard.createWritable({ keepExistingData: true });
    await writable.truncate(10);
    await writable.close();
    const source = await openSource({ opfs: 'small.zarr' });
    const error = await source.readRows(runs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/small\.zarr/);
    await source.close();
  });
});
