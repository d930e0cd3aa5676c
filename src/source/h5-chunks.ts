// Reads a chunked HDF5 dataset straight from the file's bytes, for filters h5wasm does not have
// (h5py's lzf, common in files of the anndata 0.7 era): the dataset's object header gives its
// chunk B-tree, each chunk is read, un-filtered here (lzf, shuffle, fletcher32) and placed.
// Covers what h5py writes by default (object header v1/v2, layout message v3, v1 chunk B-tree,
// 8-byte addresses); anything else is refused with a clear error.

import { SourceError } from './errors.ts';

/** Bytes [offset, offset + length) of the file. */
export type ReadBytes = (offset: number, length: number) => Promise<Uint8Array>;

export interface ChunkedDataset {
  readonly shape: readonly number[];
  readonly chunkShape: readonly number[];
  /** Bytes per element as stored (16 for a variable-length string: length + global heap id). */
  readonly elementBytes: number;
  /** Rows [start, end) along axis 0, whole rows, as the stored element bytes in row-major order. */
  readRows(start: number, end: number): Promise<Uint8Array>;
}

/** Decompresses one LZF block (liblzf's format, as h5py's filter writes it: no header). */
export function lzfDecompress(input: Uint8Array, outputLength: number, where: string): Uint8Array {
  const out = new Uint8Array(outputLength);
  let ip = 0;
  let op = 0;
  const damaged = (): never => {
    throw new SourceError('corrupt', where, `${where}: an lzf chunk is damaged (it decodes past ${outputLength} bytes or refers before its start).`);
  };
  while (ip < input.length) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const length = ctrl + 1;
      if (op + length > outputLength || ip + length > input.length) damaged();
      out.set(input.subarray(ip, ip + length), op);
      ip += length;
      op += length;
      continue;
    }
    let length = ctrl >> 5;
    let ref = op - ((ctrl & 0x1f) << 8) - 1;
    if (length === 7) length += input[ip++] ?? damaged();
    ref -= input[ip++] ?? damaged();
    length += 2;
    if (ref < 0 || op + length > outputLength) damaged();
    for (let k = 0; k < length; k++) out[op++] = out[ref++]!;
  }
  if (op !== outputLength) throw new SourceError('corrupt', where, `${where}: an lzf chunk decodes to ${op} bytes instead of ${outputLength}.`);
  return out;
}

/** Undoes HDF5's shuffle filter: byte k of every element was stored in plane k. */
function unshuffle(bytes: Uint8Array, elementBytes: number): Uint8Array {
  if (elementBytes <= 1) return bytes;
  const n = Math.floor(bytes.length / elementBytes);
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < elementBytes; k++) for (let i = 0; i < n; i++) out[i * elementBytes + k] = bytes[k * n + i]!;
  out.set(bytes.subarray(n * elementBytes), n * elementBytes);
  return out;
}

const LZF = 32000;
const SHUFFLE = 2;
const FLETCHER32 = 3;
/** Filters this reader undoes itself. */
export const chunkFilters: ReadonlySet<number> = new Set([LZF, SHUFFLE, FLETCHER32]);

function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

interface Message {
  readonly type: number;
  readonly data: DataView;
}

async function view(read: ReadBytes, offset: number, length: number): Promise<DataView> {
  const bytes = await read(offset, length);
  if (bytes.length < length) throw new RangeError(`the file ends before byte ${offset + length}`);
  return new DataView(bytes.buffer, bytes.byteOffset, length);
}

/** The header messages of the object at `address` (v1 or v2 object header, continuations followed). */
async function objectMessages(read: ReadBytes, base: number, address: number): Promise<Message[]> {
  const messages: Message[] = [];
  address += base;
  const first = await view(read, address, 16);
  const blocks: { at: number; length: number }[] = [];
  if (first.getUint32(0, true) === 0x5244484f /* 'OHDR' */) {
    const flags = first.getUint8(5);
    let at = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const head = await view(read, address, at + sizeBytes);
    const size = sizeBytes === 1 ? head.getUint8(at) : sizeBytes === 2 ? head.getUint16(at, true) : sizeBytes === 4 ? head.getUint32(at, true) : u64(head, at);
    at += sizeBytes;
    blocks.push({ at: address + at, length: size });
    const creationOrder = (flags & 0x04) !== 0;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      const data = await view(read, block.at, block.length);
      for (let p = 0; p + 4 <= block.length - (b === 0 ? 0 : 4); ) {
        const type = data.getUint8(p);
        const length = data.getUint16(p + 1, true);
        p += 4 + (creationOrder ? 2 : 0);
        messages.push({ type, data: new DataView(data.buffer, data.byteOffset + p, length) });
        if (type === 0x10) blocks.push({ at: base + u64(data, p) + 4, length: u64(data, p + 8) - 4 }); // skip 'OCHK'
        p += length;
      }
    }
    return messages;
  }
  if (first.getUint8(0) !== 1) throw new RangeError(`no object header at ${address}`);
  blocks.push({ at: address + 16, length: first.getUint32(8, true) });
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const data = await view(read, block.at, block.length);
    for (let p = 0; p + 8 <= block.length; ) {
      const type = data.getUint16(p, true);
      const length = data.getUint16(p + 2, true);
      messages.push({ type, data: new DataView(data.buffer, data.byteOffset + p + 8, length) });
      if (type === 0x10) blocks.push({ at: base + u64(data, p + 8), length: u64(data, p + 16) });
      p += 8 + length;
    }
  }
  return messages;
}

