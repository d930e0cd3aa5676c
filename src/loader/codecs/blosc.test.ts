import { join } from 'node:path';
import { Blosc } from 'numcodecs';
import { describe, expect, it } from 'vitest';
import * as zarr from 'zarrita';
import { openSource } from '../../source/index.ts';
import { openLoader } from '../loader.ts';
import { createRng } from '../prng.ts';
import { decodeBloscLz4, installFastBlosc, unshuffle } from './blosc.ts';

describe('blosc-lz4 decoder', () => {
  it('decodes what numcodecs (c-blosc) encodes, byte for byte, for many shapes of data', async () => {
    const rng = createRng(17);
    for (const shuffle of [0, 1]) {
      const codec = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 3, shuffle: shuffle as never, blocksize: 0 });
      for (const size of [0, 1, 3, 17, 1000, 4096, 65537, 262144 + 5, 1_500_001]) {
        const bytes = new Uint8Array(size);
        const kind = rng.int(3);
        for (let i = 0; i < size; i++) bytes[i] = kind === 0 ? rng.int(256) : kind === 1 ? (i % 7) * 3 : rng.next() < 0.9 ? 0 : rng.int(4);
        const encoded = await codec.encode(bytes);
        const decoded = decodeBloscLz4(encoded);
        expect(decoded, `size ${size}, shuffle ${shuffle}, kind ${kind}`).toBeDefined();
        expect(decoded!.length).toBe(size);
        expect(Buffer.from(decoded!).equals(Buffer.from(bytes))).toBe(true);
      }
    }
  });

  it('unshuffles elements of 1, 2, 4 and 8 bytes, at aligned and unaligned offsets, with a tail', () => {
    const rng = createRng(3);
    for (const typesize of [1, 2, 4, 8]) {
      for (const at of [0, 1, 2, 4]) {
        const size = 4099;
        const plain = Uint8Array.from({ length: size }, () => rng.int(256));
        const n = Math.floor(size / typesize);
        const shuffled = new Uint8Array(size);
        for (let i = 0; i < n; i++) for (let j = 0; j < typesize; j++) shuffled[j * n + i] = plain[i * typesize + j]!;
        shuffled.set(plain.subarray(n * typesize), n * typesize);
        const dst = new Uint8Array(size + 8);
        unshuffle(typesize, shuffled, dst, at, size);
        expect(Buffer.from(dst.subarray(at, at + size)).equals(Buffer.from(plain)), `typesize ${typesize}, at ${at}`).toBe(true);
      }
    }
  });

  it('declines frames it does not handle (zstd) rather than guessing', async () => {
    const codec = Blosc.fromConfig({ id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 1 as never, blocksize: 0 });
    const encoded = await codec.encode(new Uint8Array(100000).map((_, i) => i % 13));
    expect(decodeBloscLz4(encoded)).toBeUndefined();
  });

  it('is installed only by an explicit call (idempotent), never as a side effect of opening a loader', async () => {
    const reference = zarr.registry.get('blosc');
    const source = await openSource({ path: join(import.meta.dirname, '../../../test/fixtures/anndata/small-csr.v3.zarr') });
    await openLoader(source, { batchSize: 8 });
    expect(zarr.registry.get('blosc')).toBe(reference);
    installFastBlosc();
    const fast = zarr.registry.get('blosc');
    expect(fast).not.toBe(reference);
    expect(zarr.registry.get('numcodecs.blosc')).toBe(fast);
    installFastBlosc();
    expect(zarr.registry.get('blosc')).toBe(fast);
    await source.close();
  });
});
