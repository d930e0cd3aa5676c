// In real Chromium: a dropped .h5ad File read lazily by the h5ad worker, and remote zarr stores on
// 127.0.0.1 servers — well-behaved and misbehaving (cross-origin, so CORS is really enforced).

import { afterAll, describe, expect, inject, it } from 'vitest';
import modernJson from '../../test/fixtures/anndata/modern.expected.json';
import expectedJson from '../../test/fixtures/anndata/small-csr.expected.json';
import { blockToDense, expectedCsrRows, expectedDenseRows, expectedToPlain, obsToPlain, type Expected } from '../../test/fixtures/expected.ts';
import { openSource, SourceError, type AnnDataSource, type ObsValues, type RowBlock } from './index.ts';

const csr = expectedJson as unknown as Expected;
const servers = inject('fixtureServers');
const opened: AnnDataSource[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

async function fixtureFile(path: string): Promise<File> {
  const response = await fetch(`${servers.ok}/${path}`);
  return new File([await response.arrayBuffer()], path.split('/').pop()!);
}

async function failure(run: () => Promise<unknown>): Promise<SourceError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('expected a SourceError');
}

const runs = [
  { start: 1, end: 5 },
  { start: 6, end: 8 },
  { start: 40, end: 49 },
];

describe('a dropped .h5ad File, read in the h5ad worker', () => {
  it.each(['anndata/small-csr.gzip.h5ad', 'anndata/small-csr.h5ad', 'anndata/small-csr.lzf.h5ad'])('%s reads like anndata', async (path) => {
    const source = await openSource(await fixtureFile(path), { maxReadBytes: 64 });
    opened.push(source);
    expect(source.nObs).toBe(50);
    expect(source.X).toMatchObject({ encoding: 'csr_matrix', nnz: csr.X.nnz });
    expect(await source.varNames()).toEqual(csr.var_names);
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type', 'passed_qc', 'barcode'] });
    if (block.format !== 'csr') throw new Error('expected CSR');
    const want = expectedCsrRows(csr.X, runs);
    expect(Array.from(block.indptr)).toEqual(want.indptr);
    expect(Array.from(block.indices)).toEqual(want.indices);
    expect(Array.from(block.data)).toEqual(want.data.map((v) => Math.fround(v)));
    for (const name of ['cell_type', 'passed_qc', 'barcode']) expect(obsToPlain(obs[name]!), name).toEqual(expectedToPlain(csr.obs[name]!, runs));
    expect(obsToPlain(await source.readObs('batch_id'))).toEqual(expectedToPlain(csr.obs.batch_id!));
    const counts = await source.readRows(runs, { layer: 'counts' });
    expect(blockToDense(counts.block)).toEqual(expectedDenseRows(csr.layers.counts!, runs));
  });

  it('errors keep their code across the worker boundary', async () => {
    expect(await failure(async () => openSource(await fixtureFile('malformed/flipped-metadata.h5ad')))).toMatchObject({ code: 'corrupt', message: expect.stringContaining('is damaged') });
    expect(await failure(async () => openSource(await fixtureFile('malformed/truncated.h5ad')))).toMatchObject({ code: 'truncated' });
    expect(await failure(async () => openSource(await fixtureFile('malformed/not-hdf5.h5ad')))).toMatchObject({ code: 'malformed' });
    const ok = await openSource(await fixtureFile('anndata/small-csr.h5ad'));
    opened.push(ok);
    expect(await failure(() => ok.readRows([{ start: 0, end: 99 }]))).toMatchObject({ code: 'invalid-argument' });
  });
});

