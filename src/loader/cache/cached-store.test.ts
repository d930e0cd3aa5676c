// The chunk-cache store wrapper over a real (slow) HTTP host: concurrent reads of the same bytes
// share one fetch, yet one caller's cancel never fails the others, and each gets its own buffer.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../server/static-server.ts';
import { openHttpStore } from '../../source/http-store.ts';
import type { SourceStore } from '../../source/store.ts';
import { createTransferStats } from '../transfer.ts';
import { directoryBackend } from './backend.ts';
import { withChunkCache } from './cached-store.ts';
import { openChunkCache } from './chunk-cache.ts';

const blob = Uint8Array.from({ length: 8192 }, (_, i) => (i * 13 + 7) & 0xff);
const range = { offset: 1000, length: 3000 };
let root: string;
let server: StaticServer;
let requests = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trvae-cached-store-'));
  await mkdir(join(root, 'store'));
  await writeFile(join(root, 'store', 'zarr.json'), JSON.stringify({ zarr_format: 3, node_type: 'group', attributes: {} }));
  await writeFile(join(root, 'store', 'blob'), blob);
  server = await startStaticServer(join(root, 'store'), { latencyMs: 150, onRequest: (e) => e.path.endsWith('/blob') && requests++ });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

let caches = 0;
async function cachedStore(): Promise<SourceStore> {
  const cache = await openChunkCache(await directoryBackend(join(root, `cache-${caches++}`)), { budgetBytes: 2 ** 20 });
  return withChunkCache(await openHttpStore(server.url), cache, createTransferStats());
}

const expected = Array.from(blob.subarray(range.offset, range.offset + range.length));

describe('withChunkCache: shared in-flight reads', () => {
  it('a caller that cancels gives up alone; the others sharing its fetch still get the bytes', async () => {
    const store = await cachedStore();
    const before = requests;
    const first = new AbortController();
    const cancelled = store.getRange('/blob', range, { signal: first.signal });
    const other = store.getRange('/blob', range, { signal: new AbortController().signal });
    const unsignalled = store.getRange('/blob', range);
    first.abort();
    await expect(cancelled).rejects.toThrow();
    expect(Array.from((await other)!)).toEqual(expected);
    expect(Array.from((await unsignalled)!)).toEqual(expected);
    expect(requests - before).toBe(1);
  });

  it('a cancelled caller stops waiting at once, not when the shared fetch ends', async () => {
    const store = await cachedStore();
    const first = new AbortController();
    const cancelled = store.getRange('/blob', range, { signal: first.signal });
    const other = store.getRange('/blob', range);
    const t0 = performance.now();
    setTimeout(() => first.abort(), 10);
    await expect(cancelled).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(140);
    expect(Array.from((await other)!)).toEqual(expected);
  });

  it('when every caller cancels, the next read starts a fresh fetch and succeeds', async () => {
    const store = await cachedStore();
    const a = new AbortController();
    const b = new AbortController();
    const reads = [store.getRange('/blob', range, { signal: a.signal }), store.getRange('/blob', range, { signal: b.signal })];
    a.abort();
    b.abort();
    for (const r of reads) await expect(r).rejects.toThrow();
    expect(Array.from((await store.getRange('/blob', range, { signal: new AbortController().signal }))!)).toEqual(expected);
  });

  it('callers sharing a fetch get separate buffers: transferring one leaves the others intact', async () => {
    const store = await cachedStore();
    const [a, b, c] = await Promise.all([store.getRange('/blob', range), store.getRange('/blob', range), store.getRange('/blob', range)]);
    expect(new Set([a!.buffer, b!.buffer, c!.buffer]).size).toBe(3);
    structuredClone(a!.buffer, { transfer: [a!.buffer] });
    expect(a!.byteLength).toBe(0);
    expect(Array.from(b!)).toEqual(expected);
    expect(Array.from(c!)).toEqual(expected);
  });
});

describe('withChunkCache: entries of another version of a file', () => {
  it('an entry from an older version is refetched when this session already reads the newer one; the refetch replaces it', async () => {
    const { utimes, stat } = await import('node:fs/promises');
    const cache = await openChunkCache(await directoryBackend(join(root, `cache-${caches++}`)), { budgetBytes: 2 ** 20 });
    const session = async () => {
      const stats = createTransferStats();
      return { store: withChunkCache(await openHttpStore(server.url), cache, stats), stats };
    };
    const first = await session();
    expect(Array.from((await first.store.getRange('/blob', range))!)).toEqual(expected);
    // a new version of the file (a re-upload: new mtime, new ETag); the root metadata is unchanged
    const later = new Date((await stat(join(root, 'store', 'blob'))).mtimeMs + 60_000);
    await utimes(join(root, 'store', 'blob'), later, later);

    const second = await session();
    await second.store.getRange('/blob', { offset: 0, length: 10 }); // from the network: pins the new version
    expect(Array.from((await second.store.getRange('/blob', range))!)).toEqual(expected);
    expect(second.stats.networkRequests).toBe(2); // the cached (old) entry was not served
    expect(second.stats.cacheRequests).toBe(0);

    const third = await session();
    await third.store.getRange('/blob', range); // the refetched entry, of the new version: a hit that pins it
    expect(third.stats.cacheRequests).toBe(1);
    await third.store.getRange('/blob', { offset: 20, length: 10 }); // the network agrees with the pin
    expect(third.stats.networkRequests).toBe(1);
  });
});

describe('withChunkCache: many reads on one signal', () => {
  it('30 reads waiting on one signal add no listener warning, and all stop when it aborts', async () => {
    const store = await cachedStore();
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const reads = Array.from({ length: 30 }, (_, i) => store.getRange('/blob', { offset: i * 100, length: 50 }, { signal: controller.signal }));
      controller.abort(new Error('stop'));
      const settled = await Promise.allSettled(reads);
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
