// The three ways in — a remote zarr URL, a dropped .h5ad, the bundled demo — all end in openSource.
import { openSource, isSourceError, type AnnDataSource } from '../source/index.ts';

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
  return openSource(typeof input === 'string' ? { url: input } : input, { signal });
}

/** A one-paragraph message for the page: typed source errors already say what to change. */
export function explainOpenError(error: unknown): string {
  if (isSourceError(error)) return error.message;
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  return `Could not open the dataset: ${(error as Error).message ?? String(error)}`;
}
