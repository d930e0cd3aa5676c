// Row runs of a numeric zarr array read chunk by chunk into one result: each chunk is fetched and
// decoded once however many runs it serves, its rows are copied straight to their place, and its
// buffer goes back for the next decode. zarrita's get would build a result per span, which the
// runs' concatenation then copies again (two passes over fresh memory instead of one). The result's
// buffer may be longer than its values (a size class of reusable-buffers.ts).
import * as zarr from 'zarrita';
import { releaseBuffer, reusableArray } from './reusable-buffers.ts';
import { totalLength } from './runs.ts';
import type { NumericArray } from './tree.ts';
import type { RowRun } from './types.ts';

type NumericCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): NumericArray; readonly BYTES_PER_ELEMENT: number };

const numericTypes: Readonly<Record<string, NumericCtor>> = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Where rows [from, to) of one chunk go in the result. */
interface Piece {
  readonly from: number;
  readonly to: number;
  readonly at: number;
}

export type RowRunReader = (runs: readonly RowRun[], signal?: AbortSignal) => Promise<NumericArray>;

/**
 * A reader of row runs for `arr`, or undefined when its values are not a plain typed array (bool,
 * float16, strings) or its chunks split rows (a 2-D array chunked along columns).
 */
export function rowRunReader(arr: zarr.Array<zarr.DataType, zarr.Readable>): RowRunReader | undefined {
  const Values = numericTypes[arr.dtype];
  const wholeRows = arr.chunks.slice(1).every((c, i) => c >= arr.shape[i + 1]!);
  if (!Values || !wholeRows || arr.shape.length === 0) return undefined;
  const rowsPerChunk = arr.chunks[0]!;
  const width = arr.shape.slice(1).reduce((a, b) => a * b, 1);
  const rest = arr.shape.slice(1).map(() => 0);
  return async (runs, signal) => {
    // every element is written below, so a reused (not zeroed) buffer is fine
    const out = reusableArray(Values, totalLength(runs) * width);
    const pieces = new Map<number, Piece[]>();
    let at = 0;
    for (const { start, end } of runs) {
      if (end === start) continue;
      for (let c = Math.floor(start / rowsPerChunk); c * rowsPerChunk < end; c++) {
        const from = Math.max(start, c * rowsPerChunk);
        const to = Math.min(end, (c + 1) * rowsPerChunk);
        const list = pieces.get(c) ?? [];
        list.push({ from, to, at: at + (from - start) * width });
        pieces.set(c, list);
      }
      at += (end - start) * width;
    }
    await Promise.all(
      [...pieces].map(async ([c, list]) => {
        const { data } = await arr.getChunk([c, ...rest], { signal });
        const values = data as NumericArray;
        const first = c * rowsPerChunk;
        for (const { from, to, at } of list) (out as Float64Array).set((values as Float64Array).subarray((from - first) * width, (to - first) * width), at);
        releaseBuffer(values.buffer);
      }),
    );
    return out;
  };
}
