// Range requests bypass the HTTP cache: Chromium can stitch cached partial (206) entries into a
// wrong answer to concurrent range requests, so the store asks for `cache: 'no-store'` itself.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openHttpStore, parseRetryAfter } from './http-store.ts';

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

describe('http store validators and Retry-After', () => {
  it('pins each file at its first answer: a weak ETag of a compressed 200 matches the strong one of a 206; a different one is a change', async () => {
    let etag = '"v1"';
    const store = await openHttpStore(`${server.url}/small-csr.v3.zarr`, {
      fetch: async (request) => {
        const response = await fetch(request);
        const headers = new Headers(response.headers);
        headers.set('ETag', request.headers.has('Range') ? etag : `W/${etag}`);
        return new Response(response.body, { status: response.status, headers });
      },
    });
    await store.get('/X/data/zarr.json');
    await store.getRange('/X/data/zarr.json', { offset: 0, length: 8 });
    etag = '"v2"';
    await expect(store.getRange('/X/data/zarr.json', { offset: 0, length: 8 })).rejects.toMatchObject({
      code: 'changed',
      message: expect.stringMatching(/the store changed while being read: .*X\/data\/zarr.json was ETag "v1" and is now ETag "v2"/),
    });
    expect(store.versions?.get('/X/data/zarr.json')).toBe('ETag "v1"');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
