// Range requests bypass the HTTP cache: Chromium can stitch cached partial (206) entries into a
// wrong answer to concurrent range requests, so the store asks for `cache: 'no-store'` itself.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openHttpStore } from './http-store.ts';

let server: StaticServer;

beforeAll(async () => {
  server = await startStaticServer(join(import.meta.dirname, '../../test/fixtures/anndata'));
});

afterAll(async () => server?.close());

describe('http store requests', () => {
  it('range requests are sent with cache: no-store; whole-file gets keep the default', async () => {
    const sent: Request[] = [];
    const store = await openHttpStore(`${server.url}/small-csr.v3.zarr`, { fetch: (r) => (sent.push(r), fetch(r)) });
    const bytes = await store.getRange('/X/data/c/0', { offset: 0, length: 16 });
    expect(bytes?.length).toBe(16);
    expect(sent.at(-1)!.headers.get('Range')).toBe('bytes=0-15');
    expect(sent.at(-1)!.cache).toBe('no-store');
    await store.get('/X/data/zarr.json');
    expect(sent.at(-1)!.cache).toBe('default');
  });
});
