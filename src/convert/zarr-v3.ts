// Zarr v3 metadata and a streaming writer for arrays chunked along axis 0, sharded with
// "sharding_indexed": inner chunks blosc-lz4 byte-shuffled, the shard index at the end
// (uint64 offset + uint64 length per inner chunk, little-endian, empty = 2^64 − 1) followed by its crc32c.
import { Blosc } from 'numcodecs';
import { crc32c } from '../source/crc32c.ts';
import type { StoreSink } from './sink.ts';

export type NumericDtype = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float32' | 'float64' | 'bool';
export type NumericArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | Float32Array | Float64Array;

export const dtypeBytes: Record<NumericDtype, number> = {
  int8: 1,
  uint8: 1,
  bool: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  float64: 8,
};

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Attributes = Record<string, JsonValue>;

/** Metadata of every node written so far, keyed by path relative to the root ('' = root). */
export type NodeMetadata = Map<string, Record<string, JsonValue>>;

export function groupMetadata(attributes: Attributes): Record<string, JsonValue> {
  return { zarr_format: 3, node_type: 'group', attributes };
}

export const bloscLz4 = (typesize: number): JsonValue => ({
  name: 'blosc',
  configuration: { cname: 'lz4', clevel: 3, shuffle: typesize > 1 ? 'shuffle' : 'noshuffle', typesize, blocksize: 0 },
});

function encodeJson(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, null, 2));
}

/** Writes a group's zarr.json and records its metadata. */
export async function writeGroup(sink: StoreSink, nodes: NodeMetadata, path: string, attributes: Attributes): Promise<void> {
  const meta = groupMetadata(attributes);
  nodes.set(path, meta);
  await sink.write(join(path, 'zarr.json'), encodeJson(meta));
}

export function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** Root zarr.json with every node's metadata inlined (zarr-python 3's consolidated format). */
export async function writeConsolidatedRoot(sink: StoreSink, nodes: NodeMetadata, rootAttributes: Attributes): Promise<void> {
  const metadata: Record<string, JsonValue> = {};
  for (const [path, meta] of [...nodes].sort(([a], [b]) => (a < b ? -1 : 1))) if (path !== '') metadata[path] = meta;
  const root = { ...groupMetadata(rootAttributes), consolidated_metadata: { kind: 'inline', must_understand: false, metadata } };
  nodes.set('', groupMetadata(rootAttributes));
  await sink.write('zarr.json', encodeJson(root));
}

export interface ShardedArrayOptions {
  readonly dtype: NumericDtype;
  /** Elements per row (1 for 1-D arrays; nCols for a dense 2-D matrix). */
  readonly rowWidth: number;
  /** Rows per inner chunk. */
  readonly chunkRows: number;
  /** Inner chunks per shard. */
  readonly chunksPerShard: number;
  readonly attributes?: Attributes;
  /** Compress inner chunks (default true). */
  readonly compress?: boolean;
}

export interface ShardedArrayWriter {
  /** Appends rows (values.length must be a multiple of rowWidth). */
  append(values: NumericArray): Promise<void>;
  /** Flushes the last shard and writes zarr.json; returns the number of rows written. */
  finish(): Promise<number>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

const arrayCtor: Record<NumericDtype, new (n: number) => NumericArray> = {
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
};

const EMPTY = 0xffffffffffffffffn;

/**
 * numcodecs' Blosc (lz4, level 3, byte shuffle). Its encoder takes bytes and always shuffles with
 * a typesize of 4 (the blosc header records it, so every reader decodes it correctly).
 */
function bloscEncoder(shuffle: boolean): { encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array> } {
  const config = { id: 'blosc', cname: 'lz4', clevel: 3, shuffle: (shuffle ? 1 : 0) as never, blocksize: 0 };
  return Blosc.fromConfig(config);
}

export function createShardedArrayWriter(sink: StoreSink, nodes: NodeMetadata, path: string, options: ShardedArrayOptions): ShardedArrayWriter {
  const { dtype, rowWidth, chunkRows, chunksPerShard } = options;
  const compress = options.compress ?? true;
  const typesize = dtypeBytes[dtype];
  const codec = bloscEncoder(typesize > 1);
  const chunkElems = chunkRows * rowWidth;
  const shardElems = chunkElems * chunksPerShard;
  let buffer = new arrayCtor[dtype](shardElems);
  let filled = 0;
  let shard = 0;
  let rows = 0;
  let bytesWritten = 0;

  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    const nChunks = Math.ceil(filled / chunkElems);
    const parts: Uint8Array[] = [];
    const index = new BigUint64Array(chunksPerShard * 2).fill(EMPTY);
    let offset = 0;
    for (let c = 0; c < nChunks; c++) {
      // a partial last chunk is written at full chunk shape, padded with the fill value 0
      const view = buffer.subarray(c * chunkElems, (c + 1) * chunkElems);
      if (c === nChunks - 1 && filled < (c + 1) * chunkElems) view.fill(0 as never, filled - c * chunkElems);
      const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const encoded = compress ? await codec.encode(raw) : raw.slice();
      index[2 * c] = BigInt(offset);
      index[2 * c + 1] = BigInt(encoded.length);
      parts.push(encoded);
      offset += encoded.length;
    }
    const indexBytes = new Uint8Array(index.buffer);
    const out = new Uint8Array(offset + indexBytes.length + 4);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    out.set(indexBytes, o);
    new DataView(out.buffer).setUint32(o + indexBytes.length, crc32c(indexBytes), true);
    await sink.write(join(path, 'c', ...Array.from({ length: rowWidth > 1 ? 2 : 1 }, (_, i) => (i === 0 ? String(shard) : '0'))), out);
    bytesWritten += out.length;
    shard++;
    filled = 0;
    buffer = new arrayCtor[dtype](shardElems);
  };

