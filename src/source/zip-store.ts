// A zipped zarr store (`.zarr.zip`, what anndata's write_zarr into a zarr ZipStore produces) as a
// SourceStore, over anything that reads byte ranges: a dropped Blob, a local file (Node), a URL.
// Only the zip's central directory and the entries asked for are read.

import ZipFileStore from '@zarrita/storage/zip';
import { SourceError } from './errors.ts';
import { statusError } from './http-store.ts';
import { fetchFailure, inBrowser, requestBlockedError } from './network-errors.ts';
import type { AbsolutePath, RangeQuery, SourceStore } from './store.ts';

/** Random access to the bytes of one file. */
export interface ByteReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>>;
}

/** The local-file-header signature every zip starts with: "PK\x03\x04". */
export function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

const rootMetadata = ['zarr.json', '.zmetadata', '.zgroup'];

/**
 * Entry names with the store's root at the top: a zip of a folder (`data.zarr/.zgroup`, …) keeps
 * the store one level down, a zarr ZipStore at the top.
 */
function storeRoot(names: readonly string[]): string | undefined {
  if (names.some((n) => rootMetadata.includes(n))) return '';
  const nested = names.filter((n) => rootMetadata.includes(n.slice(n.indexOf('/') + 1)) && n.indexOf('/') === n.lastIndexOf('/'));
  const folders = new Set(nested.map((n) => n.slice(0, n.indexOf('/') + 1)));
  return folders.size === 1 ? [...folders][0] : undefined;
}

/** Child names under `prefix` ('/' or '/obs'), from the archive's entry names. */
function childrenOf(names: readonly string[], prefix: string): string[] {
  const base = prefix === '/' ? '' : `${prefix.slice(1).replace(/\/$/, '')}/`;
  const children = new Set<string>();
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const rest = name.slice(base.length);
    const cut = rest.indexOf('/');
    if (cut > 0 && !rest.startsWith('.')) children.add(rest.slice(0, cut));
  }
  return [...children];
}

export async function openZipStore(reader: ByteReader, label: string, validator: string): Promise<SourceStore> {
  let prefix: string | undefined;
  let names: string[] = [];
  const zip = new ZipFileStore(
    { getLength: async () => reader.size, read: (offset: number, length: number) => reader.read(offset, length) },
    {
      transformEntries(entries) {
        prefix = storeRoot(Object.keys(entries));
        const at = prefix?.length ?? 0;
        const kept = prefix ? Object.fromEntries(Object.entries(entries).flatMap(([name, entry]) => (name.startsWith(prefix!) ? [[name.slice(at), entry]] : []))) : entries;
        names = Object.keys(kept);
        return kept;
      },
    },
  );
  const fail = (error: unknown): never => {
    if (error instanceof SourceError) throw error;
    throw new SourceError('malformed', label, `${label} is not a readable zip archive (${(error as Error).message}); a zipped zarr store is written by anndata's write_zarr into zarr.ZipStore.`, { cause: error });
  };
  await zip.has('/.zgroup').catch(fail);
  if (prefix === undefined) {
    throw new SourceError('not-found', label, `${label} is a zip archive without a zarr store in it: it has no zarr.json, .zmetadata or .zgroup at its top (or in one top folder).`);
  }
  return {
    label,
    validator,
    get: (key: AbsolutePath) => zip.get(key).catch(fail),
    getRange: (key: AbsolutePath, range: RangeQuery) => zip.getRange(key, range).catch(fail),
    // The archive's directory names every key, so groups can be listed (layers found without a hint).
    list: async (prefix: AbsolutePath) => childrenOf(names, prefix),
  };
}

export function blobReader(blob: Blob): ByteReader {
  return { size: blob.size, read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()) };
}

/** Range reads of one URL: a HEAD for the size and validator, then Range GETs checked against what was asked. */
export async function urlReader(url: string, doFetch: (request: Request) => Promise<Response> = (r) => fetch(r)): Promise<{ reader: ByteReader; validator: string }> {
  const blocked = requestBlockedError(url, inBrowser ? globalThis.location?.href : undefined);
  if (blocked) throw blocked;
  const head = await doFetch(new Request(url, { method: 'HEAD' })).catch(async (error: unknown) => {
    throw await fetchFailure(url, error, doFetch, undefined);
  });
  if (!head.ok) throw statusError(url, head);
  const size = Number(head.headers.get('Content-Length') ?? NaN);
  if (!Number.isFinite(size)) throw new SourceError('range-unsupported', url, `${url} sends no Content-Length, so its zip directory (at the end) cannot be found.`);
  const etag = head.headers.get('ETag');
  const modified = head.headers.get('Last-Modified');
  const validator = etag ? `etag:${etag}` : modified ? `modified:${modified}` : `size:${size}`;
  return {
    validator,
    reader: {
      size,
      async read(offset, length) {
        if (length === 0) return new Uint8Array(0);
        const response = await doFetch(new Request(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` }, cache: 'no-store' }));
        const range = /^bytes (\d+)-(\d+)\//.exec(response.headers.get('Content-Range') ?? '');
        if (response.status !== 206 || !range || Number(range[1]) !== offset) {
          await response.body?.cancel();
          throw new SourceError('range-unsupported', url, `${url} did not answer a Range request for bytes ${offset}–${offset + length - 1} with them (status ${response.status}); a zipped store is read by ranges.`);
        }
        // The archive must not change between its directory and its entries (a re-upload mid-read).
        const now = etag ? response.headers.get('ETag') : modified ? response.headers.get('Last-Modified') : null;
        if (now !== null && now !== (etag ?? modified)) {
          await response.body?.cancel();
          throw new SourceError('changed', url, `${url} changed while being read (${etag ? 'ETag' : 'Last-Modified'} ${etag ?? modified} at open, ${now} now). Open it again.`);
        }
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.length !== length) throw new SourceError('truncated', url, `${url} sent ${bytes.length} bytes for a range of ${length}.`);
        return bytes;
      },
    },
  };
}
