// SourceErrors thrown inside the .h5ad worker reach the page as SourceErrors with their code,
// location and message.
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureFile, rejection } from '../rpc/worker-errors.testkit.ts';
import type { AnnDataSource } from './types.ts';
import { openSource, SourceError } from './index.ts';

const opened: AnnDataSource[] = [];
afterAll(() => Promise.all(opened.map((s) => s.close())));

describe('errors from the .h5ad worker', () => {
  it('a file that is not HDF5, and an unknown obs column', async () => {
    const broken = await rejection(openSource(await fixtureFile('malformed/not-hdf5.h5ad')));
    expect(broken).toBeInstanceOf(SourceError);
    expect(broken).toMatchObject({ name: 'SourceError', code: 'malformed', location: 'not-hdf5.h5ad' });
    expect((broken as Error).message).toMatch(/not-hdf5\.h5ad/);

    const source = await openSource(await fixtureFile('anndata/small-csr.h5ad'));
    opened.push(source);
    const unknown = await rejection(source.readObs('no_such_column'));
    expect(unknown).toBeInstanceOf(SourceError);
    expect(unknown).toMatchObject({ code: 'invalid-argument', location: source.label });
    expect((unknown as Error).message).toMatch(/has no obs column 'no_such_column'/);
  });

  it('a dropped file reports the obs column it cannot read and reads float64 X exactly, through the worker', async () => {
    const source = await openSource(await fixtureFile('anndata/modern.h5ad'));
    opened.push(source);
    expect(source.unreadableObsColumns).toEqual([{ name: 'ragged', encoding: 'awkward-array', reason: expect.stringContaining("'awkward-array'") }]);
    const expected = JSON.parse(await (await fixtureFile('anndata/modern.expected.json')).text()) as { X: { values: (number | string)[] } };
    const x = await source.readExactRows!([{ start: 0, end: 2 }, { start: 3, end: 6 }]);
    expect(x.format === 'dense' && x.values).toBeInstanceOf(Float64Array);
    const values = x.format === 'dense' ? Array.from(x.values as Float64Array) : [];
    const want = [0, 1, 3, 4, 5].flatMap((r) => expected.X.values.slice(r * 4, r * 4 + 4)).map((v) => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity));
    expect(values).toEqual(want);
  });

  it('a worker whose script does not load fails the open, naming the file, instead of waiting for ever', async () => {
    const file = await fixtureFile('anndata/small-csr.h5ad');
    const failed = await rejection(openSource(file, { createWorker: () => new Worker(new URL('/no-such-worker.js', location.href), { type: 'module' }) }));
    expect(failed).toMatchObject({ name: 'SourceError', code: 'server', location: 'small-csr.h5ad' });
    expect((failed as Error).message).toMatch(/The \.h5ad reader \(a web worker\) could not start.*Reload the page/);
  });
});