interface Chunk {
  readonly offset: readonly number[];
  readonly address: number;
  readonly size: number;
  readonly filterMask: number;
}

/** Every chunk of a v1 chunk B-tree (node type 1) under `address` (addresses file-relative). */
async function chunkList(read: ReadBytes, base: number, address: number, rank: number): Promise<Chunk[]> {
  const keyBytes = 8 + 8 * (rank + 1);
  const head = await view(read, base + address, 24);
  if (head.getUint32(0, true) !== 0x45455254 /* 'TREE' */ || head.getUint8(4) !== 1) throw new RangeError(`no chunk B-tree node at ${address}`);
  const level = head.getUint8(5);
  const entries = head.getUint16(6, true);
  const body = await view(read, base + address + 24, entries * (keyBytes + 8) + keyBytes);
  const chunks: Chunk[] = [];
  for (let e = 0; e < entries; e++) {
    const key = e * (keyBytes + 8);
    const child = u64(body, key + keyBytes);
    if (level > 0) {
      chunks.push(...(await chunkList(read, base, child, rank)));
      continue;
    }
    const offset = Array.from({ length: rank }, (_, d) => u64(body, key + 8 + 8 * d));
    chunks.push({ offset, address: child, size: body.getUint32(key, true), filterMask: body.getUint32(key + 4, true) });
  }
  return chunks;
}

/**
 * Opens the chunked dataset whose object header is at `address` (file-relative, `base` added);
 * `filters` is its pipeline in write order (ids), as h5wasm reports it.
 */
