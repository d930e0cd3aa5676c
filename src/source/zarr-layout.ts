// Where an array's chunks live in a zarr store (v2 or v3, sharded or not), read from its metadata
// document: what zarr-tree needs to name a chunk in a message, find a shard's index and check it.

import { SourceError } from './errors.ts';

export interface ShardLayout {
  /** Inner chunks per shard along each axis. */
  readonly chunksPerShard: readonly number[];
  /** Bytes of the index at the shard's end (16 per inner chunk, plus 4 with a crc32c codec). */
  readonly indexBytes: number;
  readonly indexChecksum: boolean;
}

export interface ArrayLayout {
  /** '/X/data' */
  readonly path: string;
  readonly shape: readonly number[];
  /** Chunk (for a sharded array: shard) shape: one stored object each. */
  readonly chunkShape: readonly number[];
  readonly shard?: ShardLayout;
  readonly encoding: KeyEncoding;
  /** Store key of a chunk (shard) by its grid coordinates. */
  keyOf(coords: readonly number[]): string;
}

type Json = Record<string, unknown>;

const product = (values: readonly number[]): number => values.reduce((a, b) => a * b, 1);

/** A chunk key encoding: v3's default ('c/0/1') or v2's ('0.1', '0' for a 0-d array). */
interface KeyEncoding {
  readonly v2: boolean;
  readonly separator: string;
}

function encodeKey({ v2, separator }: KeyEncoding, path: string, coords: readonly number[]): string {
  return `${path}/${v2 ? (coords.length ? coords.join(separator) : '0') : ['c', ...coords].join(separator)}`;
}

/** The layout of the array at `path` from its zarr.json (v3) or .zarray (v2); undefined for anything else. */
export function arrayLayout(path: string, document: Json, label: string): ArrayLayout | undefined {
  const layout = readLayout(path, document, label);
  if (!layout) return undefined;
  const bad = (what: string): SourceError => new SourceError('malformed', `${label}${path}`, `${label}: the zarr metadata of ${path.slice(1)} is invalid: ${what}. Re-write the array.`);
  const counts = (values: readonly number[]): boolean => Array.isArray(values) && values.every((v) => Number.isInteger(v) && v >= 0);
  if (!counts(layout.shape)) throw bad(`shape ${JSON.stringify(layout.shape)} is not a list of non-negative integers`);
  if (!counts(layout.chunkShape) || layout.chunkShape.length !== layout.shape.length || layout.chunkShape.some((c) => c === 0)) {
    throw bad(`chunk shape ${JSON.stringify(layout.chunkShape)} for shape ${JSON.stringify(layout.shape)} (every chunk dimension must be a positive integer)`);
  }
  if (layout.shard && layout.shard.chunksPerShard.some((n) => !Number.isInteger(n) || n < 1)) {
    throw bad(`the inner chunks do not divide the shard shape ${JSON.stringify(layout.chunkShape)}`);
  }
  return layout;
}

function readLayout(path: string, document: Json, label: string): ArrayLayout | undefined {
  const shape = document.shape as number[] | undefined;
  if (!Array.isArray(shape)) return undefined;
  if (document.zarr_format === 2) {
    const chunks = document.chunks as number[];
    const encoding = { v2: true, separator: (document.dimension_separator as string | undefined) ?? '.' };
    return { path, shape, chunkShape: chunks, encoding, keyOf: (coords) => encodeKey(encoding, path, coords) };
  }
  const grid = (document.chunk_grid as Json | undefined)?.configuration as Json | undefined;
  const chunkShape = (grid?.chunk_shape as number[] | undefined) ?? shape;
  const keys = document.chunk_key_encoding as Json | undefined;
  const v2 = keys?.name === 'v2';
  const encoding = { v2, separator: ((keys?.configuration as Json | undefined)?.separator as string | undefined) ?? (v2 ? '.' : '/') };
  const codecs = (document.codecs as Json[] | undefined) ?? [];
  const sharding = codecs.find((c) => c.name === 'sharding_indexed')?.configuration as Json | undefined;
  let shard: ShardLayout | undefined;
  if (sharding) {
    const inner = sharding.chunk_shape as number[];
    if ((sharding.index_location ?? 'end') !== 'end') {
      throw new SourceError('encoding', `${label}${path}`, `${label}: ${path.slice(1)} keeps its shard index at the shard's start (index_location "${String(sharding.index_location)}"); this reader needs it at the end. Re-write the array with index_location "end".`);
    }
    const indexCodecs = (sharding.index_codecs as Json[] | undefined) ?? [];
    const indexChecksum = indexCodecs.some((c) => c.name === 'crc32c');
    const chunksPerShard = chunkShape.map((d, i) => d / inner[i]!);
    shard = { chunksPerShard, indexChecksum, indexBytes: 16 * product(chunksPerShard) + (indexChecksum ? 4 : 0) };
  }
  return { path, shape, chunkShape, encoding, ...(shard ? { shard } : {}), keyOf: (coords) => encodeKey(encoding, path, coords) };
}

/** Grid coordinates of a stored object's key, or undefined when the key is not one of this array's chunks. */
export function coordsOfKey(layout: ArrayLayout, key: string): number[] | undefined {
  if (!key.startsWith(`${layout.path}/`)) return undefined;
  const parts = key.slice(layout.path.length + 1).split(layout.encoding.separator);
  if (!layout.encoding.v2 && parts.shift() !== 'c') return undefined;
  if (layout.encoding.v2 && layout.shape.length === 0) return parts.length === 1 && parts[0] === '0' ? [] : undefined;
  if (parts.length !== layout.shape.length || parts.some((p) => !/^\d+$/.test(p))) return undefined;
  return parts.map(Number);
}

/**
 * Checks a sparse array's shard index for inner chunks the array's extent covers but the shard
 * does not hold (offset and length 2^64 − 1: "fill value"); returns the first such inner chunk.
 */
export function firstMissingInnerChunk(layout: ArrayLayout, shardCoords: readonly number[], index: Uint8Array): number[] | undefined {
  const shard = layout.shard;
  if (!shard) return undefined;
  const dv = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const perShard = shard.chunksPerShard;
  const innerShape = layout.chunkShape.map((d, i) => d / perShard[i]!);
  const count = product(perShard);
  for (let linear = 0; linear < count; linear++) {
    // row-major position of this inner chunk inside the shard
    const local: number[] = [];
    let rest = linear;
    for (let axis = perShard.length - 1; axis >= 0; axis--) {
      local[axis] = rest % perShard[axis]!;
      rest = Math.floor(rest / perShard[axis]!);
    }
    const global = local.map((c, axis) => shardCoords[axis]! * perShard[axis]! + c);
    const inside = global.every((c, axis) => c * innerShape[axis]! < layout.shape[axis]!);
    if (!inside) continue;
    const empty = dv.getBigUint64(16 * linear, true) === 0xffffffffffffffffn && dv.getBigUint64(16 * linear + 8, true) === 0xffffffffffffffffn;
    if (empty) return global;
  }
  return undefined;
}
