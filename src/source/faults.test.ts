// Misbehaving servers and malformed files: each gives a typed SourceError with a message that
// names the place and the fix — never wrong data, never a hang.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fixturesDir } from '../../test/fixtures/expected.ts';
import { openHttpStore } from './http-store.ts';
import { openSource, SourceError, type AnnDataSource } from './index.ts';
import { withConcurrencyLimit, type SourceStore } from './store.ts';

const servers = inject('fixtureServers');
const fixture = (path: string) => new URL(path, fixturesDir).pathname;
const sharded = '/anndata/small-csr.v3.zarr';
const opened: AnnDataSource[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

/** Opens and reads a few rows (and an obs column), returning the first error. */
async function failure(input: string): Promise<SourceError> {
  try {
    const source = await openSource(input);
    opened.push(source);
    await source.readRows([{ start: 0, end: 50 }], { obs: ['cell_type'] });
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error(`reading ${input} did not fail`);
}

describe('a remote sharded store behind a misbehaving server', { timeout: 20_000 }, () => {
  it.each([
    ['ignore-range', 'range-unsupported', /ignored the Range header.*whole file.*Range requests/],
    ['no-content-range', 'range-unsupported', /without a readable Content-Range.*Access-Control-Expose-Headers: Content-Range/],
    ['short-body', 'truncated', /sent \d+ bytes for bytes=.*short/],
    ['truncate', 'truncated', /connection .* broke|announced \d+ bytes but sent/],
    ['status-403', 'forbidden', /403.*public-readable/],
    ['status-404', 'not-found', /No AnnData store at .*404 Not Found.*Check the path/],
    ['status-500', 'server', /500.*host failed/],
  ] as const)('%s → %s', async (variant, code, message) => {
    const error = await failure(`${servers[variant]}${sharded}`);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(servers[variant]);
  });

  it('retries a host that fails a few times, and gives up after the retries', async () => {
    const { startStaticServer } = await import('../server/static-server.ts');
    const root = fixture('anndata');
    const flaky = await startStaticServer(root, { fault: { status: 503, count: 2 } });
    const failing = await startStaticServer(root, { fault: { status: 503, count: 1 } });
    try {
      const source = await openSource(`${flaky.url}/small-csr.v3.zarr`);
      opened.push(source);
      expect((await source.readRows([{ start: 0, end: 50 }])).block.nRows).toBe(50);
      await expect(openSource(`${failing.url}/small-csr.v3.zarr`, { retries: 0 })).rejects.toMatchObject({ code: 'server', message: expect.stringContaining('503') });
    } finally {
      await Promise.all([flaky.close(), failing.close()]);
    }
  });

  it('a closed port is an unreachable host, named with the URL; a port fetch refuses is named before any request', async () => {
    const { createServer } = await import('node:net');
    // a port that was free a moment ago: nothing listens there
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const error = await failure(`http://127.0.0.1:${closed}/nothing.zarr`);
    expect(error).toMatchObject({ code: 'unreachable', message: expect.stringMatching(new RegExp(`Could not connect to 127.0.0.1:${closed} .*ECONNREFUSED.*server is running`)) });
    expect(await failure('http://127.0.0.1:6000/atlas.zarr')).toMatchObject({ code: 'blocked-port', message: expect.stringMatching(/port 6000, which browsers refuse.*--port 8080/) });
  });

  it('gives validators usable as cache keys (ETag of the root metadata)', async () => {
    const store = await openHttpStore(`${servers.ok}${sharded}`);
    expect(store.validator).toMatch(/^etag:"/);
    expect(store.label).toBe(`${servers.ok}${sharded}`);
  });

  it('an aborted signal stops reads with code aborted', async () => {
    const controller = new AbortController();
    const source = await openSource(`${servers.ok}${sharded}`, { signal: controller.signal });
    opened.push(source);
    const reading = source.readRows([{ start: 0, end: 50 }], { signal: AbortSignal.abort() });
    await expect(reading).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('request concurrency and coalescing', () => {
  it('never has more than the limit in flight, and wrapStore sees every request', async () => {
    let inFlight = 0;
    let most = 0;
    let seen = 0;
    const counting = (store: SourceStore): SourceStore => ({
      label: store.label,
      validator: store.validator,
      async get(key, opts) {
        seen++;
        return store.get(key, opts);
      },
      async getRange(key, range, opts) {
        seen++;
        return store.getRange(key, range, opts);
      },
    });
    const base = await openHttpStore(`${servers.ok}${sharded}`);
    const tracked: SourceStore = {
      ...base,
      get: async (key, opts) => {
        most = Math.max(most, ++inFlight);
        try {
          return await base.get(key, opts);
        } finally {
          inFlight--;
        }
      },
      getRange: async (key, range, opts) => {
        most = Math.max(most, ++inFlight);
        try {
          return await base.getRange(key, range, opts);
        } finally {
          inFlight--;
        }
      },
    };
    const limited = withConcurrencyLimit(tracked, 2);
    const reads = await Promise.all(Array.from({ length: 12 }, (_, i) => limited.getRange('/X/data/c/0', { offset: i * 8, length: 8 })));
    expect(reads.every((r) => r?.length === 8)).toBe(true);
    expect(most).toBe(2);

    const source = await openSource(`${servers.ok}${sharded}`, { concurrency: 1, wrapStore: counting });
    opened.push(source);
    await source.readRows([{ start: 0, end: 50 }]);
    expect(seen).toBeGreaterThan(0);
  });
});

describe('malformed inputs', { timeout: 20_000 }, () => {
  it.each([
    ['malformed/truncated.h5ad', 'truncated', /truncated.*header says/],
    ['malformed/not-hdf5.h5ad', 'malformed', /not an HDF5 file/],
    ['malformed/not-anndata.h5ad', 'malformed', /not-anndata.h5ad is not an AnnData file/],
    ['malformed/missing-array.zarr', 'malformed', /X\/indices is missing/],
    ['malformed/wrong-encoding.zarr', 'encoding', /column 'cell_type' has encoding-type 'categorical-but-not-really'/],
    ['malformed/indptr-not-monotone.zarr', 'malformed', /indptr is corrupt at row 20/],
    ['malformed/indices-out-of-range.zarr', 'malformed', /indices holds column 999.*outside \[0, 30\)/],
    ['malformed/legacy-recarray.h5ad', 'encoding', /record layout of anndata < 0.7.*write_h5ad/],
  ] as const)('%s → %s', async (path, code, message) => {
    const error = await failure(fixture(path));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('an h5ad cut inside its data (header intact) is refused, not read as garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h5ad-'));
    try {
      // Same header, but the file is one byte shorter than the end-of-file address it declares.
      const { readFileSync } = await import('node:fs');
      const bytes = readFileSync(fixture('anndata/small-csr.h5ad'));
      writeFileSync(join(dir, 'cut.h5ad'), bytes.subarray(0, bytes.length - 1));
      const error = await failure(join(dir, 'cut.h5ad'));
      expect(error.code).toBe('truncated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a sharded store whose shard is cut before its index is refused, not read as empty chunks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'v3-'));
    try {
      const { cpSync, truncateSync } = await import('node:fs');
      cpSync(fixture('anndata/small-csr.v3.zarr'), join(dir, 'cut.zarr'), { recursive: true });
      truncateSync(join(dir, 'cut.zarr', 'X', 'data', 'c', '0'), 10);
      const source = await openSource(join(dir, 'cut.zarr'));
      opened.push(source);
      const error = await source.readRows([{ start: 0, end: 50 }]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      expect((error as SourceError).code).toBe('malformed');
      expect((error as SourceError).message).toMatch(/X\/data\/c\/0 has 10 bytes.*truncated/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the validated HTTP store', () => {
  it('accepts a 200 only when the range was the whole file', async () => {
    const ignoring = await openHttpStore(`${servers['ignore-range']}${sharded}`);
    const size = Number((await fetch(`${servers.ok}${sharded}/X/data/c/0`, { method: 'HEAD' })).headers.get('Content-Length'));
    expect((await ignoring.getRange('/X/data/c/0', { offset: 0, length: size }))?.length).toBe(size);
    await expect(ignoring.getRange('/X/data/c/0', { offset: 0, length: size - 1 })).rejects.toMatchObject({ code: 'range-unsupported' });
    await expect(ignoring.getRange('/X/data/c/0', { suffixLength: 16 })).rejects.toMatchObject({ code: 'range-unsupported' });
    const ok = await openHttpStore(`${servers.ok}${sharded}`);
    await expect(ok.getRange('/X/data/c/0', { suffixLength: size + 1 })).rejects.toMatchObject({ code: 'truncated' });
    const tail = await ok.getRange('/X/data/c/0', { suffixLength: 16 });
    const whole = new Uint8Array(await (await fetch(`${servers.ok}${sharded}/X/data/c/0`)).arrayBuffer());
    expect(tail).toEqual(whole.subarray(whole.length - 16));
    expect(await ok.get('/X/nothing-here')).toBeUndefined();
  });
});
