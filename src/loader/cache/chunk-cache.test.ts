import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directoryBackend, type CacheBackend } from './backend.ts';
import { openChunkCache } from './chunk-cache.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trvae-cache-'));
  dirs.push(d);
  return d;
}

/** A real directory whose "disk" fills up at `capacity` bytes, as a full origin quota does. */
async function fillingDirectory(path: string, capacity: number): Promise<CacheBackend> {
  const inner = await directoryBackend(path);
  const used = async () => (await inner.list()).reduce((n, f) => n + f.size, 0);
  return {
    ...inner,
    async write(name, bytes) {
      if ((await used()) + bytes.length > capacity) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
      await inner.write(name, bytes);
    },
  };
}

const payload = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('chunk cache', () => {
  it('keeps the LRU under its budget and serves what it holds', async () => {
    const cache = await openChunkCache(await directoryBackend(await dir()), { budgetBytes: 10_000 });
    for (let i = 0; i < 20; i++) await cache.put(`key ${i}`, payload(1000, i));
    await cache.get('key 18'); // touch: most recently used
    await cache.put('key 20', payload(1000, 20));
    expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
    expect(cache.stats().evictions).toBeGreaterThan(0);
    expect(await cache.get('key 0')).toBeUndefined();
    expect((await cache.get('key 18'))?.payload).toEqual(payload(1000, 18));
    expect((await cache.get('key 20'))?.payload).toEqual(payload(1000, 20));
  });

  it('a full disk (QuotaExceededError) evicts and continues; nothing throws', async () => {
    const path = await dir();
    const cache = await openChunkCache(await fillingDirectory(path, 5_000), { budgetBytes: 1_000_000 });
    for (let i = 0; i < 30; i++) await cache.put(`key ${i}`, payload(900, i));
    const stats = cache.stats();
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats.bytes).toBeLessThanOrEqual(5_000);
    expect((await cache.get('key 29'))?.payload).toEqual(payload(900, 29));
    // an entry larger than the whole disk is skipped, not an error
    await cache.put('huge', payload(10_000, 1));
    expect(await cache.get('huge')).toBeUndefined();
  });

  it('detects truncated and corrupted entries, survives a reopen, and clears', async () => {
    const path = await dir();
    const first = await openChunkCache(await directoryBackend(path));
    await first.put('a', payload(500, 1));
    await first.put('b', payload(500, 2));
    await first.put('c', payload(500, 3));
    const files = (await readdir(path)).sort();
    expect(files.length).toBe(3);
    const reopened = await openChunkCache(await directoryBackend(path));
    expect(reopened.stats().entries).toBe(3);
    for (const f of files.slice(0, 2)) await writeFile(join(path, f), 'damaged');
    const results = await Promise.all(['a', 'b', 'c'].map((k) => reopened.get(k)));
    expect(results.filter((r) => r === undefined).length).toBe(2);
    expect(reopened.stats().corrupt).toBe(2);
    await reopened.clear();
    expect(await readdir(path)).toEqual([]);
    expect(reopened.stats().bytes).toBe(0);
  });
});
