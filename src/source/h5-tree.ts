// The container tree of an HDF5 file (.h5ad) read with h5wasm — in Node (h5wasm/node, a path) or in
// a dedicated worker (a File mounted with WORKERFS). Reads are cut into bounded pieces because one
// h5wasm read must fit the wasm heap (< 2 GiB).

import type * as H5 from 'h5wasm';
import { SourceError } from './errors.ts';
import { describeHead } from './file-kind.ts';
import { chunkFilters, openChunkedDataset, readVlenStrings, type ChunkedDataset, type ReadBytes } from './h5-chunks.ts';
import { concatValues } from './runs.ts';
import { joinPath, type ArrayNode, type ArrayValues, type Attrs, type GroupNode, type NumericArray, type TreeNode } from './tree.ts';

/** The parts of an h5wasm build the tree needs (its node and browser builds both fit). */
type H5Module = Pick<typeof H5, 'Group' | 'Dataset'>;

/** The C module under h5wasm (what `h5wasm.ready` resolves to), for what its high-level API lacks. */
export interface H5Native {
  activate_throwing_error_handler(): number;
  /** An HDF5 object reference: the object header's address, 8 bytes little-endian. */
  create_object_reference(fileId: bigint, path: string): ArrayLike<number>;
  get_dataset_data(fileId: bigint, path: string, count: bigint[] | null, offset: bigint[] | null, strides: bigint[] | null, pointer: bigint): number;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  readonly HEAPU8: Uint8Array;
  onAbort?: (what: unknown) => void;
}

const prepared = new WeakSet<H5Native>();

/**
 * Sets up an h5wasm module once: HDF5 errors become exceptions instead of pages of HDF5-DIAG on
 * stderr, and an abort inside HDF5 (bit-flipped metadata) becomes an exception instead of
 * printing "Aborted(…)" and killing the module.
 */
export function prepareH5wasm(native: H5Native): H5Native {
  if (prepared.has(native)) return native;
  prepared.add(native);
  native.activate_throwing_error_handler();
  native.onAbort = (what) => {
    throw new Hdf5Abort(String(what));
  };
  return native;
}

class Hdf5Abort extends Error {}

