import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, startStaticServer, type StaticServer, type StaticServerOptions } from './static-server.ts';

const root = mkdtempSync(join(tmpdir(), 'static-server-'));
const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
writeFileSync(join(root, 'blob.bin'), bytes);
writeFileSync(join(root, 'index.html'), '<p>hi</p>');

const servers: StaticServer[] = [];
async function serve(options: StaticServerOptions = {}): Promise<string> {
  const server = await startStaticServer(root, options);
  servers.push(server);
  return server.url;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('parseRange', () => {
  it('reads single ranges and rejects unsatisfiable ones', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=95-200', 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange(undefined, 100)).toBeNull();
  });
});

describe('startStaticServer', () => {
  let url: string;
  const log: string[] = [];
  beforeAll(async () => {
    url = await serve({ onRequest: (e) => log.push(`${e.method} ${e.status} ${e.bytes}`) });
  });

  it('answers a Range with 206, Content-Range, validators and CORS', async () => {
    const res = await fetch(`${url}/blob.bin`, { headers: { Range: 'bytes=10-19' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(res.headers.get('content-length')).toBe('10');
    expect(res.headers.get('etag')).toMatch(/^"3e8-/);
    expect(res.headers.get('last-modified')).toBeTruthy();
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('Content-Range');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...bytes.subarray(10, 20)]);
  });

  it('serves suffix ranges, whole files, HEAD, 416, 404 and preflights', async () => {
    const suffix = await fetch(`${url}/blob.bin`, { headers: { Range: 'bytes=-4' } });
    expect(suffix.headers.get('content-range')).toBe('bytes 996-999/1000');
    expect([...new Uint8Array(await suffix.arrayBuffer())]).toEqual([...bytes.subarray(996)]);
    const whole = await fetch(`${url}/blob.bin`);
    expect(whole.status).toBe(200);
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
    const head = await fetch(`${url}/blob.bin`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('1000');
    const past = await fetch(`${url}/blob.bin`, { headers: { Range: 'bytes=1000-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
    expect((await fetch(`${url}/nope.bin`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    expect((await fetch(`${url}/blob.bin`, { method: 'OPTIONS' })).status).toBe(204);
    expect(await (await fetch(`${url}/`)).text()).toBe('<p>hi</p>');
    expect(log).toContain('HEAD 200 0');
  });

  it('applies latency and a bandwidth cap', async () => {
    const slow = await serve({ latencyMs: 100, bytesPerSecond: 4000 });
    const began = performance.now();
    const res = await fetch(`${slow}/blob.bin`, { headers: { Range: 'bytes=0-399' } });
    await res.arrayBuffer();
    // 100 ms latency + 400 bytes at 4000 B/s ≈ 200 ms. Assert half of it: an unthrottled local answer
    // takes ~1 ms, and timers are coarse on a loaded machine.
    expect(performance.now() - began).toBeGreaterThanOrEqual(100);
  });

  it('misbehaves on request: ignore-range, no-content-range, no-cors, forced status', async () => {
    const ignoring = await serve({ fault: 'ignore-range' });
    const r1 = await fetch(`${ignoring}/blob.bin`, { headers: { Range: 'bytes=0-9' } });
    expect(r1.status).toBe(200);
    expect((await r1.arrayBuffer()).byteLength).toBe(1000);
    const noCr = await serve({ fault: 'no-content-range' });
    const r2 = await fetch(`${noCr}/blob.bin`, { headers: { Range: 'bytes=0-9' } });
    expect(r2.status).toBe(206);
    expect(r2.headers.get('content-range')).toBeNull();
    const noCors = await serve({ fault: 'no-cors' });
    expect((await fetch(`${noCors}/blob.bin`)).headers.get('access-control-allow-origin')).toBeNull();
    const forbidden = await serve({ fault: { status: 403 } });
    expect((await fetch(`${forbidden}/blob.bin`)).status).toBe(403);
  });

  it('truncates bodies: a dropped connection and a consistent short body', async () => {
    const cut = await serve({ fault: 'truncate' });
    const r1 = await fetch(`${cut}/blob.bin`, { headers: { Range: 'bytes=0-99' } });
    await expect(r1.arrayBuffer()).rejects.toThrow();
    const short = await serve({ fault: 'short-body' });
    const r2 = await fetch(`${short}/blob.bin`, { headers: { Range: 'bytes=0-99' } });
    expect(r2.headers.get('content-range')).toBe('bytes 0-99/1000');
    expect((await r2.arrayBuffer()).byteLength).toBe(50);
  });
});