  return {
    get bytesWritten() {
      return bytesWritten;
    },
    async append(values) {
      if (values.length % rowWidth !== 0) throw new RangeError(`${path}: appended ${values.length} values, not a multiple of the row width ${rowWidth}`);
      let i = 0;
      while (i < values.length) {
        const take = Math.min(values.length - i, shardElems - filled);
        buffer.set(values.subarray(i, i + take) as never, filled);
        filled += take;
        i += take;
        if (filled === shardElems) await flush();
      }
      rows += values.length / rowWidth;
    },
    async finish() {
      await flush();
      const shape = rowWidth > 1 ? [rows, rowWidth] : [rows];
      const inner = rowWidth > 1 ? [chunkRows, rowWidth] : [chunkRows];
      const outer = rowWidth > 1 ? [chunkRows * chunksPerShard, rowWidth] : [chunkRows * chunksPerShard];
      const innerCodecs: JsonValue[] = [{ name: 'bytes', configuration: { endian: 'little' } }];
      if (compress) innerCodecs.push(bloscLz4(typesize));
      const meta: Record<string, JsonValue> = {
        zarr_format: 3,
        node_type: 'array',
        shape,
        data_type: dtype,
        chunk_grid: { name: 'regular', configuration: { chunk_shape: outer } },
        chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
        fill_value: dtype === 'bool' ? false : 0,
        codecs: [
          {
            name: 'sharding_indexed',
            configuration: {
              chunk_shape: inner,
              codecs: innerCodecs,
              index_codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'crc32c' }],
              index_location: 'end',
            },
          },
        ],
        attributes: options.attributes ?? {},
      };
      nodes.set(path, meta);
      await sink.write(join(path, 'zarr.json'), encodeJson(meta));
      return rows;
    },
  };
}

/** A whole (small) numeric array as one sharded array with one inner chunk per `chunkRows`. */
export async function writeNumericArray(
  sink: StoreSink,
  nodes: NodeMetadata,
  path: string,
  dtype: NumericDtype,
  values: NumericArray,
  attributes: Attributes = {},
  chunkRows = 65536,
): Promise<void> {
  const rowsPerChunk = Math.max(1, Math.min(chunkRows, values.length));
  const writer = createShardedArrayWriter(sink, nodes, path, {
    dtype,
    rowWidth: 1,
    chunkRows: rowsPerChunk,
    chunksPerShard: Math.max(1, Math.ceil(values.length / rowsPerChunk)),
    attributes,
  });
  await writer.append(values);
  await writer.finish();
}

/** A 1-D vlen-utf8 string array in one chunk (obs/var names, categories, string columns). */
export async function writeStringArray(sink: StoreSink, nodes: NodeMetadata, path: string, values: readonly string[], attributes: Attributes): Promise<void> {
  const enc = new TextEncoder();
  const encoded = values.map((v) => enc.encode(v));
  const total = 4 + encoded.reduce((n, e) => n + 4 + e.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, values.length, true);
  let o = 4;
  for (const e of encoded) {
    dv.setUint32(o, e.length, true);
    out.set(e, o + 4);
    o += 4 + e.length;
  }
  const meta: Record<string, JsonValue> = {
    zarr_format: 3,
    node_type: 'array',
    shape: [values.length],
    data_type: 'string',
    chunk_grid: { name: 'regular', configuration: { chunk_shape: [Math.max(1, values.length)] } },
    chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
    fill_value: '',
    codecs: [{ name: 'vlen-utf8' }],
    attributes,
  };
  nodes.set(path, meta);
  if (values.length > 0) await sink.write(join(path, 'c', '0'), out);
  await sink.write(join(path, 'zarr.json'), encodeJson(meta));
}
