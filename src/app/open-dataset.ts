// The three ways in — a remote zarr URL, a dropped .h5ad, the bundled demo — all end in openSource.
import { openSource, SourceError, type AnnDataSource, type ZarrFormat } from '../source/index.ts';
import { probeZarrFormat } from './format-probe.ts';

export type DatasetOrigin =
  /** zarrFormat: the store's format when known (a link's zarr_format=), else the one this browser saw last. */
  | { readonly kind: 'url'; readonly url: string; readonly zarrFormat?: ZarrFormat }
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

/**
 * What a worker needs to open the same dataset again: an absolute URL with the store's zarr format
 * when known (so it probes for no missing root document), the File, or the OPFS store's name.
 */
export type WorkerInput = { readonly url: string; readonly zarrFormat?: ZarrFormat } | File | { readonly opfs: string };

// The zarr format of each store URL opened in this browser: a v2 store is told from a v3 one only by
// asking for zarr.json, a 404 (an error line in the console unless the probe worker asked), which a
// second visit need not repeat.
const formatKey = (url: string) => `trvae-web zarr format ${url}`;

function rememberedFormat(url: string): ZarrFormat | undefined {
  try {
    const format = globalThis.localStorage?.getItem(formatKey(url));
    return format === '2' ? 2 : format === '3' ? 3 : undefined;
  } catch {
    return undefined; // storage blocked (a sandboxed frame, a privacy setting): probe as for a new store
  }
}

function rememberFormat(url: string, format: ZarrFormat): void {
  try {
    globalThis.localStorage?.setItem(formatKey(url), String(format));
  } catch {
    // storage blocked or full: the next visit probes again
  }
}

/** `zarrFormat`: what the opened source found, which outranks what the origin assumed. */
export function originInput(origin: DatasetOrigin, zarrFormat?: ZarrFormat): WorkerInput {
  if (origin.kind === 'file') return origin.file;
  if (origin.kind === 'opfs') return { opfs: origin.name };
  // Relative URLs (e.g. a web component's src="data/atlas.zarr") resolve against the page.
  const url = origin.kind === 'url' ? new URL(origin.url, document.baseURI).href : demoUrl();
  // The bundled demo is a zarr v3 store (scripts/make-demo.ts).
  const format = zarrFormat ?? (origin.kind === 'url' ? origin.zarrFormat : origin.kind === 'demo' ? 3 : undefined) ?? rememberedFormat(url);
  return format ? { url, zarrFormat: format } : { url };
}

/** `probeWorker`: the URL of probe-sw.js, asked for a new store's format first (format-probe.ts). */
export async function openDataset(origin: DatasetOrigin, signal?: AbortSignal, probeWorker?: string): Promise<AnnDataSource> {
  let input = originInput(origin);
  if (probeWorker && 'url' in input && !input.zarrFormat) {
    const zarrFormat = await probeZarrFormat(input.url, probeWorker);
    if (zarrFormat) input = { url: input.url, zarrFormat };
  }
  try {
    const source = await openSource(input, { signal });
    if ('url' in input && source.zarrFormat) rememberFormat(input.url, source.zarrFormat);
    return source;
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
