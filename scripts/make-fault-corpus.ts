// The fault corpus: copies of the AnnData fixtures, each damaged in one way a real store gets
// damaged (truncated or random chunks, flipped bytes, shard indexes with wrong offsets, missing
// chunks, a dtype changed in the metadata, broken metadata JSON, NaN/±Inf/negative values in X).
// The fixtures themselves are only read. src/source/faults.test.ts builds the corpus in a temp
// folder and checks every case gives a clear error or the right values.
//
//   npx tsx scripts/make-fault-corpus.ts <out-dir>     # writes <out-dir>/<case>/ and prints the cases

import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Blosc } from 'numcodecs';
import { crc32c } from '../src/source/crc32c.ts';

const fixtures = new URL('../test/fixtures/anndata/', import.meta.url).pathname;

export interface FaultCase {
  /** Folder name under the corpus root; the damaged store is `<root>/<name>/store.zarr`. */
  readonly name: string;
  readonly fixture: string;
  readonly damage: string;
}

type Json = Record<string, unknown>;

function editJson(path: string, edit: (doc: Json) => void): void {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Json;
  edit(doc);
  writeFileSync(path, JSON.stringify(doc, null, 2));
}

function editBytes(path: string, edit: (bytes: Uint8Array) => Uint8Array | void): void {
  const bytes = new Uint8Array(readFileSync(path));
  writeFileSync(path, edit(bytes) ?? bytes);
}

/** A deterministic byte stream (xorshift32). */
function noise(length: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  return Uint8Array.from({ length }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

/** Inner chunks per shard of a 1-d sharded v3 array, from its zarr.json. */
function innerPerShard(store: string, path: string): number {
  const meta = JSON.parse(readFileSync(join(store, path, 'zarr.json'), 'utf8')) as { chunk_grid: { configuration: { chunk_shape: number[] } }; codecs: { configuration: { chunk_shape: number[] } }[] };
  return meta.chunk_grid.configuration.chunk_shape[0]! / meta.codecs[0]!.configuration.chunk_shape[0]!;
}

/** (offset, length) pairs of a shard's index (uint64 pairs + crc32c at the end) of the 1-d array at `path`. */
function shardIndex(store: string, path: string, bytes: Uint8Array): { entries: BigUint64Array; at: number } {
  const chunks = innerPerShard(store, path);
  const at = bytes.length - (16 * chunks + 4);
  return { entries: new BigUint64Array(bytes.slice(at, at + 16 * chunks).buffer), at };
}

function writeShardIndex(bytes: Uint8Array, at: number, entries: BigUint64Array, validCrc: boolean): void {
  const raw = new Uint8Array(entries.buffer);
  bytes.set(raw, at);
  const crc = validCrc ? crc32c(raw) : crc32c(raw) ^ 0xffffffff;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + raw.length, crc >>> 0, true);
}

/** The v3 consolidated root and the array's own zarr.json, edited alike. */
function editV3Array(store: string, path: string, edit: (meta: Json) => void): void {
  editJson(join(store, path, 'zarr.json'), edit);
  editJson(join(store, 'zarr.json'), (root) => edit(((root.consolidated_metadata as Json).metadata as Json)[path] as Json));
}

/** The v2 consolidated .zmetadata entry and the file itself, edited alike. */
function editV2(store: string, key: string, edit: (meta: Json) => void): void {
  editJson(join(store, key), edit);
  editJson(join(store, '.zmetadata'), (root) => edit((root.metadata as Json)[key] as Json));
}

/** Decodes a v2 blosc chunk of float32, edits the values, encodes it again (a valid chunk of other values). */
async function editV2Floats(path: string, edit: (values: Float32Array) => void): Promise<void> {
  const codec = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 5, shuffle: 1 as never, blocksize: 0 });
  const decoded = await codec.decode(new Uint8Array(readFileSync(path)));
  const values = new Float32Array(decoded.slice().buffer);
  edit(values);
  writeFileSync(path, await codec.encode(new Uint8Array(values.buffer)));
}

type Damage = (store: string) => void | Promise<void>;

