// The container tree of a zarr store (v2 or v3, consolidated or not), read with zarrita, which
// trusts what it reads. Here every chunk is checked: its decoded length against the chunk's shape,
// every shard index's crc32c, and — for the data and indices of a sparse matrix, whose extent
// indptr fixes — that no chunk is missing (zarr's "missing chunk = fill value" would put zeros in
// column 0 there). A problem is a SourceError naming the array and the chunk's key.

import { isFloat16Array } from '@petamoriken/float16';
import { ensureFloat16Array } from './float16.ts';
import * as zarr from 'zarrita';
import { installCheckedCodecs, verifyCrc32c } from './checked-codecs.ts';
import { SourceError } from './errors.ts';
import type { AbsolutePath, GetOptions, RangeQuery, SourceStore, ZarrFormat } from './store.ts';
import { joinPath, type ArrayNode, type ArrayValues, type Attrs, type GroupNode, type TreeNode } from './tree.ts';
import { arrayLayout, coordsOfKey, firstMissingInnerChunk, type ArrayLayout } from './zarr-layout.ts';
import { rowRunReader } from './zarr-row-runs.ts';

type Listing = ReadonlyMap<string, string[]>;

/** Children per group path from consolidated metadata ('' is the root). */
function listingOf(contents: readonly { path: AbsolutePath }[]): Listing {
  const children = new Map<string, string[]>();
  for (const { path } of contents) {
    if (path === '/') continue;
    const cut = path.lastIndexOf('/');
    const parent = path.slice(1, cut);
    const list = children.get(parent) ?? [];
    list.push(path.slice(cut + 1));
    children.set(parent, list);
  }
  return children;
}

function toValues(data: unknown): ArrayValues {
  if (ArrayBuffer.isView(data)) return data as ArrayValues;
  // Node's Float16Array stand-in (src/source/float16.ts) is not a view: float16 is read as float32.
  if (isFloat16Array(data)) return Float32Array.from(data as Iterable<number>);
  if (data instanceof zarr.BoolArray) return Uint8Array.from(data, (v) => (v ? 1 : 0));
  if (data instanceof zarr.UnicodeStringArray || data instanceof zarr.ByteStringArray) return Array.from(data);
  if (Array.isArray(data)) return data.map((v) => (v === null || v === undefined ? null : String(v)));
  throw new TypeError(`unexpected zarr read result ${Object.prototype.toString.call(data)}`);
}

function dtypeName(dtype: string): string {
  if (dtype === 'v2:object' || dtype === 'string' || dtype.startsWith('v2:U') || dtype.startsWith('v2:S')) return 'string';
  return dtype;
}

/** What the guard knows about an opened array. */
interface GuardedArray {
  readonly layout: ArrayLayout;
  /**
   * Data or indices of a sparse matrix: a missing chunk is an incomplete store, not fill values.
   * A dense array keeps zarr's rule (missing chunk = fill value): writers such as zarr-python 3
   * (write_empty_chunks=False) leave out chunks that hold only the fill value, so a gap in a dense
   * X is legitimate data; a NaN fill value is then caught by the bad-values check.
   */
  readonly complete: boolean;
}

const isMetadataKey = (key: string): boolean => /\/(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata)$/.test(key);

/**
 * The store zarrita reads through: keeps the metadata documents it passes (for the array layouts)
 * and checks chunk and shard-index reads of the arrays registered in `arrays`.
 */