describe('a File opened inside a dedicated worker', () => {
  it('is read right there (no nested worker) and errors keep their code', async () => {
    const worker = new Worker(new URL('../../test/fixtures/open-in-worker.ts', import.meta.url), { type: 'module' });
    const ask = (file: File) =>
      new Promise<{ ok: boolean; nObs?: number; block?: RowBlock; obs?: Record<string, ObsValues>; code?: string; message?: string }>((resolve) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.postMessage({ file, runs });
      });
    try {
      const answer = await ask(await fixtureFile('anndata/small-csr.gzip.h5ad'));
      expect(answer.ok, answer.message).toBe(true);
      expect(answer.nObs).toBe(50);
      expect(blockToDense(answer.block!)).toEqual(expectedDenseRows(csr.X, runs).map((v) => Math.fround(v)));
      expect(obsToPlain(answer.obs!.cell_type!)).toEqual(expectedToPlain(csr.obs.cell_type!, runs));
      expect(await ask(await fixtureFile('malformed/truncated.h5ad'))).toMatchObject({ ok: false, code: 'truncated' });
    } finally {
      worker.terminate();
    }
  });
});

describe('float16 X (cast to float32)', () => {
  it.each([
    ['zarr v2 by URL (Chromium has Float16Array)', async () => `${servers.ok}/anndata/half.zarr`],
    ['a dropped .h5ad', async () => fixtureFile('anndata/half.h5ad')],
  ])('%s', async (_, input) => {
    const source = await openSource(await input());
    opened.push(source);
    expect(source.X).toMatchObject({ encoding: 'csr_matrix', dtype: 'float16' });
    const { block } = await source.readRows([{ start: 0, end: 6 }]);
    expect(block.format === 'csr' && block.data).toBeInstanceOf(Float32Array);
    expect(blockToDense(block)).toEqual(modernJson.half.values);
  });
});

describe('a zipped zarr store (.zarr.zip)', () => {
  it.each([
    ['dropped as a File', async () => fixtureFile('anndata/small-csr.zarr.zip')],
    ['by URL, from another origin', async () => `${servers.ok}/anndata/small-csr.zarr.zip`],
  ])('%s is found by its zip signature and read', async (_, input) => {
    const source = await openSource(await input());
    opened.push(source);
    expect(source.X).toMatchObject({ encoding: 'csr_matrix', nnz: csr.X.nnz });
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type'] });
    expect(blockToDense(block)).toEqual(expectedDenseRows(csr.X, runs).map((v) => Math.fround(v)));
    expect(obsToPlain(obs.cell_type!)).toEqual(expectedToPlain(csr.obs.cell_type!, runs));
  });
});

describe('remote zarr from another origin', () => {
  it.each(['small-csr.zarr', 'small-csr.v3.zarr', 'small-csr.collection.zarr'])('%s reads over CORS', async (name) => {
    const source = await openSource(`${servers.ok}/anndata/${name}`);
    opened.push(source);
    const { block } = await source.readRows([{ start: 0, end: 50 }]);
    expect(block.nRows).toBe(50);
    if (name === 'small-csr.collection.zarr') return; // rows are shuffled; compared in Node
    expect(blockToDense(block)).toEqual(expectedDenseRows(csr.X, [{ start: 0, end: 50 }]).map((v) => Math.fround(v)));
  });

  it.each([
    ['no-cors', 'cors', /answered, but the browser did not let this page read .*CORS.*Access-Control-Allow-Origin.*npx trvae-web serve DIR/],
    ['ignore-range', 'range-unsupported', /ignored the Range header/],
    ['no-content-range', 'range-unsupported', /Content-Range/],
    ['truncate', 'truncated', /broke|announced/],
    ['short-body', 'truncated', /short/],
    ['status-403', 'forbidden', /403/],
    ['status-404', 'not-found', /No AnnData store/],
    ['status-500', 'server', /500/],
  ] as const)('a server with fault %s gives %s', async (variant, code, message) => {
    const error = await failure(async () => {
      const source = await openSource(`${servers[variant]}/anndata/small-csr.v3.zarr`);
      opened.push(source);
      await source.readRows([{ start: 0, end: 50 }]);
    });
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});