export async function openChunkedDataset(read: ReadBytes, base: number, address: number, shape: readonly number[], filters: readonly number[], where: string): Promise<ChunkedDataset> {
  const at = (a: number) => base + a;
  let messages: Message[];
  try {
    messages = await objectMessages(read, base, address);
  } catch (error) {
    throw new SourceError('corrupt', where, `${where}: its HDF5 object header cannot be read (${(error as Error).message}).`, { cause: error });
  }
  const layout = messages.find((m) => m.type === 0x08)?.data;
  if (!layout || layout.getUint8(0) !== 3 || layout.getUint8(1) !== 2) {
    throw new SourceError('encoding', where, `${where}: its chunk layout (HDF5 layout message version ${layout?.getUint8(0)}) is one this reader's lzf path does not read; re-save the file with gzip, in Python: adata.write_h5ad(path, compression='gzip').`);
  }
  const dims = layout.getUint8(2);
  const treeAddress = u64(layout, 3);
  const chunkShape = Array.from({ length: dims - 1 }, (_, d) => layout.getUint32(11 + 4 * d, true));
  const elementBytes = layout.getUint32(11 + 4 * (dims - 1), true);
  const rank = dims - 1;
  if (rank !== shape.length) throw new SourceError('corrupt', where, `${where}: its chunk layout has ${rank} dimensions but the dataset ${shape.length}.`);
  let chunks: Promise<Chunk[]> | undefined;
  const chunkBytes = chunkShape.reduce((a, b) => a * b, 1) * elementBytes;
  const rowElements = shape.slice(1).reduce((a, b) => a * b, 1);

  async function decode(chunk: Chunk): Promise<Uint8Array> {
    let bytes = await read(at(chunk.address), chunk.size);
    if (bytes.length !== chunk.size) throw new SourceError('truncated', where, `${where}: a chunk at byte ${chunk.address} runs past the end of the file.`);
    for (let i = filters.length - 1; i >= 0; i--) {
      if (chunk.filterMask & (1 << i)) continue; // this filter was skipped when the chunk was written
      const id = filters[i]!;
      if (id === FLETCHER32) bytes = bytes.subarray(0, bytes.length - 4);
      else if (id === LZF) bytes = lzfDecompress(bytes, chunkBytes, where);
      else if (id === SHUFFLE) bytes = unshuffle(bytes, elementBytes);
    }
    if (bytes.length !== chunkBytes) throw new SourceError('corrupt', where, `${where}: a chunk holds ${bytes.length} bytes instead of ${chunkBytes}.`);
    return bytes;
  }

  return {
    shape,
    chunkShape,
    elementBytes,
    async readRows(start, end) {
      chunks ??= chunkList(read, base, treeAddress, rank).catch((error: unknown) => {
        throw new SourceError('corrupt', where, `${where}: its chunk index cannot be read (${(error as Error).message}).`, { cause: error });
      });
      const out = new Uint8Array((end - start) * rowElements * elementBytes);
      const wanted = (await chunks).filter((c) => c.offset[0]! < end && c.offset[0]! + chunkShape[0]! > start);
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      const chunkStrides = chunkShape.map((_, d) => chunkShape.slice(d + 1).reduce((a, b) => a * b, 1));
      await Promise.all(
        wanted.map(async (chunk) => {
          const bytes = await decode(chunk);
          if (rank === 1) {
            const from = Math.max(start, chunk.offset[0]!);
            const to = Math.min(end, chunk.offset[0]! + chunkShape[0]!, shape[0]!);
            out.set(bytes.subarray((from - chunk.offset[0]!) * elementBytes, (to - chunk.offset[0]!) * elementBytes), (from - start) * elementBytes);
            return;
          }
          // Copy the chunk's rows that fall in [start, end), one innermost run at a time (edge chunks are clipped).
          const last = rank - 1;
          const runLength = Math.min(chunkShape[last]!, shape[last]! - chunk.offset[last]!);
          const counts = chunkShape.map((n, d) => Math.min(n, shape[d]! - chunk.offset[d]!));
          const index = new Array<number>(rank).fill(0);
          for (;;) {
            const row = chunk.offset[0]! + index[0]!;
            if (row >= start && row < end) {
              let src = 0;
              let dst = -start * strides[0]!;
              for (let d = 0; d < rank; d++) {
                src += index[d]! * chunkStrides[d]!;
                dst += (chunk.offset[d]! + index[d]!) * strides[d]!;
              }
              out.set(bytes.subarray(src * elementBytes, (src + runLength) * elementBytes), dst * elementBytes);
            }
            let d = last - 1;
            while (d >= 0 && ++index[d]! >= counts[d]!) index[d--] = 0;
            if (d < 0) break;
          }
        }),
      );
      return out;
    },
  };
}

/** Variable-length strings from their stored descriptors (length, global heap collection, object index). */
export async function readVlenStrings(read: ReadBytes, base: number, descriptors: Uint8Array, where: string): Promise<(string | null)[]> {
  const heaps = new Map<number, Promise<Map<number, Uint8Array>>>();
  const heap = (address: number) => {
    let objects = heaps.get(address);
    if (!objects) {
      objects = (async () => {
        const head = await view(read, base + address, 16);
        if (head.getUint32(0, true) !== 0x4c4f4347 /* 'GCOL' */) throw new SourceError('corrupt', where, `${where}: no global heap at byte ${address}.`);
        const size = u64(head, 8);
        const data = await view(read, base + address, size);
        const found = new Map<number, Uint8Array>();
        for (let p = 16; p + 16 <= size; ) {
          const index = data.getUint16(p, true);
          const length = u64(data, p + 8);
          if (index === 0) break; // free space: the rest of the collection
          found.set(index, new Uint8Array(data.buffer, data.byteOffset + p + 16, length));
          p += 16 + Math.ceil(length / 8) * 8;
        }
        return found;
      })();
      heaps.set(address, objects);
    }
    return objects;
  };
  const d = new DataView(descriptors.buffer, descriptors.byteOffset, descriptors.byteLength);
  const decoder = new TextDecoder();
  const out: (string | null)[] = [];
  for (let p = 0; p + 16 <= descriptors.length; p += 16) {
    const length = d.getUint32(p, true);
    const collection = u64(d, p + 4);
    if (collection === 0) {
      out.push(length === 0 ? '' : null);
      continue;
    }
    const object = (await heap(collection)).get(d.getUint32(p + 12, true));
    if (!object || object.length < length) throw new SourceError('corrupt', where, `${where}: a string points at a missing global heap object.`);
    out.push(decoder.decode(object.subarray(0, length)));
  }
  return out;
}