function guardStore(inner: zarr.AsyncReadable, label: string, arrays: Map<string, GuardedArray>, documents: Map<string, Uint8Array>): zarr.AsyncReadable {
  const owner = (key: string): { array: GuardedArray; coords: number[] } | undefined => {
    for (let cut = key.lastIndexOf('/'); cut > 0; cut = key.lastIndexOf('/', cut - 1)) {
      const array = arrays.get(key.slice(0, cut));
      if (!array) continue;
      const coords = coordsOfKey(array.layout, key);
      return coords ? { array, coords } : undefined;
    }
    return undefined;
  };
  const missing = (key: string, what: string): SourceError =>
    new SourceError('incomplete', `${label}${key}`, `${label}: ${key.slice(1)} is missing (${what}). The store is incomplete: copy or upload it again.`);
  return {
    async get(key: AbsolutePath, opts?: GetOptions) {
      const bytes = await inner.get(key, opts);
      if (isMetadataKey(key)) {
        if (bytes) documents.set(key, bytes);
        return bytes;
      }
      if (!bytes && owner(key)?.array.complete) throw missing(key, 'a chunk of a sparse matrix, whose extent indptr fixes');
      return bytes;
    },
    async getRange(key: AbsolutePath, range: RangeQuery, opts?: GetOptions) {
      const bytes = await inner.getRange!(key, range, opts);
      const found = owner(key);
      const shard = found?.array.layout.shard;
      if (!found || !shard) return bytes;
      const isIndex = 'suffixLength' in range && range.suffixLength === shard.indexBytes;
      if (!bytes) {
        // A shard whose index was read (so it existed) cannot lose a chunk: gone now is a change, not fill values.
        if (!isIndex) throw missing(key, `the shard vanished after its index was read`);
        if (found.array.complete) throw missing(key, 'a shard of a sparse matrix, whose extent indptr fixes');
        return bytes;
      }
      if (!isIndex) return bytes;
      let entries = bytes;
      if (shard.indexChecksum) {
        try {
          entries = verifyCrc32c(bytes);
        } catch (error) {
          throw new SourceError('corrupt', `${label}${key}`, `${label}: corrupt shard index in ${key.slice(1)} (${(error as Error).message}). The shard is damaged, or the server sent other bytes than asked for; re-write or re-upload it.`, { cause: error });
        }
      }
      if (found.array.complete) {
        const gap = firstMissingInnerChunk(found.array.layout, found.coords, entries);
        if (gap) throw missing(key, `its index has no inner chunk [${gap.join(', ')}], inside the extent of a sparse matrix's ${found.array.layout.path.split('/').pop()}`);
      }
      return bytes;
    },
  };
}

/** The SourceError inside a zarrita error (it wraps codec failures in CodecPipelineError). */
function sourceErrorIn(error: unknown): SourceError | undefined {
  for (let e = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) if (e instanceof SourceError) return e;
  return undefined;
}

/**
 * Wraps zarrita's getChunk: a decode failure names the array and the chunk's key, and a chunk that
 * decodes to more or fewer elements than its shape holds (a damaged frame, a dtype changed in the
 * metadata) is an error instead of being copied into the result.
 */
const checkedChunks = zarr.defineArrayExtension((array, where: { label: string; layout: ArrayLayout }) => ({
  async getChunk(coords: number[], options?: { signal?: AbortSignal }, opts?: { useSharedArrayBuffer?: boolean }) {
    const { label, layout } = where;
    const name = (): string => {
      if (!layout.shard) return layout.keyOf(coords).slice(1);
      const per = layout.shard.chunksPerShard;
      return `inner chunk [${coords.join(', ')}] of ${layout.keyOf(coords.map((c, i) => Math.floor(c / per[i]!))).slice(1)}`;
    };
    let chunk;
    try {
      chunk = await array.getChunk(coords, options, opts);
    } catch (error) {
      const inner = sourceErrorIn(error);
      if (inner && inner.location.startsWith(label)) throw inner;
      if (inner?.code === 'aborted') throw inner;
      if (error instanceof zarr.UnknownCodecError) throw new SourceError('encoding', `${label}${layout.path}`, `${label}: ${layout.path.slice(1)} uses a codec this reader does not know: ${error.message}`, { cause: error });
      const problem = inner ? inner.message : `it could not be decoded (${(error as Error).message})`;
      throw new SourceError('corrupt', `${label}${layout.path}`, `${label}: ${name()} is damaged: ${problem}. Re-write or re-upload the store.`, { cause: error });
    }
    const expected = array.chunks.reduce((a, b) => a * b, 1);
    if (chunk.data.length !== expected) {
      throw new SourceError(
        'corrupt',
        `${label}${layout.path}`,
        `${label}: ${name()} decodes to ${chunk.data.length} elements, but its shape [${array.chunks.join(', ')}] holds ${expected} (a damaged chunk, or a data type in the metadata that is not the one written).`,
      );
    }
    return chunk;
  },
}));

