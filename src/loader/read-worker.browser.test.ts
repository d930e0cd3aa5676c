// SourceErrors thrown inside a browser read worker reach the caller unchanged.
import { describe, expect, it } from 'vitest';
import { expectSameSourceError, goodStore, missingStore, missingStoreError, rejection } from '../rpc/worker-errors.testkit.ts';
import { isTrvaeError } from '../errors.ts';
import { SourceError } from '../source/errors.ts';
import { spawnReadWorker } from './read-workers.ts';

describe('errors from a read worker', () => {
  it('a missing store, and a row run out of range', async () => {
    const expected = await missingStoreError();
    const worker = spawnReadWorker('test read');
    try {
      expectSameSourceError(await rejection(worker.api.open(missingStore, {})), expected);
      await worker.api.open(goodStore, {});
      const outOfRange = await rejection(worker.api.read([{ start: 40, end: 60 }], {}));
      expect(outOfRange).toBeInstanceOf(SourceError);
      expect(isTrvaeError(outOfRange, 'invalid-argument')).toBe(true);
      expect((outOfRange as Error).message).toMatch(/row run 0 \[40, 60\) .* outside \[0, 50\)/);
    } finally {
      worker.terminate();
    }
  });
});
