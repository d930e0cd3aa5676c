// The directory backend as several worker threads of one process use it: one shared directory,
// writes of the same entry at once, and temp files left behind by a crash.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directoryBackend } from './backend.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trvae-backend-'));
  dirs.push(d);
  return d;
}

describe('directory cache backend', () => {
  it('two backends in one process (as worker threads) write the same entries at once without failing or mixing bytes', async () => {
    const path = await dir();
    const [a, b] = [await directoryBackend(path), await directoryBackend(path)];
    const payloadA = new Uint8Array(256 * 1024).fill(0xaa);
    const payloadB = new Uint8Array(256 * 1024).fill(0xbb);
    const names = Array.from({ length: 8 }, (_, i) => `entry-${i}.bin`);
    await Promise.all(names.flatMap((name) => [a.write(name, payloadA), b.write(name, payloadB)]));
    for (const name of names) {
      const bytes = new Uint8Array(await readFile(join(path, name)));
      expect(bytes.length).toBe(payloadA.length);
      expect(bytes.every((x) => x === bytes[0]) && (bytes[0] === 0xaa || bytes[0] === 0xbb)).toBe(true);
    }
    expect((await readdir(path)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('opening removes temp files a crashed writer left behind, not ones being written now', async () => {
    const path = await dir();
    const stale = 'entry.bin.4242.0.tmp';
    const fresh = 'other.bin.4242.1.tmp';
    await writeFile(join(path, stale), 'half an entry');
    await writeFile(join(path, fresh), 'being written');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(path, stale), hourAgo, hourAgo);
    const backend = await directoryBackend(path);
    const left = await readdir(path);
    expect(left).not.toContain(stale);
    expect(left).toContain(fresh);
    expect((await backend.list()).map((f) => f.name)).not.toContain(stale);
  });
});
