// openSource: one entry point for every way AnnData arrives — a URL (zarr over HTTP), a local path
// (zarr directory or .h5ad, Node), or a File/Blob dropped into the page (.h5ad, read in a worker).

import * as zarr from 'zarrita';
import { openAnnData, type AnnDataOpenOptions } from './anndata.ts';
import { openCollection } from './collection.ts';
import { encodingOf } from './encodings.ts';
import { SourceError } from './errors.ts';
import type { H5TreeOptions } from './h5-tree.ts';
import { openHttpStore, type RetryOptions } from './http-store.ts';
import { withConcurrencyLimit, type SourceStore, type ZarrFormat } from './store.ts';
import type { AnnDataSource } from './types.ts';
import { openZarrTree } from './zarr-tree.ts';
import { blobReader, isZip, openZipStore, urlReader } from './zip-store.ts';

export type { SourceStore, ZarrFormat } from './store.ts';
export { SourceError, isSourceError, type SourceErrorCode } from './errors.ts';
export type * from './types.ts';

/** A URL string or a local path (Node), `{ url }`, `{ path }` (Node), `{ opfs: name }` (a local copy saved in the browser), or a File/Blob (.h5ad or .zarr.zip, browser). */
/** A URL given as an object may say its zarr format, when known, so that opening it asks for no missing root document. */
export type SourceInput = string | { readonly url: string; readonly zarrFormat?: ZarrFormat } | { readonly path: string } | { readonly opfs: string } | Blob;

export interface OpenSourceOptions extends AnnDataOpenOptions, H5TreeOptions {
  /** Most requests (or file reads) in flight at once per source. Default 8. */
  readonly concurrency?: number;
  /** Range requests closer than this many bytes are merged into one (sharded zarr). Default 32 KiB. */
  readonly coalesceBytes?: number;
  /** Puts a layer (e.g. an OPFS chunk cache) between the reader and the store; receives label and validator. */
  readonly wrapStore?: (store: SourceStore) => SourceStore;
  /** Replaces fetch for HTTP stores (auth headers, presigned URLs). */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** HTTP: retries of a 5xx/429/408, an unreachable host or a cut body — extra attempts per request (default 8), or a RetryOptions with the store-wide budget (default 50), backoff and Retry-After limit. */
  readonly retries?: number | RetryOptions;
  /** HTTP: a request with no byte for this long counts as a dropped connection (retried, then a 'stalled' error). Default 60 s. */
  readonly stallTimeoutMs?: number;
  /** Starts the .h5ad worker for a File/Blob (default: the bundled workers/h5ad.worker.ts). */
  readonly createWorker?: () => Worker;
}

type Resolved = { kind: 'url'; url: string; zarrFormat?: ZarrFormat } | { kind: 'path'; path: string } | { kind: 'opfs'; name: string } | { kind: 'blob'; blob: Blob };

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof document === 'undefined';

