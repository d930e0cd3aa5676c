// Range requests bypass the HTTP cache: Chromium can stitch cached partial (206) entries into a
// wrong answer to concurrent range requests, so the store asks for `cache: 'no-store'` itself.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openSource } from './index.ts';
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

describe("a store's zarr format", () => {
  /** Opens `store` and reads its obs column and rows; returns the format found and every 404 asked for. */
  async function misses(store: string, zarrFormat?: 2 | 3): Promise<{ zarrFormat?: number; missing: string[] }> {
    const missing: string[] = [];
    const source = await openSource({ url: `${server.url}/${store}`, zarrFormat }, {
      fetch: async (request) => {
        const response = await fetch(request);
        if (response.status === 404) missing.push(new URL(request.url).pathname.slice(store.length + 2));
        return response;
      },
    });
    await source.readObs('cell_type');
    await source.readRows([{ start: 0, end: 5 }]);
    await source.close();
    return { zarrFormat: source.zarrFormat, missing };
  }

  it('a consolidated v2 store costs one 404 (zarr.json) unknown, none when its format is given; a v3 store none', async () => {
    expect(await misses('small-csr.zarr')).toEqual({ zarrFormat: 2, missing: ['zarr.json'] });
    expect(await misses('small-csr.zarr', 2)).toEqual({ zarrFormat: 2, missing: [] });
    expect(await misses('small-csr.v3.zarr')).toEqual({ zarrFormat: 3, missing: [] });
  });

  it('a wrong format given only costs the probes for it: the store opens in the format it is in', async () => {
    expect(await misses('small-csr.v3.zarr', 2)).toEqual({ zarrFormat: 3, missing: ['.zmetadata', '.zgroup'] });
    expect(await misses('small-csr.zarr', 3)).toEqual({ zarrFormat: 2, missing: ['zarr.json'] });
  });
});

describe('stalled requests', () => {
  /** Serves the fixture through a proxy that hangs the requests `hang(path, attempt)` picks: before the answer, or after half the body. */
  async function stallingProxy(hang: (path: string, attempt: number) => 'answer' | 'body' | undefined) {
    const attempts = new Map<string, number>();
    const held: ServerResponse[] = [];
    const proxy = createServer(async (req, res) => {
      const path = req.url ?? '/';
      const attempt = (attempts.get(path) ?? 0) + 1;
      attempts.set(path, attempt);
      const how = hang(path, attempt);
      if (how === 'answer') return void held.push(res);
      const upstream = await fetch(`${server.url}${path}`, { headers: req.headers.range ? { Range: req.headers.range } : {} });
      const bytes = new Uint8Array(await upstream.arrayBuffer());
      const headers: Record<string, string> = { 'content-length': String(bytes.length) };
      for (const name of ['content-range', 'etag', 'accept-ranges']) if (upstream.headers.get(name)) headers[name] = upstream.headers.get(name)!;
      res.writeHead(upstream.status, headers);
      if (how === 'body') {
        res.write(bytes.subarray(0, bytes.length >> 1));
        return void held.push(res);
      }
      res.end(bytes);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      attempts,
      close: () => new Promise<void>((resolve) => {
        held.forEach((r) => r.destroy());
        proxy.close(() => resolve());
      }),
    };
  }

  it('a request with no answer, or whose body stops, is given up after the stall timeout and retried', async () => {
    const chunk = '/small-csr.v3.zarr/X/data/c/0';
    const proxy = await stallingProxy((path, attempt) => (path === chunk && attempt <= 2 ? (attempt === 1 ? 'answer' : 'body') : undefined));
    try {
      const direct = await openHttpStore(`${server.url}/small-csr.v3.zarr`);
      const store = await openHttpStore(`${proxy.url}/small-csr.v3.zarr`, { stallTimeoutMs: 300, retries: { attempts: 3, baseDelayMs: 1 } });
      const started = performance.now();
      expect(await store.getRange('/X/data/c/0', { offset: 0, length: 64 })).toEqual(await direct.getRange('/X/data/c/0', { offset: 0, length: 64 }));
      expect(proxy.attempts.get(chunk)).toBe(3);
      expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    } finally {
      await proxy.close();
    }
  });

  it('a host that never answers is a clear "stalled" error after the retries, not a wait without end', async () => {
    const proxy = await stallingProxy((path) => (path.includes('/X/') ? 'answer' : undefined));
    try {
      const store = await openHttpStore(`${proxy.url}/small-csr.v3.zarr`, { stallTimeoutMs: 200, retries: { attempts: 2, baseDelayMs: 1 } });
      await expect(store.get('/X/data/zarr.json')).rejects.toMatchObject({
        code: 'stalled',
        message: expect.stringMatching(/X\/data\/zarr\.json sent nothing for 200 ms: the connection or the host hung/),
      });
      expect(proxy.attempts.get('/small-csr.v3.zarr/X/data/zarr.json')).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});
