// Typed errors keep their class, code, message and fields across every kind of browser worker: the
// .h5ad worker, a read worker, the loader worker (with its nested read workers) and the convert
// worker. The expected error is what the same call throws on the page itself, where one can.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnConvertWorker } from '../convert/convert-worker.ts';
import { SaveCopyError } from '../convert/save-copy-error.ts';
import { isTrvaeError } from '../errors.ts';
import { open } from '../loader/client.ts';
import { LoaderParameterError, PredicateError } from '../loader/errors.ts';
import { parsePredicate } from '../loader/predicate.ts';
import { spawnReadWorker } from '../loader/read-workers.ts';
import { openSource, SourceError } from '../source/index.ts';

const servers = inject('fixtureServers');
const missing = `${servers.ok}/anndata/no-such.zarr`;
const good = `${servers.ok}/anndata/small-csr.zarr`;

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

async function fixtureFile(path: string): Promise<File> {
  const response = await fetch(`${servers.ok}/${path}`);
  return new File([await response.arrayBuffer()], path.split('/').pop()!);
}

/** What opening `input` on the page throws: the error every worker must hand back unchanged. */
const expectedMissing = (await rejection(openSource(missing))) as SourceError;

function expectSame(error: unknown, expected: SourceError): void {
  expect(error).toBeInstanceOf(SourceError);
  expect(error).toMatchObject({ name: 'SourceError', code: expected.code, location: expected.location, message: expected.message });
}

describe('errors across browser workers', () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('page-side reference: a missing store is a not-found SourceError naming the URL', () => {
    expect(expectedMissing).toBeInstanceOf(SourceError);
    expect(expectedMissing).toMatchObject({ code: 'not-found', location: missing });
  });

  it('the .h5ad worker: a file that is not HDF5, and an unknown obs column', async () => {
    const broken = await rejection(openSource(await fixtureFile('malformed/not-hdf5.h5ad')));
    expect(broken).toBeInstanceOf(SourceError);
    expect(broken).toMatchObject({ code: 'malformed', location: 'not-hdf5.h5ad' });
    expect((broken as Error).message).toMatch(/not-hdf5\.h5ad/);

    const source = await openSource(await fixtureFile('anndata/small-csr.h5ad'));
    cleanups.push(() => void source.close());
    const unknown = await rejection(source.readObs('no_such_column'));
    expect(unknown).toBeInstanceOf(SourceError);
    expect(unknown).toMatchObject({ code: 'invalid-argument', location: source.label });
    expect((unknown as Error).message).toMatch(/has no obs column 'no_such_column'/);
  });

  it('a read worker: a missing store, and a row run out of range', async () => {
    const worker = spawnReadWorker('test read');
    cleanups.push(() => worker.terminate());
    expectSame(await rejection(worker.api.open(missing, {})), expectedMissing);

    await worker.api.open(good, {});
    const outOfRange = await rejection(worker.api.read([{ start: 40, end: 60 }], {}));
    expect(outOfRange).toBeInstanceOf(SourceError);
    expect(isTrvaeError(outOfRange, 'invalid-argument')).toBe(true);
    expect((outOfRange as Error).message).toMatch(/row run 0 \[40, 60\) .* outside \[0, 50\)/);
  });

  it('the loader worker: a missing store, a bad parameter and a bad filter', async () => {
    expectSame(await rejection(open(missing, { batchSize: 8, cache: false, workers: 1 })), expectedMissing);

    const parameter = await rejection(open(good, { batchSize: 0, cache: false, workers: 1 }));
    expect(parameter).toBeInstanceOf(LoaderParameterError);
    expect(parameter).toMatchObject({ code: 'invalid-parameter', parameter: 'batchSize' });
    expect((parameter as Error).message).toMatch(/^batchSize: must be a positive integer, got 0/);

    const text = 'cell_type == NK and';
    const expectedFilter = (() => {
      try {
        parsePredicate(text);
      } catch (error) {
        return error as PredicateError;
      }
      throw new Error(`"${text}" parsed`);
    })();
    const filter = await rejection(open(good, { batchSize: 8, cache: false, workers: 1, filter: text }));
    expect(filter).toBeInstanceOf(PredicateError);
    expect(filter).toMatchObject({ name: 'PredicateError', code: 'invalid-predicate', message: expectedFilter.message });
  });

  it('the convert worker: a missing store, and a store name it refuses', async () => {
    const { api, worker } = spawnConvertWorker();
    cleanups.push(() => worker.terminate());
    expectSame(await rejection(api.save(missing, 'copy-of-missing', {})), expectedMissing);

    const name = await rejection(api.save(good, 'bad/name', {}));
    expect(name).toBeInstanceOf(SaveCopyError);
    expect(name).toMatchObject({ code: 'invalid-name', message: `"bad/name" is not a valid store name (letters, digits, '.', '_' and '-')` });
  });
});