/** One line out of an HDF5 error stack: its innermost entry ("in H5X(): what went wrong"). */
function hdf5Reason(error: unknown): string {
  if (error instanceof Hdf5Abort) return `HDF5 aborted: ${error.message}`;
  const text = error instanceof Error ? error.message : String(error);
  const entries = [...text.matchAll(/#\d+: .* in (\w+)\(\): (.*)/g)];
  const last = entries[entries.length - 1];
  return last ? `${last[2]!.trim()} (${last[1]})` : text.split('\n')[0]!;
}

/** float16 bit patterns → float32 values. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 31) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/** Largest single h5wasm read, in bytes. */
export const maxH5ReadBytes = 256 * 1024 * 1024;

/**
 * HDF5 filters compiled into h5wasm; lzf is decoded by h5-chunks.ts, anything else refused up
 * front. (h5wasm-plugins' lzf build reads numbers but aborts on lzf vlen strings with h5wasm 0.10:
 * it needs __errno_location.)
 */
const builtinFilters = new Map([
  [1, 'deflate'],
  [2, 'shuffle'],
  [3, 'fletcher32'],
  [4, 'szip'],
  [5, 'nbit'],
  [6, 'scaleoffset'],
]);

// H5T classes as h5wasm reports them in metadata.type.
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_ENUM = 8;

function dtypeOf(meta: H5.Metadata): string {
  if (meta.type === H5T_STRING || (meta.vlen && meta.vlen_type?.type === H5T_STRING)) return 'string';
  if (meta.type === H5T_FLOAT) return `float${meta.size * 8}`;
  if (meta.type === H5T_INTEGER) return `${meta.signed ? 'int' : 'uint'}${meta.size * 8}`;
  if (meta.type === H5T_ENUM && meta.enum_type) {
    const members = Object.keys(meta.enum_type.members).map((k) => k.toUpperCase()).sort();
    if (members.length === 2 && members[0] === 'FALSE' && members[1] === 'TRUE') return 'bool';
    return `int${meta.size * 8}`;
  }
  return `h5type${meta.type}`;
}

function isHdf5Failure(error: unknown): boolean {
  return error instanceof Hdf5Abort || (error instanceof Error && error.message.includes('HDF5-DIAG'));
}

function attrsOf(entity: { attrs: Record<string, H5.Attribute> }): Attrs {
  const out: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries(entity.attrs)) {
    try {
      const value = attr.value;
      // h5py writes scalars as 0-d attributes; numbers may arrive as BigInt or 1-element arrays.
      out[name] = typeof value === 'bigint' ? Number(value) : value;
    } catch (error) {
      // Damaged metadata is the file's fault; a type h5wasm cannot decode (an object reference) is not.
      if (isHdf5Failure(error)) throw error;
      out[name] = null;
    }
  }
  return out;
}

function toValues(raw: unknown, dtype: string, where: string): ArrayValues {
  if (dtype === 'bool' && ArrayBuffer.isView(raw)) return Uint8Array.from(raw as Int8Array, (v) => (v ? 1 : 0));
  if (ArrayBuffer.isView(raw)) return raw as ArrayValues;
  if (Array.isArray(raw)) return raw.map((v) => (v === null || v === undefined ? null : String(v)));
  if (typeof raw === 'string') return [raw];
  throw new SourceError('encoding', where, `${where}: h5wasm returned an unexpected value type`);
}

export interface H5TreeOptions {
  /** Bytes per single HDF5 read (default 256 MiB, capped below 2 GiB, the wasm heap's limit). */
  readonly maxReadBytes?: number;
}

/** The file's bytes, for datasets whose filters h5wasm lacks (lzf): read and decoded by h5-chunks.ts. */
export interface H5FileBytes {
  readonly read: ReadBytes;
  /** Where the HDF5 superblock starts (after a user block): addresses are relative to it. */
  readonly base: number;
}

/** An HDF5 failure (an error stack or an abort) as one line naming the file as damaged. */
export function hdf5Error(label: string, what: string, error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  return new SourceError('corrupt', label, `${label} is damaged: ${what} failed inside HDF5 (${hdf5Reason(error)}). Copy the file again, or re-write it with anndata.`, { cause: error });
}

/** Wraps an open h5wasm File as a tree; `label` names the file in messages. */
/** Stored element bytes of a dataset read by h5-chunks.ts, as the values h5wasm would give. */
async function decodeElements(bytes: Uint8Array, meta: H5.Metadata, dtype: string, elementBytes: number, fileBytes: H5FileBytes, where: string): Promise<ArrayValues> {
  if (dtype === 'string') {
    if (meta.vlen || meta.vlen_type) return readVlenStrings(fileBytes.read, fileBytes.base, bytes, where);
    const decoder = new TextDecoder();
    return Array.from({ length: bytes.length / elementBytes }, (_, i) => decoder.decode(bytes.subarray(i * elementBytes, (i + 1) * elementBytes)).replace(/\0+$/, ''));
  }
  const copy = bytes.slice().buffer;
  if (dtype === 'bool') return Uint8Array.from(new Uint8Array(copy), (v) => (v ? 1 : 0));
  if (dtype === 'float16') return float16ToFloat32(new Uint16Array(copy));
  const types: Record<string, new (buffer: ArrayBuffer) => NumericArray> = {
    int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
    int64: BigInt64Array, uint64: BigUint64Array, float32: Float32Array, float64: Float64Array,
  };
  const Type = types[dtype];
  if (!Type) throw new SourceError('encoding', where, `${where}: element type ${dtype} cannot be read from an lzf-compressed dataset.`);
  return new Type(copy);
}

export function h5Tree(h5: H5Module, native: H5Native, file: H5.File, label: string, options: H5TreeOptions = {}, fileBytes?: H5FileBytes): GroupNode {
  const maxBytes = Math.min(options.maxReadBytes ?? maxH5ReadBytes, 2 ** 31 - 1);

  function guard<T>(path: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw hdf5Error(label, `reading ${path || '/'}`, error);
    }
  }

  /** Rows [start, stop) of a float16 dataset, which h5wasm's slice cannot decode: its raw bits, converted. */
  function readFloat16(dataset: H5.Dataset, shape: readonly number[], start: number, stop: number): Float32Array {
    const count = [stop - start, ...shape.slice(1)];
    const n = count.reduce((a, b) => a * b, 1);
    const pointer = native._malloc(Math.max(2, n * 2));
    try {
      native.get_dataset_data(dataset.file_id, dataset.path, count.map(BigInt), [BigInt(start), ...shape.slice(1).map(() => 0n)], count.map(() => 1n), BigInt(pointer));
      return float16ToFloat32(new Uint16Array(native.HEAPU8.slice(pointer, pointer + n * 2).buffer));
    } finally {
      native._free(pointer);
    }
  }

  function arrayNode(path: string, dataset: H5.Dataset): ArrayNode {
    const meta = guard(path, () => dataset.metadata);
    const shape = meta.shape ?? [];
    const dtype = dtypeOf(meta);
    const filters = guard(path, () => dataset.filters);
    // lzf (h5py's filter, not in h5wasm): the chunks are read from the file's bytes and decoded here.
    const decodeHere = fileBytes !== undefined && filters.some((f) => !builtinFilters.has(f.id)) && filters.every((f) => chunkFilters.has(f.id));
    const unknown = decodeHere ? undefined : filters.find((f) => !builtinFilters.has(f.id));
    let chunked: Promise<ChunkedDataset> | undefined;
    const where = `${label}: ${path}`;
    const openChunks = () =>
      (chunked ??= (async () => {
        const reference = guard(path, () => native.create_object_reference(dataset.file_id, path));
        const address = Number(new DataView(Uint8Array.from(reference).buffer).getBigUint64(0, true));
        return openChunkedDataset(fileBytes!.read, fileBytes!.base, address, shape, filters.map((f) => f.id), where);
      })());
    const rowElements = shape.slice(1).reduce((a, b) => a * b, 1);
    const rowBytes = Math.max(1, rowElements * meta.size);
    const piece = Math.max(1, Math.floor(maxBytes / rowBytes));
    return {
      kind: 'array',
      path,
      shape,
      dtype,
      attrs: guard(path, () => attrsOf(dataset)),
      // A contiguous dataset reads any hyperslab directly: nothing is gained by merging runs.
      chunkRows: meta.chunks?.[0] ?? 1,
      async read(start, end, signal) {
        if (unknown) {
          throw new SourceError(
            'encoding',
            label,
            `${label}: ${path} is compressed with the HDF5 filter '${unknown.name}' (id ${unknown.id}), which this reader does not include. Re-save the file with gzip (or no compression), in Python: adata.write_h5ad(path, compression='gzip').`,
          );
        }
        if (dtype.startsWith('h5type')) throw new SourceError('encoding', label, `${label}: ${path} has an HDF5 element type this reader cannot decode.`);
        if (decodeHere) {
          const chunks = await openChunks();
          return decodeElements(await chunks.readRows(start, end), meta, dtype, chunks.elementBytes, fileBytes!, where);
        }
        const pieces: ArrayValues[] = [];
        for (let at = start; at < end; at += piece) {
          if (signal?.aborted) throw new SourceError('aborted', label, `reading ${label} was aborted`, { cause: signal.reason });
          const stop = Math.min(end, at + piece);
          const ranges: [number, number][] = [[at, stop], ...shape.slice(1).map((n): [number, number] => [0, n])];
          pieces.push(dtype === 'float16' ? guard(path, () => readFloat16(dataset, shape, at, stop)) : toValues(guard(path, () => dataset.slice(ranges)), dtype, `${label}: ${path}`));
          // Give the event loop a turn between pieces so aborts and messages get through.
          if (stop < end) await new Promise((r) => setTimeout(r, 0));
        }
        return pieces.length === 1 ? pieces[0]! : concatValues(pieces, (end - start) * rowElements);
      },
    };
  }

  function node(path: string): TreeNode | undefined {
    const entity = guard(path, () => (path ? file.get(path) : file));
    if (entity instanceof h5.Dataset) return arrayNode(path, entity);
    if (entity instanceof h5.Group) {
      const group = entity;
      return {
        kind: 'group',
        path,
        attrs: guard(path, () => attrsOf(group)),
        child: async (name) => node(joinPath(path, name)),
        keys: async () => guard(path, () => group.keys()),
      };
    }
    return undefined;
  }

  const root = node('');
  if (!root || root.kind !== 'group') throw new SourceError('malformed', label, `${label} has no readable HDF5 root group.`);
  return root;
}

