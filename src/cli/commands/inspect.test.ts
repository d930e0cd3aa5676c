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
