// The fault corpus (scripts/make-fault-corpus.ts) and a fault-injecting HTTP server on 127.0.0.1:
// every damaged store, lying or flaky host and store changed mid-read gives a clear SourceError or
// the right values — never wrong values, never a crash — and no input is modified.

import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFaultCorpus } from '../../scripts/make-fault-corpus.ts';
import { blockToDense, expectedDenseRows, fixturesDir, type Expected } from '../../test/fixtures/expected.ts';
import { accumulateCsr, createGeneMoments } from '../cpu/hvg.ts';
import { directoryBackend } from '../loader/cache/backend.ts';
import { withChunkCache } from '../loader/cache/cached-store.ts';
import { openChunkCache } from '../loader/cache/chunk-cache.ts';
import { createTransferStats } from '../loader/transfer.ts';
import { startStaticServer, type StaticServer, type StaticServerFault } from '../server/static-server.ts';
import { openSource, SourceError, type AnnDataSource, type OpenSourceOptions, type RowBlock } from './index.ts';

const anndata = new URL('anndata/', fixturesDir).pathname;
const expected = (name: string): Expected => JSON.parse(readFileSync(join(anndata, name), 'utf8')) as Expected;
const csr = expected('small-csr.expected.json');
const dense = expected('small-dense.expected.json');
const all = (n: number) => [{ start: 0, end: n }];

/** sha256 of every file under `dir`, by relative path. */
function hashTree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(out, hashTree(dir, rel));
    else out[rel] = createHash('sha256').update(readFileSync(join(dir, rel))).digest('hex');
  }
  return out;
}

/** The fixtures the corpus and these tests read. */
const hashFixtures = () => Object.fromEntries(['small-csr.zarr', 'small-csr.v3.zarr', 'small-dense.zarr'].map((name) => [name, hashTree(join(anndata, name))]));

let corpus: string;
let scratch: string;
let before: { fixtures: Record<string, Record<string, string>>; corpus: Record<string, string> };
const opened: AnnDataSource[] = [];
const servers: StaticServer[] = [];

beforeAll(async () => {
  corpus = mkdtempSync(join(tmpdir(), 'trvae-fault-corpus-'));
  scratch = mkdtempSync(join(tmpdir(), 'trvae-fault-scratch-'));
  const fixtures = hashFixtures();
  await makeFaultCorpus(corpus);
  before = { fixtures, corpus: hashTree(corpus) };
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.close()));
  rmSync(corpus, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}, 60_000); // closing every source and server takes longer than the default 10 s on a loaded machine

async function open(input: string, options?: OpenSourceOptions): Promise<AnnDataSource> {
  const source = await openSource(input, options);
  opened.push(source);
  return source;
}

/** Opens and reads every row with an obs column: the values, or the SourceError it failed with. */
async function readAll(input: string, options?: OpenSourceOptions): Promise<RowBlock | SourceError> {
  try {
    const source = await open(input, options);
    return (await source.readRows(all(source.nObs), { obs: ['cell_type'] })).block;
  } catch (error) {
    if (error instanceof SourceError) return error;
    throw error;
  }
}

async function serve(root: string, fault?: StaticServerFault, onRequest?: (status: number) => void): Promise<string> {
  const server = await startStaticServer(root, { ...(fault ? { fault } : {}), ...(onRequest ? { onRequest: (e) => onRequest(e.status) } : {}) });
  servers.push(server);
  return server.url;
}

