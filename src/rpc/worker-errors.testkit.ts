// Shared by the tests that throw errors inside real workers: each kind of worker has its own test
// file, so that a page-side module which forgot to install the error transfer is caught (every
// browser test file runs in a fresh page, where nothing else installed it).
import { expect, inject } from 'vitest';
import { openSource, SourceError } from '../source/index.ts';

const servers = inject('fixtureServers');
export const missingStore = `${servers.ok}/anndata/no-such.zarr`;
export const goodStore = `${servers.ok}/anndata/small-csr.zarr`;

/** The rejection of `work` (fails the test when it resolves). */
export async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

export async function fixtureFile(path: string): Promise<File> {
  const response = await fetch(`${servers.ok}/${path}`);
  return new File([await response.arrayBuffer()], path.split('/').pop()!);
}

/** What opening the missing store throws on the page itself: the error a worker must hand back unchanged. */
export async function missingStoreError(): Promise<SourceError> {
  const error = await rejection(openSource(missingStore));
  expect(error).toBeInstanceOf(SourceError);
  expect(error).toMatchObject({ code: 'not-found', location: missingStore });
  return error as SourceError;
}

export function expectSameSourceError(error: unknown, expected: SourceError): void {
  expect(error).toBeInstanceOf(SourceError);
  expect(error).toMatchObject({ name: 'SourceError', code: expected.code, location: expected.location, message: expected.message });
}
