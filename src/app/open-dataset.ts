// The three ways in — a remote zarr URL, a dropped .h5ad, the bundled demo — all end in openSource.
import { openSource, SourceError, type AnnDataSource } from '../source/index.ts';

export type DatasetOrigin =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'file'; readonly file: File }
  | { readonly kind: 'opfs'; readonly name: string }
  | { readonly kind: 'demo' };

/** The bundled demo, relative to the page so the built site works under any base path. */
export const demoUrl = (): string => new URL('demo/demo.zarr', document.baseURI).href;

export function describeOrigin(origin: DatasetOrigin): string {
  switch (origin.kind) {
    case 'url':
      return origin.url;
    case 'file':
      return `${origin.file.name} (local file)`;
    case 'demo':
      return 'the bundled demo dataset';
    case 'opfs':
      return `the local copy "${origin.name}"`;
  }
}

/** What a worker needs to open the same dataset again: an absolute URL, the File, or the OPFS store's name. */
export type WorkerInput = string | File | { readonly opfs: string };

export function originInput(origin: DatasetOrigin): WorkerInput {
  if (origin.kind === 'file') return origin.file;
  if (origin.kind === 'opfs') return { opfs: origin.name };
  // Relative URLs (e.g. a web component's src="data/atlas.zarr") resolve against the page.
  return origin.kind === 'url' ? new URL(origin.url, document.baseURI).href : demoUrl();
}

export async function openDataset(origin: DatasetOrigin, signal?: AbortSignal): Promise<AnnDataSource> {
  const input = originInput(origin);
  try {
    return await openSource(typeof input === 'string' ? { url: input } : input, { signal });
  } catch (error) {
    throw origin.kind === 'file' ? unreadableDrop(origin.file, error) : error;
  }
}

/**
 * A dropped folder (a zarr store, say) arrives as a File the browser cannot read: the read fails
 * with a DOMException before any reader sees a byte. Any other error passes on unchanged.
 */
function unreadableDrop(file: File, error: unknown): unknown {
  if (!(error instanceof DOMException) || !['NotReadableError', 'NotFoundError', 'NotAllowedError'].includes(error.name)) return error;
  return new SourceError(
    'invalid-argument',
    file.name,
    `${file.name} could not be read: it is a folder (a zarr store?), or the file was moved or changed after it was dropped. A folder cannot be dropped here: zip it into a .zarr.zip and drop that, or serve it with npx trvae-web serve DIR and open the URL it prints.`,
    { cause: error },
  );
}

export { explainOpenError } from './explain-error.ts';