const cases: readonly { name: string; fixture: string; damage: string; apply: Damage }[] = [
  // compressed chunks
  {
    name: 'v2-truncated-chunk',
    fixture: 'small-csr.zarr',
    damage: 'X/data chunk 1 loses its last 10 bytes',
    apply: (s) => editBytes(join(s, 'X/data/1'), (b) => b.subarray(0, b.length - 10)),
  },
  {
    name: 'v2-random-chunk',
    fixture: 'small-csr.zarr',
    damage: 'X/data chunk 1 replaced by random bytes of the same length',
    apply: (s) => editBytes(join(s, 'X/data/1'), (b) => noise(b.length, 7)),
  },
  {
    name: 'v2-random-header',
    fixture: 'small-csr.zarr',
    damage: 'X/indices chunk 2: random bytes with a plausible blosc version byte and a decoded size of 2.6 GB',
    apply: (s) =>
      editBytes(join(s, 'X/indices/2'), (b) => {
        const out = noise(b.length, 11);
        out.set([2, 1, 0x21, 4], 0);
        new DataView(out.buffer).setUint32(4, 2_600_000_000, true);
        new DataView(out.buffer).setUint32(12, b.length, true);
        return out;
      }),
  },
  {
    name: 'v3-flipped-chunk',
    fixture: 'small-csr.v3.zarr',
    damage: 'the first 32 bytes (blosc header and block offsets) of inner chunk 0 of X/data/c/0 flipped',
    apply: (s) =>
      editBytes(join(s, 'X/data/c/0'), (b) => {
        const { entries } = shardIndex(s, 'X/data', b);
        const at = Number(entries[0]);
        for (let i = at; i < at + 32; i++) b[i] ^= 0xff;
      }),
  },
  {
    name: 'v3-random-inner-chunk',
    fixture: 'small-csr.v3.zarr',
    damage: 'inner chunk 1 (global 11) of X/indices/c/1 replaced by random bytes of the same length',
    apply: (s) =>
      editBytes(join(s, 'X/indices/c/1'), (b) => {
        const { entries } = shardIndex(s, 'X/indices', b);
        b.set(noise(Number(entries[3]), 3), Number(entries[2]));
      }),
  },
  // shard indexes
  {
    name: 'v3-index-shifted',
    fixture: 'small-csr.v3.zarr',
    damage: 'every offset in the index of X/data/c/0 moved by 5 bytes (checksum left as written)',
    apply: (s) =>
      editBytes(join(s, 'X/data/c/0'), (b) => {
        const { entries, at } = shardIndex(s, 'X/data', b);
        for (let i = 0; i < entries.length; i += 2) entries[i] += 5n;
        new Uint8Array(b.buffer).set(new Uint8Array(entries.buffer), at);
      }),
  },
  {
    name: 'v3-index-shifted-valid-crc',
    fixture: 'small-csr.v3.zarr',
    damage: 'every offset in the index of X/indices/c/0 moved by 5 bytes, with a recomputed (valid) checksum',
    apply: (s) =>
      editBytes(join(s, 'X/indices/c/0'), (b) => {
        const { entries, at } = shardIndex(s, 'X/indices', b);
        for (let i = 0; i < entries.length; i += 2) entries[i] += 5n;
        writeShardIndex(b, at, entries, true);
      }),
  },
  {
    name: 'v3-index-garbage',
    fixture: 'small-csr.v3.zarr',
    damage: 'the index of X/data/c/1 replaced by random bytes',
    apply: (s) =>
      editBytes(join(s, 'X/data/c/1'), (b) => {
        b.set(noise(16 * innerPerShard(s, 'X/data') + 4, 5), b.length - (16 * innerPerShard(s, 'X/data') + 4));
      }),
  },
  // missing chunks
  { name: 'v2-missing-data-chunk', fixture: 'small-csr.zarr', damage: 'X/data chunk 2 deleted', apply: (s) => rmSync(join(s, 'X/data/2')) },
  { name: 'v2-missing-indices-chunk', fixture: 'small-csr.zarr', damage: 'X/indices chunk 1 deleted', apply: (s) => rmSync(join(s, 'X/indices/1')) },
  { name: 'v3-missing-data-shard', fixture: 'small-csr.v3.zarr', damage: 'X/data shard c/1 deleted', apply: (s) => rmSync(join(s, 'X/data/c/1')) },
  { name: 'v3-missing-indices-shard', fixture: 'small-csr.v3.zarr', damage: 'X/indices shard c/0 deleted', apply: (s) => rmSync(join(s, 'X/indices/c/0')) },
  {
    name: 'v3-missing-inner-chunk',
    fixture: 'small-csr.v3.zarr',
    damage: 'inner chunk 3 of X/data/c/0 marked absent (2^64−1) in a valid index',
    apply: (s) =>
      editBytes(join(s, 'X/data/c/0'), (b) => {
        const { entries, at } = shardIndex(s, 'X/data', b);
        entries[6] = entries[7] = 0xffffffffffffffffn;
        writeShardIndex(b, at, entries, true);
      }),
  },
  {
    name: 'v2-dense-missing-chunk',
    fixture: 'small-dense.zarr',
    damage: 'dense X chunk 1.0 (rows 5–9, genes 0–11) deleted: reads as the fill value 0',
    apply: (s) => rmSync(join(s, 'X/1.0')),
  },
  // metadata that does not match the bytes
  {
    name: 'v2-dtype-changed',
    fixture: 'small-csr.zarr',
    damage: 'X/data dtype <f4 → <f8 in .zarray and .zmetadata',
    apply: (s) => editV2(s, 'X/data/.zarray', (m) => (m.dtype = '<f8')),
  },
  {
    name: 'v3-dtype-changed',
    fixture: 'small-csr.v3.zarr',
    damage: 'X/data data_type float32 → float64 in zarr.json and the consolidated root',
    apply: (s) => editV3Array(s, 'X/data', (m) => (m.data_type = 'float64')),
  },
  // broken metadata (unconsolidated stores: .zmetadata removed)
  ...(
    [
      ['meta-broken-zarray', 'X/indptr/.zarray cut inside its JSON', (s: string) => writeFileSync(join(s, 'X/indptr/.zarray'), '{"chunks": [6')],
      ['meta-broken-zattrs', 'X/.zattrs cut inside its JSON', (s: string) => writeFileSync(join(s, 'X/.zattrs'), '{"encoding-type": "csr_ma')],
      ['meta-broken-zgroup', 'the root .zgroup cut inside its JSON', (s: string) => writeFileSync(join(s, '.zgroup'), '{"zarr_fo')],
      ['meta-unknown-dtype', 'X/data dtype "<x4" (no such numpy type)', (s: string) => editJson(join(s, 'X/data/.zarray'), (m) => (m.dtype = '<x4'))],
      ['meta-zero-chunks', 'X/data chunks [0]', (s: string) => editJson(join(s, 'X/data/.zarray'), (m) => (m.chunks = [0]))],
    ] as const
  ).map(([name, damage, apply]) => ({
    name,
    fixture: 'small-csr.zarr',
    damage: `${damage}; .zmetadata removed`,
    apply: (s: string) => {
      rmSync(join(s, '.zmetadata'));
      apply(s);
    },
  })),
  // values training cannot use, in valid chunks
  {
    name: 'v2-bad-values',
    fixture: 'small-csr.zarr',
    damage: 'X/data chunk 0 re-encoded with NaN at element 3, +Inf at 10, −2 at 20',
    apply: (s) =>
      editV2Floats(join(s, 'X/data/0'), (v) => {
        v[3] = NaN;
        v[10] = Infinity;
        v[20] = -2;
      }),
  },
];

/** Writes every case under `root` (replacing what is there) and returns them. */
export async function makeFaultCorpus(root: string): Promise<FaultCase[]> {
  const out: FaultCase[] = [];
  for (const c of cases) {
    const store = join(root, c.name, 'store.zarr');
    rmSync(join(root, c.name), { recursive: true, force: true });
    cpSync(join(fixtures, c.fixture), store, { recursive: true });
    await c.apply(store);
    out.push({ name: c.name, fixture: c.fixture, damage: c.damage });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: npx tsx scripts/make-fault-corpus.ts <out-dir>');
    process.exit(2);
  }
  for (const c of await makeFaultCorpus(root)) console.log(`${c.name.padEnd(28)} ${c.fixture.padEnd(18)} ${c.damage}`);
}