function arrayNode(path: string, arr: zarr.Array<zarr.DataType, zarr.Readable>, label: string): ArrayNode {
  const readRuns = rowRunReader(arr);
  const decodeFailure = (error: unknown): SourceError =>
    error instanceof SourceError ? error : new SourceError('malformed', `${label}/${path}`, `Could not decode ${path} in ${label}: ${(error as Error).message}`, { cause: error });
  return {
    kind: 'array',
    path,
    shape: arr.shape,
    dtype: dtypeName(arr.dtype),
    attrs: arr.attrs as Attrs,
    // For sharded arrays zarrita reports the inner chunk: the unit one range read fetches.
    chunkRows: arr.chunks[0] ?? 1,
    async read(start, end, signal) {
      const selection = [zarr.slice(start, end), ...arr.shape.slice(1).map(() => null)];
      try {
        const chunk = await zarr.get(arr, selection, { signal });
        return toValues(chunk.data);
      } catch (error) {
        throw decodeFailure(error);
      }
    },
    ...(readRuns
      ? {
          readRuns: (runs, signal) => readRuns(runs, signal).catch((error: unknown) => Promise.reject(decodeFailure(error))),
        }
      : {}),
  };
}

const sparseEncodings = new Set(['csr_matrix', 'csc_matrix']);

const decodeJson = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

/**
 * The store's zarr format, from its root documents (v3 zarr.json first, unless the store already
 * knows it is v2), and the metadata keys its consolidated metadata lists (undefined when it has
 * none, or none zarrita reads).
 */
async function rootFormat(store: SourceStore, known: ZarrFormat | undefined): Promise<{ format: 'v2' | 'v3'; known?: Set<string> }> {
  const v3 = known === 2 ? undefined : await store.get('/zarr.json');
  if (v3) {
    const doc = decodeJson(v3) as { consolidated_metadata?: { metadata?: Record<string, unknown> } };
    const listed = doc.consolidated_metadata?.metadata;
    if (!listed || typeof listed !== 'object') return { format: 'v3' };
    return { format: 'v3', known: new Set(['/zarr.json', ...Object.keys(listed).map((path) => `/${path.replace(/^\//, '')}/zarr.json`)]) };
  }
  const v2 = await store.get('/.zmetadata');
  if (!v2) return { format: 'v2' };
  const listed = (decodeJson(v2) as { metadata?: Record<string, unknown> }).metadata;
  return listed && typeof listed === 'object' ? { format: 'v2', known: new Set(Object.keys(listed).map((key) => `/${key}`)) } : { format: 'v2' };
}

/**
 * With consolidated metadata, a metadata document it does not list does not exist: answered here
 * as absent instead of asked for (zarrita probes .zattrs, .zarray and zarr.json of every node it
 * opens; over HTTP each miss is a 404 in the browser's console).
 */
function onlyListedMetadata(inner: zarr.AsyncReadable, known: ReadonlySet<string>): zarr.AsyncReadable {
  return {
    get: (key, opts) => (isMetadataKey(key) && !known.has(key) ? Promise.resolve(undefined) : inner.get(key, opts)),
    getRange: (key, range, opts) => inner.getRange!(key, range, opts),
  };
}

