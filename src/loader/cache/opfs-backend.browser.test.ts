// The OPFS cache backend when an OPFS call never finishes (as Chromium can leave one pending): the
// read is a miss and the write a skipped write once the call timeout has passed, never a hang.
import { afterEach, expect, it } from 'vitest';
import { opfsBackend } from './backend.ts';
import { openChunkCache } from './chunk-cache.ts';

const folder = 'trvae-test-opfs-timeouts';
const proto = FileSystemFileHandle.prototype;
const original = { getFile: proto.getFile, createWritable: proto.createWritable };

afterEach(async () => {
  Object.assign(proto, original);
  await (await navigator.storage.getDirectory()).removeEntry(folder, { recursive: true }).catch(() => {});
});

it('an OPFS call that never finishes is a cache miss or a skipped write after the call timeout', async () => {
  const cache = await openChunkCache(await opfsBackend(folder, { callTimeoutMs: 200 }), { budgetBytes: 1 << 20 });
  const payload = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  await cache.put('kept', payload, 'v1');
  expect((await cache.get('kept'))?.payload).toEqual(payload);

  const never = () => new Promise<never>(() => {});
  proto.getFile = never;
  proto.createWritable = never;
  const started = performance.now();
  await cache.put('written while OPFS hangs', payload, 'v1');
  expect(cache.stats().skippedWrites).toBe(1);
  expect(await cache.get('kept')).toBeUndefined();
  expect(cache.stats().misses).toBe(1);
  expect(performance.now() - started).toBeLessThan(5_000);
});
