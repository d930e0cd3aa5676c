// Errors thrown inside the loader worker (or its nested read workers) reach the page as the same
// class with the same code, message and fields.
import { describe, expect, it } from 'vitest';
import { expectSameSourceError, goodStore, missingStore, missingStoreError, rejection } from '../rpc/worker-errors.testkit.ts';
import { open } from './client.ts';
import { LoaderParameterError, PredicateError } from './errors.ts';
import { parsePredicate } from './predicate.ts';

describe('errors from the loader worker', () => {
  it('a missing store, a bad parameter and a filter that does not parse', async () => {
    expectSameSourceError(await rejection(open(missingStore, { batchSize: 8, cache: false, workers: 1 })), await missingStoreError());

    const parameter = await rejection(open(goodStore, { batchSize: 0, cache: false, workers: 1 }));
    expect(parameter).toBeInstanceOf(LoaderParameterError);
    expect(parameter).toMatchObject({ name: 'LoaderParameterError', code: 'invalid-parameter', parameter: 'batchSize' });
    expect((parameter as Error).message).toMatch(/^batchSize: must be a positive integer, got 0/);

    const text = 'cell_type == NK and';
    const expected = await rejection(Promise.resolve().then(() => parsePredicate(text)));
    const filter = await rejection(open(goodStore, { batchSize: 8, cache: false, workers: 1, filter: text }));
    expect(filter).toBeInstanceOf(PredicateError);
    expect(filter).toMatchObject({ name: 'PredicateError', code: 'invalid-predicate', message: (expected as Error).message });
  });
});
