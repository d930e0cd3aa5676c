// Errors thrown inside the convert worker reach the page as the same class with the same code and
// message.
import { describe, expect, it } from 'vitest';
import { expectSameSourceError, goodStore, missingStore, missingStoreError, rejection } from '../rpc/worker-errors.testkit.ts';
import { spawnConvertWorker } from './convert-worker.ts';
import { SaveCopyError } from './save-copy-error.ts';

describe('errors from the convert worker', () => {
  it('a missing store, and a store name it refuses', async () => {
    const { api, worker } = spawnConvertWorker();
    try {
      expectSameSourceError(await rejection(api.save(missingStore, 'copy-of-missing', {})), await missingStoreError());
      const name = await rejection(api.save(goodStore, 'bad/name', {}));
      expect(name).toBeInstanceOf(SaveCopyError);
      expect(name).toMatchObject({ code: 'invalid-name', message: `"bad/name" is not a valid store name (letters, digits, '.', '_' and '-')` });
    } finally {
      worker.terminate();
    }
  });
});
