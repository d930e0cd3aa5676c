// The container tree of a zarr store (v2 or v3, consolidated or not), read with zarrita.

import * as zarr from 'zarrita';
import { SourceError } from './errors.ts';
import type { AbsolutePath, SourceStore } from './store.ts';
import { joinPath, type ArrayNode, type ArrayValues, type Attrs, type GroupNode, type TreeNode } from './tree.ts';

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
  if (data instanceof zarr.BoolArray) return Uint8Array.from(data, (v) => (v ? 1 : 0));
  if (data instanceof zarr.UnicodeStringArray || data instanceof zarr.ByteStringArray) return Array.from(data);
  if (Array.isArray(data)) return data.map((v) => (v === null || v === undefined ? null : String(v)));
  throw new TypeError(`unexpected zarr read result ${Object.prototype.toString.call(data)}`);
}

function dtypeName(dtype: string): string {
  if (dtype === 'v2:object' || dtype === 'string' || dtype.startsWith('v2:U') || dtype.startsWith('v2:S')) return 'string';
  return dtype;
}

function arrayNode(path: string, arr: zarr.Array<zarr.DataType, zarr.Readable>, label: string): ArrayNode {
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
        if (error instanceof SourceError) throw error;
        throw new SourceError('malformed', `${label}/${path}`, `Could not decode ${path} in ${label}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

export async function openZarrTree(store: SourceStore): Promise<GroupNode> {
  const label = store.label;
  let readable: zarr.AsyncReadable = store;
  let listing: Listing | undefined;
  try {
    const consolidated = await zarr.withMaybeConsolidatedMetadata(store);
    if ('contents' in consolidated) {
      listing = listingOf(consolidated.contents());
      readable = consolidated;
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError('malformed', label, `The consolidated metadata of ${label} is unreadable: ${(error as Error).message}`, { cause: error });
  }
  const root = zarr.root(readable);

  async function open(path: string): Promise<TreeNode | undefined> {
    let node;
    try {
      node = await zarr.open(root.resolve(path || '/'));
    } catch (error) {
      if (error instanceof SourceError) throw error;
      if (error instanceof zarr.NotFoundError) return undefined;
      throw new SourceError('malformed', `${label}/${path}`, `The zarr metadata of ${path || 'the root'} in ${label} is unreadable: ${(error as Error).message}`, { cause: error });
    }
    return node instanceof zarr.Array ? arrayNode(path, node, label) : groupNode(path, node.attrs as Attrs);
  }

  function groupNode(path: string, attrs: Attrs): GroupNode {
    return {
      kind: 'group',
      path,
      attrs,
      child: (name) => open(joinPath(path, name)),
      async keys() {
        if (listing) return listing.get(path) ?? [];
        return store.list ? store.list(`/${path}` as AbsolutePath) : undefined;
      },
    };
  }

  const top = await open('');
  if (!top || top.kind !== 'group') throw new SourceError('malformed', label, `${label} has no zarr group at its root; an AnnData store is a group.`);
  return top;
}