describe('the fault corpus: damaged stores give a clear error naming the array and chunk', { timeout: 30_000 }, () => {
  it.each([
    ['v2-truncated-chunk', 'corrupt', /X\/data\/1 is damaged: damaged blosc frame: the header says 267 bytes but only 257 are present \(truncated\)/],
    ['v2-random-chunk', 'corrupt', /X\/data\/1 is damaged: damaged blosc frame/],
    ['v2-random-header', 'corrupt', /X\/indices\/2 is damaged: .*decodes to 2600000000 bytes, but the chunk's shape and data type need 256/],
    ['v3-flipped-chunk', 'corrupt', /inner chunk \[0\] of X\/data\/c\/0 is damaged: damaged blosc frame/],
    ['v3-random-inner-chunk', 'corrupt', /inner chunk \[11\] of X\/indices\/c\/1 is damaged/],
    ['v3-index-shifted', 'corrupt', /corrupt shard index in X\/data\/c\/0 \(crc32c checksum mismatch/],
    ['v3-index-shifted-valid-crc', 'corrupt', /of X\/indices\/c\/0 is damaged: damaged blosc frame/],
    ['v3-index-garbage', 'corrupt', /corrupt shard index in X\/data\/c\/1/],
    ['v2-missing-data-chunk', 'incomplete', /X\/data\/2 is missing \(a chunk of a sparse matrix.*incomplete/],
    ['v2-missing-indices-chunk', 'incomplete', /X\/indices\/1 is missing/],
    ['v3-missing-data-shard', 'incomplete', /X\/data\/c\/1 is missing \(a shard of a sparse matrix/],
    ['v3-missing-indices-shard', 'incomplete', /X\/indices\/c\/0 is missing/],
    ['v3-missing-inner-chunk', 'incomplete', /X\/data\/c\/0 is missing \(its index has no inner chunk \[3\]/],
    // every chunk is damaged here, so which one is named depends on which read fails first
    ['v2-dtype-changed', 'corrupt', /X\/data\/\d+ is damaged: .*decodes to 256 bytes, but the chunk's shape and data type need 512/],
    ['v3-dtype-changed', 'corrupt', /inner chunk \[\d+\] of X\/data\/c\/\d+ is damaged: .*need 192/],
    ['meta-broken-zarray', 'malformed', /X\/indptr\/\.zarray is damaged: it is not valid JSON/],
    ['meta-broken-zattrs', 'malformed', /X\/\.zattrs is damaged: it is not valid JSON/],
    ['meta-broken-zgroup', 'malformed', /: \.zgroup is damaged: it is not valid JSON/],
    ['meta-unknown-dtype', 'malformed', /X\/data\/\.zarray is damaged: zarr cannot read it \(Unsupported or unknown dtype: <x4\)/],
    ['meta-zero-chunks', 'malformed', /metadata of X\/data is invalid: chunk shape \[0\]/],
  ] as const)('%s → %s', async (name, code, message) => {
    const store = join(corpus, name, 'store.zarr');
    const result = await readAll(store);
    expect(result).toBeInstanceOf(SourceError);
    expect(result).toMatchObject({ code, message: expect.stringMatching(message) });
    expect((result as SourceError).message).toContain(store);
  });

  it('a missing dense-X chunk reads as the fill value (zarr writers leave out all-fill chunks), the rest as written', async () => {
    const block = await readAll(join(corpus, 'v2-dense-missing-chunk', 'store.zarr'));
    const want = expectedDenseRows(dense.X, all(dense.n_obs));
    want.fill(0, 5 * 12, 10 * 12);
    expect(blockToDense(block as RowBlock)).toEqual(want.map((v) => Math.fround(v)));
  });

  it('NaN, ±Inf and negative values in valid chunks are read as stored, then refused by the moments pass with a count and the first cell', async () => {
    const source = await open(join(corpus, 'v2-bad-values', 'store.zarr'));
    const { block } = await source.readRows(all(source.nObs));
    if (block.format !== 'csr') throw new Error('expected CSR');
    expect(Number.isNaN(block.data[3])).toBe(true);
    const genes = await source.varNames();
    const run = () => accumulateCsr(createGeneMoments(source.nVars), block, Array.from({ length: block.nRows }, (_, i) => i), { kind: 'log1p' }, { where: `${source.label}: X`, geneName: (g) => genes[g] });
    expect(run).toThrow(expect.objectContaining({ code: 'bad-values', message: expect.stringMatching(/holds 3 values training cannot use \(1 NaN, 1 ±Inf, 1 negative\); the first at cell \d+, gene \d+ \('Gene\d+'\): NaN/) }));
  });
});

describe('a fault-injecting HTTP server', { timeout: 30_000 }, () => {
  it('a 404 on one shard of X/data is an incomplete store, not zeros', async () => {
    const url = await serve(anndata, { status: 404, path: /\/X\/data\/c\/1$/ });
    expect(await readAll(`${url}/small-csr.v3.zarr`)).toMatchObject({ code: 'incomplete', message: expect.stringMatching(/X\/data\/c\/1 is missing/) });
  });

  it('a server that lies in Content-Range (bytes 5 off) is caught by the shard index checksum', async () => {
    const url = await serve(anndata, { shiftRange: 5 });
    expect(await readAll(`${url}/small-csr.v3.zarr`)).toMatchObject({ code: 'corrupt', message: expect.stringMatching(/corrupt shard index in \S+\/c\/\d+ \(crc32c checksum mismatch/) });
  });

  it('survives a host failing 30% of requests (500, 503, resets, cut bodies) on a long read, with the right values', async () => {
    const statuses: number[] = [];
    const url = await serve(anndata, { flaky: 0.3, seed: 42 }, (s) => statuses.push(s));
    const want = expectedDenseRows(csr.X, all(csr.n_obs)).map((v) => Math.fround(v));
    // five rows at a time, four sources one after another (each reads metadata and shard indexes anew): hundreds of requests
    for (let pass = 0; pass < 4; pass++) {
      const source = await open(`${url}/small-csr.v3.zarr`, { retries: { baseDelayMs: 1, maxDelayMs: 20 }, concurrency: 4 });
      for (let row = 0; row < csr.n_obs; row += 5) {
        const { block } = await source.readRows([{ start: row, end: row + 5 }]);
        expect(blockToDense(block)).toEqual(want.slice(row * csr.n_vars, (row + 5) * csr.n_vars));
      }
    }
    const failed = statuses.filter((s) => s !== 200 && s !== 206).length;
    expect(statuses.length).toBeGreaterThan(200);
    expect(failed / statuses.length).toBeGreaterThan(0.1);
  });

  it('a host that fails every request spends the retry budget and stops, naming the budget', async () => {
    const url = await serve(anndata, { status: 500 });
    const t0 = performance.now();
    await expect(open(`${url}/small-csr.v3.zarr`, { retries: { attempts: 5, budget: 2, baseDelayMs: 1 } })).rejects.toMatchObject({
      code: 'server',
      message: expect.stringMatching(/500.*retry budget of 2 is spent/),
    });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('honours Retry-After on a 429, and refuses to wait longer than its limit', async () => {
    const limited = await serve(anndata, { status: 429, count: 1, retryAfter: 1 });
    const t0 = performance.now();
    const source = await open(`${limited}/small-csr.v3.zarr`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect((await source.readRows(all(5))).block.nRows).toBe(5);
    const busy = await serve(anndata, { status: 503, retryAfter: 120 });
    await expect(open(`${busy}/small-csr.v3.zarr`)).rejects.toMatchObject({ code: 'server', message: expect.stringMatching(/503.*asks to retry after 120 s, longer than the 60 s/) });
    const rateLimited = await serve(anndata, { status: 429 });
    await expect(open(`${rateLimited}/small-csr.v3.zarr`, { retries: 0 })).rejects.toMatchObject({ message: expect.stringMatching(/429.*limits how fast/) });
  });
});

describe('a store that changes while it is read', { timeout: 30_000 }, () => {
  /** A fresh copy of the sharded fixture to change. */
  function copy(name: string): string {
    const dir = join(scratch, name);
    cpSync(join(anndata, 'small-csr.v3.zarr'), dir, { recursive: true });
    return dir;
  }
  /** Rewrites a shard in place (same bytes, new mtime): a new version of the file, as a re-upload gives. */
  const touch = (path: string) => {
    const later = new Date(statSync(path).mtimeMs + 60_000);
    utimesSync(path, later, later);
  };

  it('over HTTP: a shard whose ETag changes after the first read stops the read', async () => {
    const dir = copy('http-change.zarr');
    const url = await serve(scratch);
    const source = await open(`${url}/http-change.zarr`);
    await source.readRows(all(10));
    touch(join(dir, 'X', 'data', 'c', '0'));
    await expect(source.readRows(all(50))).rejects.toMatchObject({ code: 'changed', message: expect.stringMatching(/the store changed while being read: .*X\/data\/c\/0 was ETag .* and is now ETag/) });
  });

  it('in a local directory: a file rewritten after the first read stops the read', async () => {
    const dir = copy('local-change.zarr');
    const source = await open(dir);
    await source.readRows(all(10));
    touch(join(dir, 'X', 'indices', 'c', '0'));
    await expect(source.readRows(all(50))).rejects.toMatchObject({ code: 'changed', message: expect.stringMatching(/the store changed while being read: .*X\/indices\/c\/0 was mtime/) });
  });

  it('the chunk cache never mixes an entry of an older version of a file with bytes of the newer one', async () => {
    const dir = copy('cache-change.zarr');
    const url = await serve(scratch);
    const cache = await openChunkCache(await directoryBackend(join(scratch, 'cache')));
    const cached = (input: string) => open(input, { wrapStore: (s) => withChunkCache(s, cache, createTransferStats()) });
    const first = await cached(`${url}/cache-change.zarr`);
    await first.readRows(all(10));
    touch(join(dir, 'X', 'data', 'c', '0'));
    // A new session: the cached index of X/data/c/0 pins the old version; a chunk not cached comes from the new one: stop, never mix.
    const second = await cached(`${url}/cache-change.zarr`);
    await expect(second.readRows(all(50))).rejects.toMatchObject({ code: 'changed', message: expect.stringMatching(/X\/data\/c\/0 was ETag/) });
    const want = expectedDenseRows(csr.X, all(50)).map((v) => Math.fround(v));
    // The next session knows the file changed (the newest version is recorded in the cache): its old entries are refetched, not pinned again.
    const third = await cached(`${url}/cache-change.zarr`);
    expect(blockToDense((await third.readRows(all(50))).block)).toEqual(want);
  });
});

describe('inputs', () => {
  it('every fixture and every corpus file is byte-identical after all the reads', () => {
    expect(hashFixtures()).toEqual(before.fixtures);
    expect(hashTree(corpus)).toEqual(before.corpus);
  });
});
