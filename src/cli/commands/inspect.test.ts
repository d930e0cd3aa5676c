// `trvae-web inspect` and `trvae-web rows` run as a user runs them (the bin, a child process)
// against fixtures written by anndata, locally and over HTTP.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { expectedCsrRows, fixturesDir, type Expected } from '../../../test/fixtures/expected.ts';

const bin = new URL('../../../bin/trvae-web.mjs', import.meta.url).pathname;
const fixture = (name: string) => new URL(`anndata/${name}`, fixturesDir).pathname;
const csr = JSON.parse(readFileSync(fixture('small-csr.expected.json'), 'utf8')) as Expected;
const servers = inject('fixtureServers');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [bin, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('trvae-web inspect', { timeout: 30_000 }, () => {
  it.each([
    ['a local .h5ad', () => fixture('small-csr.gzip.h5ad')],
    ['a zarr store over HTTP', () => `${servers.ok}/anndata/small-csr.zarr`],
  ])('summarises %s as JSON', async (_, target) => {
    const { code, stdout } = await cli('inspect', target(), '--var-names', '5');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ n_obs: 50, n_vars: 30, X: { encoding: 'csr_matrix', dtype: 'float32', nnz: csr.X.nnz }, layers: { counts: { encoding: 'csr_matrix', dtype: 'int32' } } });
    expect(summary.var_names).toEqual(csr.var_names.slice(0, 5));
    const cellType = summary.obs.find((c: { name: string }) => c.name === 'cell_type');
    const want = csr.obs.cell_type!;
    if (want.kind !== 'categorical') throw new Error('cell_type should be categorical');
    expect(cellType).toMatchObject({ kind: 'categorical', categories: Object.fromEntries(want.categories.map((c, i) => [c, want.counts[i]])) });
    expect(summary.obs.map((c: { name: string; kind: string }) => [c.name, c.kind])).toEqual(Object.entries(csr.obs).map(([name, c]) => [name, c.kind]));
  });

  it('fails with exit code 1 and the reader\'s message on a broken input, 2 on bad usage', async () => {
    const broken = await cli('inspect', new URL('malformed/not-hdf5.h5ad', fixturesDir).pathname);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not an HDF5 file/);
    expect((await cli('inspect')).code).toBe(2);
  });
});

describe('trvae-web rows', { timeout: 30_000 }, () => {
  it('prints the CSR of rows of X and of a layer', async () => {
    const x = await cli('rows', fixture('small-csr.zarr'), '10', '20');
    expect(x.code).toBe(0);
    const want = expectedCsrRows(csr.X, [{ start: 10, end: 20 }]);
    const got = JSON.parse(x.stdout);
    expect(got.shape).toEqual([10, 30]);
    expect(got.indptr).toEqual(want.indptr);
    expect(got.indices).toEqual(want.indices);
    expect(got.data).toEqual(want.data.map((v) => Math.fround(v)));
    const counts = JSON.parse((await cli('rows', fixture('small-csr.h5ad'), '10', '20', '--layer', 'counts')).stdout);
    expect(counts.data).toEqual(expectedCsrRows(csr.layers.counts!, [{ start: 10, end: 20 }]).data);
  });

  it('rejects out-of-range rows and bad arguments', async () => {
    const out = await cli('rows', fixture('small-csr.zarr'), '40', '60');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/outside \[0, 50\)/);
    expect((await cli('rows', fixture('small-csr.zarr'), 'x', '3')).code).toBe(2);
  });
});

describe('trvae-web on files of anndata 0.11–0.14 and damaged ones', { timeout: 30_000 }, () => {
  it('prints float64 and int64 values exactly, and NaN and ±Inf so that Python reads them back', async () => {
    const x = await cli('rows', fixture('modern.h5ad'), '0', '3');
    expect(x.code).toBe(0);
    expect(x.stdout).toContain('"data":[0.1,0.3333333333333333,123456789.12345679,2.5,NaN,Infinity,-Infinity]');
    const counts = await cli('rows', fixture('modern.zarr'), '0', '1', '--layer', 'counts');
    expect(counts.stdout.trim()).toBe('{"shape":[1,4],"indptr":[0,3],"indices":[0,2,3],"data":[1,3,9007199254740993]}');
  });

  it('lists an obs column it cannot read instead of failing', async () => {
    const { code, stdout } = await cli('inspect', fixture('modern.v3.zarr'));
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.unreadable_obs).toEqual([{ name: 'ragged', encoding: 'awkward-array', reason: expect.stringContaining('does not know') }]);
    expect(summary.obs.find((c: { name: string }) => c.name === 'dose')).toMatchObject({ kind: 'categorical', categories: { '0.5': 2, '1.0': 1, '2.25': 2 } });
  });

  it('opens a zipped zarr store by its signature, not as an h5ad', async () => {
    const { code, stdout } = await cli('inspect', fixture('small-csr.zarr.zip'), '--var-names', '3');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ n_obs: 50, n_vars: 30, var_names: csr.var_names.slice(0, 3) });
  });

  it('says in one line that bit-flipped HDF5 metadata is damaged (no HDF5-DIAG, no abort)', async () => {
    const damaged = await cli('inspect', new URL('malformed/flipped-metadata.h5ad', fixturesDir).pathname);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual([expect.stringMatching(/^trvae-web inspect: flipped-metadata.h5ad is damaged: /)]);
  });
});
