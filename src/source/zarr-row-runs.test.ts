import { describe, expect, it } from 'vitest';
import * as zarr from 'zarrita';
import { releaseBuffer, reusableBytes, sizeClass } from './reusable-buffers.ts';
import { rowRunReader } from './zarr-row-runs.ts';

async function array(shape: number[], chunks: number[], dtype: 'int32' | 'float64' | 'bool') {
  const root = zarr.root(new Map());
  const arr = await zarr.create(root.resolve('a'), { shape, chunkShape: chunks, dtype });
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype !== 'bool') {
    const values = dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => i * 3 - 7) : Float64Array.from({ length: n }, (_, i) => i / 7);
    await zarr.set(arr, null, { data: values, shape, stride: shape.length === 1 ? [1] : [shape[1]!, 1] } as never);
  }
  return arr;
}

describe('rowRunReader', () => {
  it('reads runs within one chunk, across chunk edges and sharing chunks, as zarrita reads them', async () => {
    const arr = await array([100], [7], 'int32');
    const read = rowRunReader(arr)!;
    const runs = [{ start: 0, end: 3 }, { start: 4, end: 6 }, { start: 6, end: 6 }, { start: 13, end: 30 }, { start: 30, end: 31 }, { start: 95, end: 100 }];
    const got = await read(runs);
    const whole = (await zarr.get(arr)).data as Int32Array;
    const expected = runs.flatMap(({ start, end }) => Array.from(whole.subarray(start, end)));
    expect(got).toBeInstanceOf(Int32Array);
    expect(Array.from(got as Int32Array)).toEqual(expected);
  });

  it('reads whole rows of a 2-D array chunked by rows only, and declines one chunked across columns or of bools', async () => {
    const arr = await array([20, 3], [6, 3], 'float64');
    const got = await rowRunReader(arr)!([{ start: 5, end: 8 }, { start: 19, end: 20 }]);
    expect(Array.from(got as Float64Array)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 57, 58, 59].map((i) => i / 7));
    expect(rowRunReader(await array([20, 3], [6, 2], 'float64'))).toBeUndefined();
    expect(rowRunReader(await array([20], [6], 'bool'))).toBeUndefined();
  });
});

describe('reusable buffers', () => {
  it('rounds sizes up to one of eight classes per power of two', () => {
    expect([1, 64, 65, 1000, 1024, 1025, 3000].map(sizeClass)).toEqual([64, 64, 72, 1024, 1024, 1152, 3072]);
    for (let n = 100; n < 1e6; n = Math.ceil(n * 1.37)) expect(sizeClass(n) / n).toBeLessThanOrEqual(1.125);
  });

  it('hands a released buffer out again once, and never one it did not make', () => {
    const a = reusableBytes(1000);
    a.fill(9);
    releaseBuffer(a.buffer);
    releaseBuffer(a.buffer); // a second release must not make it spare twice
    const b = reusableBytes(1000);
    const c = reusableBytes(1000);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(1000);
    expect(reusableBytes(1010).buffer).not.toBe(a.buffer); // taken already; 1010 is in the same class
    expect(c.buffer).not.toBe(a.buffer);
    const foreign = new Uint8Array(2000);
    releaseBuffer(foreign.buffer);
    expect(reusableBytes(2000).buffer).not.toBe(foreign.buffer);
  });
});