/** The store's root group, and the zarr format it is in. `knownFormat`: what the store found out while opening. */
export async function openZarrTree(store: SourceStore, knownFormat?: ZarrFormat): Promise<{ root: GroupNode; zarrFormat: ZarrFormat }> {
  installCheckedCodecs();
  await ensureFloat16Array();
  const label = store.label;
  let readable: zarr.AsyncReadable = store;
  let listing: Listing | undefined;
  let format: 'v2' | 'v3';
  try {
    const root = await rootFormat(store, knownFormat);
    format = root.format;
    if (root.known) {
      const consolidated = await zarr.withConsolidatedMetadata(store, { format }).catch((error: unknown) => {
        // metadata zarrita does not take as consolidated: read the store node by node, as without it
        if (error instanceof zarr.NotFoundError || error instanceof zarr.InvalidMetadataError) return undefined;
        throw error;
      });
      if (consolidated) {
        listing = listingOf(consolidated.contents());
        readable = onlyListedMetadata(consolidated, root.known);
      }
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError('malformed', label, `The consolidated metadata of ${label} is unreadable: ${(error as Error).message}`, { cause: error });
  }
  const arrays = new Map<string, GuardedArray>();
  const documents = new Map<string, Uint8Array>();
  const root = zarr.root(guardStore(readable, label, arrays, documents));

  /** The array's own metadata document, as zarrita read it a moment ago. */
  function layoutOf(path: string): ArrayLayout | undefined {
    const key = `/${path}`;
    const bytes = documents.get(`${key}/zarr.json`) ?? documents.get(`${key}/.zarray`);
    if (!bytes) return undefined;
    return arrayLayout(key, JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>, label);
  }

  /**
   * zarrita reports metadata it cannot parse (broken JSON, an unknown dtype) as "not found" or as
   * invalid metadata; a document that is there but unreadable is named instead.
   */
  async function unreadable(path: string): Promise<SourceError | undefined> {
    const where = path ? `${path}/` : '';
    const present = ['zarr.json', '.zarray', '.zgroup', '.zattrs'].filter((name) => documents.has(`/${where}${name}`));
    if (present.length === 0) return undefined;
    const fail = (name: string, problem: string, cause: unknown): SourceError =>
      new SourceError('malformed', `${label}/${where}${name}`, `${label}: ${where}${name} is damaged: ${problem}. Re-write the store (or restore that file).`, { cause });
    for (const name of present) {
      try {
        JSON.parse(new TextDecoder().decode(documents.get(`/${where}${name}`)));
      } catch (error) {
        return fail(name, `it is not valid JSON (${(error as Error).message})`, error);
      }
    }
    const name = present.includes('zarr.json') ? 'zarr.json' : (present.find((n) => n !== '.zattrs') ?? present[0]!);
    try {
      const location = root.resolve(path || '/');
      if (name === 'zarr.json') await zarr.open.v3(location);
      else await zarr.open.v2(location, { kind: name === '.zgroup' ? 'group' : 'array' });
    } catch (error) {
      return fail(name, `zarr cannot read it (${(error as Error).message})`, error);
    }
    return undefined;
  }

  async function open(path: string, parentAttrs?: Attrs): Promise<TreeNode | undefined> {
    let node;
    try {
      // the root's format for every node: trying the other one first would probe documents that are not there
      const location = root.resolve(path || '/');
      node = await (format === 'v3' ? zarr.open.v3(location) : zarr.open.v2(location));
    } catch (error) {
      if (error instanceof SourceError) throw error;
      if (error instanceof zarr.NotFoundError || error instanceof zarr.InvalidMetadataError) {
        const damaged = await unreadable(path);
        if (damaged) throw damaged;
        if (error instanceof zarr.NotFoundError) return undefined;
      }
      throw new SourceError('malformed', `${label}/${path}`, `The zarr metadata of ${path || 'the root'} in ${label} is unreadable: ${(error as Error).message}`, { cause: error });
    }
    if (!(node instanceof zarr.Array)) return groupNode(path, node.attrs as Attrs);
    const layout = layoutOf(path);
    if (!layout) return arrayNode(path, node, label);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const complete = (name === 'data' || name === 'indices') && sparseEncodings.has(String(parentAttrs?.['encoding-type']));
    arrays.set(layout.path, { layout, complete });
    return arrayNode(path, checkedChunks(node, { label, layout }), label);
  }

  function groupNode(path: string, attrs: Attrs): GroupNode {
    return {
      kind: 'group',
      path,
      attrs,
      child: (name) => open(joinPath(path, name), attrs),
      async keys() {
        if (listing) return listing.get(path) ?? [];
        return store.list ? store.list(`/${path}` as AbsolutePath) : undefined;
      },
    };
  }

  const top = await open('');
  if (!top || top.kind !== 'group') throw new SourceError('malformed', label, `${label} has no zarr group at its root; an AnnData store is a group.`);
  return { root: top, zarrFormat: format === 'v3' ? 3 : 2 };
}
