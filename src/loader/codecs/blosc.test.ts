import { join } from 'node:path';
import { Blosc } from 'numcodecs';
import { describe, expect, it } from 'vitest';
import * as zarr from 'zarrita';
import { openSource } from '../../source/index.ts';
import { openLoader } from '../loader.ts';
import { createRng } from '../../random.ts';
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
    // the first zarr open wraps the registry's blosc with frame checks (installCheckedCodecs); later ones change nothing
    const first = await openSource({ path: join(import.meta.dirname, '../../../test/fixtures/anndata/small-csr.v3.zarr') });
    const reference = zarr.registry.get('blosc');
    const source = await openSource({ path: join(import.meta.dirname, '../../../test/fixtures/anndata/small-csr.v3.zarr') });
    await openLoader(source, { batchSize: 8 });
    expect(zarr.registry.get('blosc')).toBe(reference);
    await first.close();
    installFastBlosc();
    const fast = zarr.registry.get('blosc');
    expect(fast).not.toBe(reference);
    expect(zarr.registry.get('numcodecs.blosc')).toBe(fast);
    installFastBlosc();
    expect(zarr.registry.get('blosc')).toBe(fast);
    await source.close();
  });
});

describe('damaged blosc frames', () => {
  const codec = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 3, shuffle: 1 as never, blocksize: 0 });
  const plain = new Uint8Array(new Float32Array(4000).map((_, i) => (i % 17) * 1.5).buffer);

  it('a truncated frame, random bytes, a wrong decoded size and damaged block offsets are corrupt, never garbage', async () => {
    const frame = await codec.encode(plain);
    expect(decodeBloscLz4(frame, plain.length)).toEqual(plain);
    const fail = (bytes: Uint8Array, expected: number | undefined, message: RegExp) => {
      let error: unknown;
      try {
        decodeBloscLz4(bytes, expected);
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toMatchObject({ code: 'corrupt', message: expect.stringMatching(message) });
    };
    fail(frame.subarray(0, frame.length - 7), plain.length, /only \d+ are present \(truncated\)/);
    fail(frame.subarray(0, 9), plain.length, /shorter than the 16-byte header/);
    const rng = createRng(5);
    fail(Uint8Array.from({ length: frame.length }, () => rng.int(256)), plain.length, /damaged blosc frame/);
    fail(frame, plain.length / 2, /decodes to 16000 bytes, but the chunk's shape and data type need 8000/);
    const offsets = frame.slice();
    new DataView(offsets.buffer).setInt32(16, frame.length + 5, true);
    fail(offsets, plain.length, /block 0 starts at byte/);
    const body = frame.slice();
    for (let i = 40; i < body.length; i += 3) body[i] ^= 0x5a;
    fail(body, plain.length, /block 0/);
  });

  it('frames this decoder hands to numcodecs (zstd) are checked the same way first', async () => {
    installFastBlosc();
    const Codec = (await zarr.registry.get('blosc')!()) as unknown as { fromConfig(c: unknown, m: unknown): { decode(b: Uint8Array): Promise<Uint8Array> } };
    const zstd = Blosc.fromConfig({ id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 1 as never, blocksize: 0 });
    const frame = await zstd.encode(plain);
    const decoder = Codec.fromConfig({ cname: 'zstd' }, { dataType: 'float32', shape: [4000], codecs: [{ name: 'bytes' }, { name: 'blosc' }] });
    expect(await decoder.decode(frame)).toEqual(plain);
    await expect(decoder.decode(frame.subarray(0, frame.length - 1))).rejects.toMatchObject({ code: 'corrupt' });
    const wrongShape = Codec.fromConfig({ cname: 'zstd' }, { dataType: 'float64', shape: [4000], codecs: [{ name: 'bytes' }, { name: 'blosc' }] });
    await expect(wrongShape.decode(frame)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/need 32000/) });
  });
});