function resolveInput(input: SourceInput): Resolved {
  if (typeof Blob !== 'undefined' && input instanceof Blob) return { kind: 'blob', blob: input };
  if (typeof input === 'object' && 'url' in input) return { kind: 'url', url: input.url, zarrFormat: input.zarrFormat };
  if (typeof input === 'object' && 'path' in input) return { kind: 'path', path: input.path };
  if (typeof input === 'object' && 'opfs' in input) return { kind: 'opfs', name: input.opfs };
  const text = input as string;
  if (/^https?:\/\//i.test(text)) return { kind: 'url', url: text };
  if (/^file:\/\//i.test(text)) return { kind: 'path', path: decodeURIComponent(new URL(text).pathname) };
  if (!isNode) return { kind: 'url', url: new URL(text, globalThis.location?.href).href };
  return { kind: 'path', path: text };
}

/** `input` as a URL that says its zarr format when it is a URL (so it opens again without probing), else as it is. */
export function withZarrFormat<T extends SourceInput>(input: T, zarrFormat: ZarrFormat | undefined): T | { readonly url: string; readonly zarrFormat: ZarrFormat } {
  const resolved = resolveInput(input);
  return zarrFormat && resolved.kind === 'url' ? { url: resolved.url, zarrFormat } : input;
}

/** The store stack under zarrita: base → concurrency limit → range coalescing → caller's wrapper. */
function stackStore(base: SourceStore, options: OpenSourceOptions): SourceStore {
  const limited = withConcurrencyLimit(base, options.concurrency ?? 8);
  const coalesced = zarr.withRangeCoalescing(limited, { coalesceSize: options.coalesceBytes ?? 32 * 1024 });
  const store: SourceStore = {
    label: base.label,
    validator: base.validator,
    ...(base.versions ? { versions: base.versions } : {}),
    get: (key, opts) => coalesced.get(key, opts),
    getRange: (key, range, opts) => coalesced.getRange(key, range, opts),
    ...(base.list ? { list: base.list.bind(base) } : {}),
  };
  return options.wrapStore ? options.wrapStore(store) : store;
}

/** Opens AnnData zarr (or an annbatch pre-shuffled collection of them) from a store. */
export async function openZarrSource(base: SourceStore, options: OpenSourceOptions = {}): Promise<AnnDataSource> {
  const { root, zarrFormat } = await openZarrTree(stackStore(base, options), base.zarrFormat);
  const source = encodingOf(root) === 'annbatch-preshuffled' ? await openCollection(root, base.label, options) : await openAnnData(root, base.label, options);
  return Object.assign(source, { zarrFormat });
}

/** Node-only code (node:fs, h5wasm/node), imported through a variable so browser bundlers do not follow it. */
const nodeOpen = './node-open.ts';

export async function openSource(input: SourceInput, options: OpenSourceOptions = {}): Promise<AnnDataSource> {
  const resolved = resolveInput(input);
  switch (resolved.kind) {
    case 'url': {
      if (/\.h5ad(\?|#|$)/i.test(resolved.url)) {
        throw new SourceError(
          'encoding',
          resolved.url,
          `${resolved.url} is an .h5ad file; over HTTP only zarr stores can be read lazily. Download it and drop the file on the page, or convert it once in Python: anndata.read_h5ad(path).write_zarr('data.zarr'), or with npx trvae-web convert in.h5ad out.zarr.`,
        );
      }
      const { signal, fetch, retries, stallTimeoutMs } = options;
      if (/\.zip(\?|#|$)/i.test(resolved.url)) {
        const { reader, validator } = await urlReader(resolved.url, fetch);
        return openZarrSource(await openZipStore(reader, resolved.url, validator), options);
      }
      return openZarrSource(await openHttpStore(resolved.url, { signal, fetch, retries, stallTimeoutMs, zarrFormat: resolved.zarrFormat }), options);
    }
    case 'path': {
      if (!isNode) throw new SourceError('invalid-argument', resolved.path, `A local path (${resolved.path}) can only be opened in Node; in the browser pass a File or a URL.`);
      const { openPath } = (await import(/* @vite-ignore */ nodeOpen)) as typeof import('./node-open.ts');
      return openPath(resolved.path, options, openZarrSource);
    }
    case 'opfs': {
      const { openOpfsStore } = await import('./opfs-store.ts');
      return openZarrSource(await openOpfsStore(resolved.name), options);
    }
    case 'blob': {
      const blob = resolved.blob;
      const name = 'name' in blob && typeof blob.name === 'string' ? blob.name : 'the dropped file';
      if (isZip(new Uint8Array(await blob.slice(0, 4).arrayBuffer()))) {
        return openZarrSource(await openZipStore(blobReader(blob), name, `size:${blob.size}:modified:${'lastModified' in blob ? String(blob.lastModified) : ''}`), options);
      }
      const { openH5adBlob } = await import('./h5ad-client.ts');
      return openH5adBlob(resolved.blob, options);
    }
  }
}
