// Typed errors through real comlink boundaries in Node: a Node read worker thread (the CLI's and the
// benchmarks' pool), and a MessageChannel for the wire format's corner cases (fields, causes, an
// unregistered class, plain errors and values).
import { join } from 'node:path';
import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelInputError } from '../cpu/errors.ts';
import { isTrvaeError, TrvaeError } from '../errors.ts';
import { spawnNodeReadWorker } from '../loader/node-workers.ts';
import type { SpawnedWorker } from '../loader/worker-pool.ts';
import { NonFiniteLossError } from '../model/train/step-runner.ts';
import { SourceError } from '../source/errors.ts';
import { registerErrorClasses } from './errors.ts';
import { exposeWorkerApi, wrapWorkerApi } from './expose.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/anndata');

/** The rejection of `work` (fails the test when it resolves). */
async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('errors from a Node read worker thread', () => {
  let worker: SpawnedWorker;
  beforeAll(() => {
    worker = spawnNodeReadWorker();
  });
  afterAll(() => worker?.terminate());

  it('a missing store arrives as the SourceError the worker threw: class, code, location, message', async () => {
    const missing = join(fixtures, 'no-such.zarr');
    const error = await rejection(worker.api.open(missing, {}));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ name: 'SourceError', code: 'not-found', location: missing, message: `${missing} does not exist.` });
  });

  it('a bad row run after a good open arrives as an invalid-argument SourceError', async () => {
    await worker.api.open(join(fixtures, 'small-csr.zarr'), {});
    const error = await rejection(worker.api.read([{ start: 40, end: 60 }], {}));
    expect(isTrvaeError(error, 'invalid-argument')).toBe(true);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/row run 0 \[40, 60\) .* outside \[0, 50\)/);
  });
});

class UnregisteredTestError extends TrvaeError {
  override readonly name = 'UnregisteredTestError';
  readonly code = 'test-only';
  readonly rows = [3, 4];
}

describe('the error transfer over a MessageChannel', () => {
  const channel = new MessageChannel();
  const thrown: { value: unknown } = { value: undefined };
  exposeWorkerApi(
    {
      fail() {
        throw thrown.value;
      },
    },
    channel.port1 as Comlink.Endpoint,
  );
  const remote = wrapWorkerApi<{ fail(): void }>(channel.port2 as Comlink.Endpoint);
  afterAll(() => {
    remote[Comlink.releaseProxy]();
    channel.port1.close();
  });
  const across = (value: unknown) => {
    thrown.value = value;
    return rejection(Promise.resolve(remote.fail()));
  };

  it('a registered class keeps its fields, including non-finite numbers', async () => {
    registerErrorClasses({ NonFiniteLossError });
    const error = await across(new NonFiniteLossError('kl', 120, Number.NaN, 119));
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'NonFiniteLossError', code: 'non-finite-loss', term: 'kl', step: 120, lastGoodStep: 119 });
    expect((error as NonFiniteLossError).value).toBeNaN();
    expect((error as Error).message).toBe(new NonFiniteLossError('kl', 120, Number.NaN, 119).message);
    expect((error as Error).stack).toContain('errors.test.ts');
  });

  it('a cause crosses too, as its own class', async () => {
    const cause = new KernelInputError('indices', 'index 70 ≥ nVars 50');
    const error = await across(new SourceError('malformed', 'data.zarr', 'data.zarr: X/indices out of range', { cause }));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'malformed', location: 'data.zarr' });
    expect((error as Error).cause).toBeInstanceOf(KernelInputError);
    expect((error as Error).cause).toMatchObject({ input: 'indices', code: 'invalid-input', message: 'indices: index 70 ≥ nVars 50' });
  });

  it('an unregistered class arrives as a TrvaeError with its name, code, message and fields', async () => {
    const error = await across(new UnregisteredTestError('only in this test'));
    expect(error).not.toBeInstanceOf(UnregisteredTestError);
    expect(isTrvaeError(error, 'test-only')).toBe(true);
    expect(error).toMatchObject({ name: 'UnregisteredTestError', message: 'only in this test', rows: [3, 4] });
  });

  it('other errors keep their built-in class and message; other values arrive as they are', async () => {
    const error = await across(new TypeError('not a function'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'not a function' });
    expect(isTrvaeError(error)).toBe(false);
    expect(await across('a plain string')).toBe('a plain string');
  });
});