/**
 * Checks the HDF5 superblock before h5wasm sees the file: h5wasm opens non-HDF5 and truncated files
 * without complaint and then returns garbage, so both are caught here from the first bytes.
 * Returns where the superblock starts (the base of the file's addresses).
 */
export function checkHdf5Header(head: Uint8Array, fileSize: number, label: string): number {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  let base = -1;
  for (let at = 0; at + 8 <= head.length; at = at === 0 ? 512 : at * 2) {
    if (signature.every((b, i) => head[at + i] === b)) {
      base = at;
      break;
    }
  }
  if (base < 0) {
    throw new SourceError('malformed', label, `${label} is not an HDF5 file, so not an .h5ad: it is ${describeHead(head)}. Open an .h5ad written by anndata (write_h5ad), or a zarr store.`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = head[base + 8]!;
  let eofAt: number;
  let offsetSize: number;
  if (version === 0 || version === 1) {
    offsetSize = head[base + 13]!;
    eofAt = base + 24 + (version === 1 ? 4 : 0) + 2 * offsetSize;
  } else {
    offsetSize = head[base + 9]!;
    eofAt = base + 12 + 2 * offsetSize;
  }
  if (offsetSize !== 8 || eofAt + 8 > head.length) return base; // unusual layout: leave the checks to HDF5
  const endOfFile = Number(view.getBigUint64(eofAt, true));
  if (endOfFile > fileSize) {
    throw new SourceError('truncated', label, `${label} is truncated: it has ${fileSize} bytes but its HDF5 header says ${endOfFile}. Copy or download the file again.`);
  }
  return base;
}
