import { join } from 'node:path';
import { Blosc } from 'numcodecs';
import { describe, expect, it } from 'vitest';
import * as zarr from 'zarrita';
import { openSource } from '../../source/index.ts';
import { openLoader } from '../loader.ts';
import { createRng } from '../../random.ts';
import { bloscKernels, defaultBloscKernels, type BloscKernelsKind } from './blosc-kernels.ts';
import { decodeBloscLz4, installFastBlosc } from './blosc.ts';
import { unshuffle } from './unshuffle.ts';

const kinds: BloscKernelsKind[] = ['wasm', 'js'];

const kernels = (kind: BloscKernelsKind) => bloscKernels(kind)!;

describe('blosc-lz4 decoder', () => {
  it('runs its blocks in wasm in Node (the fast path is the one tested and measured)', () => {
    expect(defaultBloscKernels().kind).toBe('wasm');
  });

  it.each(kinds)('decodes what numcodecs (c-blosc) encodes, byte for byte, for many shapes of data (%s kernels)', async (kind) => {
    const rng = createRng(17);
    for (const shuffle of [0, 1]) {
      const codec = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 3, shuffle: shuffle as never, blocksize: 0 });
      for (const size of [0, 1, 3, 17, 1000, 4096, 65537, 262144 + 5, 1_500_001]) {
        const bytes = new Uint8Array(size);
        const dataKind = rng.int(3);
        for (let i = 0; i < size; i++) bytes[i] = dataKind === 0 ? rng.int(256) : dataKind === 1 ? (i % 7) * 3 : rng.next() < 0.9 ? 0 : rng.int(4);
        const encoded = await codec.encode(bytes);
        const decoded = decodeBloscLz4(encoded, undefined, kernels(kind));
        expect(decoded, `size ${size}, shuffle ${shuffle}, data ${dataKind}`).toBeDefined();
        expect(decoded!.length).toBe(size);
        expect(Buffer.from(decoded!).equals(Buffer.from(bytes))).toBe(true);
      }
    }
  });

  it('unshuffles elements of 1, 2, 4 and 8 bytes, at aligned and unaligned offsets, with a tail (TypeScript)', () => {
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

  it('unshuffles elements of 1 to 8 bytes in wasm as in TypeScript, at unaligned offsets, sizes with and without a tail', () => {
    const rng = createRng(4);
    const wasm = kernels('wasm');
    for (const typesize of [1, 2, 3, 4, 8]) {
      for (const size of [0, 5, 63, 64, 257, 4096, 4099, 65541]) {
        const shuffled = Uint8Array.from({ length: size }, () => rng.int(256));
        const expected = new Uint8Array(size);
        unshuffle(typesize, shuffled, expected, 0, size);
        const src = wasm.base + 3;
        const dst = src + size + 5;
        const heap = wasm.reserve(dst + size)!;
        heap.set(shuffled, src);
        wasm.unshuffle(typesize, src, dst, size);
        expect(Buffer.from(heap.subarray(dst, dst + size)).equals(Buffer.from(expected)), `typesize ${typesize}, size ${size}`).toBe(true);
      }
    }
  });

  it('grows its wasm heap for a chunk larger than any before, and decodes it', async () => {
    const codec = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 1, shuffle: 1 as never, blocksize: 0 });
    const plain = new Uint8Array(new Float32Array(6_000_000).map((_, i) => (i % 1013 === 0 ? i : 0)).buffer);
    const before = kernels('wasm').reserve(0)!.length;
    const decoded = decodeBloscLz4(await codec.encode(plain), plain.length, kernels('wasm'))!;
    expect(kernels('wasm').reserve(0)!.length).toBeGreaterThan(Math.max(before, plain.length));
    expect(Buffer.from(decoded).equals(Buffer.from(plain))).toBe(true);
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

  it.each(kinds)('a truncated frame, random bytes, a wrong decoded size and damaged block offsets are corrupt, never garbage (%s kernels)', async (kind) => {
    const frame = await codec.encode(plain);
    expect(decodeBloscLz4(frame, plain.length, kernels(kind))).toEqual(plain);
    const fail = (bytes: Uint8Array, expected: number | undefined, message: RegExp) => {
      let error: unknown;
      try {
        decodeBloscLz4(bytes, expected, kernels(kind));
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

  it('damaged LZ4 streams fail the same way in wasm as in TypeScript, with the same words', async () => {
    const rng = createRng(9);
    const frame = await codec.encode(plain);
    let failures = 0;
    for (let trial = 0; trial < 400; trial++) {
      const bytes = frame.slice();
      // damage inside the LZ4 data only (past the header and block offsets), 1 to 4 bytes
      for (let k = 1 + rng.int(4); k > 0; k--) bytes[40 + rng.int(bytes.length - 40)] = rng.int(256);
      const outcome = (kind: BloscKernelsKind) => {
        try {
          return Buffer.from(decodeBloscLz4(bytes, plain.length, kernels(kind))!).toString('base64');
        } catch (e) {
          return `error: ${(e as Error).message}`;
        }
      };
      const wasm = outcome('wasm');
      expect(wasm, `trial ${trial}`).toBe(outcome('js'));
      if (wasm.startsWith('error: damaged blosc frame')) failures++;
    }
    expect(failures).toBeGreaterThan(100);
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
