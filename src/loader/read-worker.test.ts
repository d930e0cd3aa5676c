// A read worker's source over a host whose connections drop (as a keep-alive socket the server
// closed just as it was reused does): one retry layer with backoff, so each failing request is
// tried 1 + retries times — not retries² — and a dropped connection that recovers is not fatal.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../server/static-server.ts';
import { openSource } from '../source/index.ts';
import { createReadWorkerApi } from './read-worker.ts';

const store = 'small-csr.v3.zarr';
let origin: StaticServer;
let proxy: Server;
let proxyUrl: string;
/** Attempts per request (path + range) that reached the proxy. */
const attempts = new Map<string, number>();
/** Drops the connection of the n-th attempt of an X request when this says so. */
let drop: (attempt: number) => boolean = () => false;

beforeAll(async () => {
  origin = await startStaticServer(join(import.meta.dirname, '../../test/fixtures/anndata'));
  // Forwards to the static server, but cuts the socket (no answer at all) of chosen X requests.
  proxy = createServer(async (req, res) => {
    const key = `${req.url} ${req.headers.range ?? ''}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    if (req.url?.includes('/X/') && drop(attempt)) {
      req.socket.destroy();
      return;
    }
    const upstream = await fetch(`${origin.url}${req.url}`, { headers: req.headers.range ? { Range: req.headers.range } : {} });
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    res.end(new Uint8Array(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/${store}`;
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await origin?.close();
});

beforeEach(() => {
  attempts.clear();
  drop = () => false;
});

const xAttempts = (): number[] => [...attempts].filter(([k]) => k.includes('/X/')).map(([, n]) => n);

describe('read worker over a host that drops connections', () => {
  it('a connection dropped once is retried and the read returns the right rows', async () => {
    const api = createReadWorkerApi();
    await api.open(proxyUrl, {});
    drop = (attempt) => attempt === 1;
    const { read } = await api.read([{ start: 0, end: 50 }], {});
    const reference = await openSource(`${origin.url}/${store}`);
    const expected = await reference.readRows([{ start: 0, end: 50 }]);
    expect(read.block).toEqual(expected.block);
    expect(Math.max(...xAttempts())).toBe(2);
    await reference.close();
    await api.close();
  });

  it('a request that keeps failing is tried 1 + retries times, then fails with a clear error', async () => {
    const api = createReadWorkerApi();
    await api.open(proxyUrl, { retries: 2 });
    drop = () => true;
    await expect(api.read([{ start: 0, end: 50 }], {})).rejects.toMatchObject({ code: 'server', message: expect.stringContaining('/X/') });
    expect(xAttempts().length).toBeGreaterThan(0);
    expect(Math.max(...xAttempts())).toBe(3);
    await api.close();
  });
});
