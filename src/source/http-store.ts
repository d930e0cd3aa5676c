// A zarr store over HTTP(S) that checks every answer instead of trusting it: a Range answered with
// the whole file, a 206 without Content-Range, a body shorter than announced, a CORS refusal, an
// error status or a file whose ETag / Last-Modified changed since its first answer each become a
// SourceError that names the URL and what to change. Transient failures are retried (RetryOptions).

import { SourceError } from './errors.ts';
import { fetchFailure, inBrowser, requestBlockedError, serveAdvice } from './network-errors.ts';
import { createFileVersions, type AbsolutePath, type GetOptions, type RangeQuery, type SourceStore, type ZarrFormat } from './store.ts';

/** How hard to retry transient failures (5xx, 429, 408, a dropped connection, a cut body). */
export interface RetryOptions {
  /** Extra attempts per request (default 8). */
  readonly attempts?: number;
  /**
   * Retries the whole store may spend (default 50): every retry takes one, every success gives
   * half of one back (up to this many). A host failing ~30% of requests is ridden out on any
   * length of read; one failing most requests (or down) fails within `budget` retries instead
   * of backing off per request for ever.
   */
  readonly budget?: number;
  /** First backoff (default 100 ms); it doubles per attempt, up to `maxDelayMs` (default 5 s), with full jitter. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` (429/503) honoured (default 60 s); a host asking for more fails with its wait in the message. */
  readonly maxRetryAfterMs?: number;
}

export interface HttpStoreOptions {
  /** Aborts every request of this store (e.g. when the page closes the source). */
  readonly signal?: AbortSignal;
  /** Replaces global fetch (presigned URLs, auth headers). */
  readonly fetch?: (request: Request) => Promise<Response>;
  /**
   * Retries of transient failures: a 5xx/429/408, a dropped connection (e.g. a keep-alive socket
   * the server closed just as it was reused: "other side closed", ECONNRESET) or a cut body. A
   * number sets the extra attempts per request (0: none); see RetryOptions for the store-wide
   * budget, the jittered exponential backoff and `Retry-After`. This is the only retry layer: a
   * `fetch` given here should not retry on its own.
   */
  readonly retries?: number | RetryOptions;
  /**
   * The store's format when it is already known (a link's zarr_format=, an earlier visit): that
   * format's root documents are asked for first. Unknown, a v3 zarr.json is asked for first, so a
   * v2 store costs one 404 (an error line in a browser's console) before its .zmetadata.
   */
  readonly zarrFormat?: ZarrFormat;
  /**
   * A request that gets no byte for this long (no answer, or a body that stops coming) is given up
   * and retried as a dropped connection would be: a hung connection or host is an error after the
   * retries, never a wait without end. Default 60 s.
   */
  readonly stallTimeoutMs?: number;
}

/** Waits a 429/503 asked for (Retry-After, in ms), kept with the error it belongs to. */
const retryAfterOf = new WeakMap<SourceError, number>();
/** Status errors a retry will not mend (4xx other than 408/429). */
const permanent = new WeakSet<SourceError>();

/**
 * Failures worth another try: the host or the connection to it may recover; 4xx will not. A
 * browser reports a dropped connection exactly as a CORS refusal or a refused connection (a bare
 * network error), so those are retried too, but only `networkAttempts` times: a real CORS refusal
 * or a closed port fails the same way again, and saying so at once beats backing off for seconds.
 */
function isTransient(error: unknown): boolean {
  return error instanceof SourceError && !permanent.has(error) && (error.code === 'server' || error.code === 'truncated' || error.code === 'stalled' || isNetworkLevel(error));
}

const isNetworkLevel = (error: unknown): boolean => error instanceof SourceError && (error.code === 'cors' || error.code === 'unreachable');
const networkAttempts = 2;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `Retry-After` as milliseconds from now (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The error a request still gave after `retries` retries, saying so when the host's answer was an error status. */
function afterRetries(error: unknown, retries: number): unknown {
  if (!(error instanceof SourceError) || error.code !== 'server' || !/ answered \d{3}/.test(error.message)) return error;
  return new SourceError(error.code, error.location, `${error.message} It answered the same after ${retries} ${retries === 1 ? 'retry' : 'retries'}.`, { cause: error });
}

type Retrier = <T>(signal: AbortSignal | undefined, run: () => Promise<T>) => Promise<T>;

function createRetrier(options: number | RetryOptions | undefined): Retrier {
  const settings = typeof options === 'number' ? { attempts: options } : (options ?? {});
  const attempts = settings.attempts ?? 8;
  const budget = settings.budget ?? 50;
  const base = settings.baseDelayMs ?? 100;
  const maxDelay = settings.maxDelayMs ?? 5000;
  const maxRetryAfter = settings.maxRetryAfterMs ?? 60_000;
  let tokens = budget;
  return async (signal, run) => {
    let first: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await run();
        tokens = Math.min(budget, tokens + 0.5);
        return result;
      } catch (error) {
        // A retry's dropped connection reads as CORS in a browser; the first failure says better what went wrong.
        const reported = first !== undefined && error instanceof SourceError && error.code === 'cors' ? first : error;
        first ??= error;
        const limit = isNetworkLevel(error) ? Math.min(attempts, networkAttempts) : attempts;
        if (attempt >= limit || !isTransient(error) || signal?.aborted) throw attempt > 0 ? afterRetries(reported, attempt) : reported;
        if (tokens < 1) {
          const e = reported as SourceError;
          throw new SourceError(e.code, e.location, `${e.message} (gave up: this store's retry budget of ${budget} is spent; the host fails too many requests)`, { cause: e });
        }
        const asked = retryAfterOf.get(error as SourceError);
        if (asked !== undefined && asked > maxRetryAfter) {
          const e = error as SourceError;
          throw new SourceError(e.code, e.location, `${e.message} The host asks to retry after ${Math.round(asked / 1000)} s, longer than the ${Math.round(maxRetryAfter / 1000)} s this reader waits; try again later.`, { cause: e });
        }
        tokens -= 1;
        const backoff = Math.random() * Math.min(maxDelay, base * 2 ** attempt);
        await sleep(Math.max(backoff, asked ?? 0), signal);
      }
    }
  };
}

/** Root metadata documents of each format: v3 (maybe consolidated); v2 consolidated, v2 group. */
const rootMetadataOf = { 3: ['/zarr.json'], 2: ['/.zmetadata', '/.zgroup'] } as const satisfies Record<ZarrFormat, readonly AbsolutePath[]>;
/** The order root documents are asked for: the known format's first, else v3's. */
const rootMetadataKeys = (known: ZarrFormat | undefined): readonly { key: AbsolutePath; format: ZarrFormat }[] =>
  (known === 2 ? ([2, 3] as const) : ([3, 2] as const)).flatMap((format) => rootMetadataOf[format].map((key) => ({ key, format })));

const rangeAdvice = `Serve the store from a host that supports HTTP Range requests (static hosts, S3, GCS and nginx do; some proxies and dev servers strip Range) and, cross-origin, expose the header with Access-Control-Expose-Headers: Content-Range. ${serveAdvice}`;

function resolveKey(base: string, key: AbsolutePath): string {
  const url = new URL(key.slice(1), base);
  url.search = new URL(base).search;
  return url.href;
}

function joinSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a && b) return AbortSignal.any([a, b]);
  return a ?? b;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof DOMException && error.name === 'AbortError');
}

/**
 * One request's stall watchdog: `alive()` restarts the countdown (at the start, at the answer, at
 * each piece of the body); when it runs out, the request's `signal` aborts and `stalledError` says why.
 */
function stallWatch(url: string, ms: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stalled = false;
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, ms);
  };
  alive();
  return {
    signal: outer ? AbortSignal.any([outer, controller.signal]) : controller.signal,
    alive,
    done: () => clearTimeout(timer),
    /** The error to report instead of the abort the watchdog caused (undefined: it did not fire). */
    stalledError: (cause: unknown): SourceError | undefined =>
      stalled ? new SourceError('stalled', url, `${url} sent nothing for ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}: the connection or the host hung. Check the host (or a proxy in between); the read was given up rather than waited on.`, { cause }) : undefined,
  };
}

type StallWatch = ReturnType<typeof stallWatch>;

async function send(url: string, init: RequestInit, doFetch: (r: Request) => Promise<Response>, watch: StallWatch): Promise<Response> {
  try {
    const response = await doFetch(new Request(url, { ...init, signal: watch.signal }));
    watch.alive();
    return response;
  } catch (error) {
    throw watch.stalledError(error) ?? (await fetchFailure(url, error, doFetch, init.signal ?? undefined));
  }
}

/** The SourceError for an answer with an error status: what it means for a reader, and what to do. */
export function statusError(url: string, response: Response): SourceError {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 403 || response.status === 401) {
    return new SourceError(
      'forbidden',
      url,
      `${url} answered ${status}: access denied. The store is private, or its signed link has expired. Make the store public-readable (for a bucket: a read policy on its objects), or ask for a fresh signed URL.`,
    );
  }
  if (response.status === 404) return new SourceError('not-found', url, `${url} answered 404 Not Found: nothing is there. Check the URL (for a zarr folder: its root, the folder holding zarr.json or .zgroup).`);
  if (response.status === 416) {
    return new SourceError('malformed', url, `${url} answered 416 Range Not Satisfiable: the store's metadata points past the end of the file; the file is truncated or the metadata belongs to another copy.`);
  }
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  const wait = retryAfter === undefined ? '' : ` It asked to retry after ${Math.round(retryAfter / 1000)} s.`;
  if (response.status === 429) {
    const error = new SourceError('server', url, `${url} answered ${status}: the host limits how fast it may be read.${wait} Read with fewer requests at once (the concurrency option), or try again later.`);
    if (retryAfter !== undefined) retryAfterOf.set(error, retryAfter);
    return error;
  }
  if (response.status >= 500) {
    const error = new SourceError('server', url, `${url} answered ${status}: the host failed or is overloaded.${wait} Try again later, or check the server's logs.`);
    if (retryAfter !== undefined && response.status === 503) retryAfterOf.set(error, retryAfter);
    return error;
  }
  const error = new SourceError('server', url, `${url} answered ${status}. A zarr reader needs 200 for whole files and 206 for Range requests.`);
  if (response.status !== 408) permanent.add(error);
  return error;
}

/** A response's version of the file: its ETag (weak or not: a compressed 200 may carry W/), else Last-Modified; '' when the host sends neither. */
function versionOf(response: Response): string {
  const etag = response.headers.get('ETag');
  if (etag) return `ETag ${etag.replace(/^W\//, '')}`;
  const modified = response.headers.get('Last-Modified');
  return modified ? `Last-Modified ${modified}` : '';
}

/** The whole body, read piece by piece so that each piece tells the watchdog the transfer is alive. */
async function readBody(response: Response, watch: StallWatch): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(await response.arrayBuffer());
  const pieces: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    watch.alive();
    pieces.push(value);
    length += value.byteLength;
  }
  // One piece that owns its buffer is the body as is (callers transfer its buffer to other threads).
  if (pieces.length === 1 && pieces[0]!.byteOffset === 0 && pieces[0]!.byteLength === pieces[0]!.buffer.byteLength) return pieces[0]!;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.byteLength;
  }
  return bytes;
}

async function body(url: string, response: Response, signal: AbortSignal | undefined, watch: StallWatch): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readBody(response, watch);
  } catch (error) {
    const stalled = watch.stalledError(error);
    if (stalled) throw stalled;
    if (isAbort(error, signal)) throw new SourceError('aborted', url, `reading ${url} was aborted`, { cause: error });
    throw new SourceError('truncated', url, `The connection to ${url} broke before the whole body arrived. Retry; if it persists, check the host and any proxy in between for time or size limits.`, { cause: error });
  }
  const announced = response.headers.get('Content-Length');
  const encoded = response.headers.get('Content-Encoding');
  if (announced !== null && !encoded && Number(announced) !== bytes.length) {
    throw new SourceError('truncated', url, `${url} announced ${announced} bytes but sent ${bytes.length}. The host or a proxy cut the body short.`);
  }
  return bytes;
}

/** Parses `bytes start-end/total`; null when absent or malformed. */
function parseContentRange(header: string | null): { start: number; end: number; total: number | null } | null {
  const m = header ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

function validatorOf(response: Response, bytes: Uint8Array): string {
  const etag = response.headers.get('ETag');
  if (etag) return `etag:${etag}`;
  const modified = response.headers.get('Last-Modified');
  if (modified) return `modified:${modified}`;
  // No validator from the host: the metadata's own size and hash still change with most rewrites.
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return `size:${bytes.length}:${hash.toString(16)}`;
}

export interface HttpStore extends SourceStore {
  /** Root metadata fetched while opening (key → bytes), so readers need not fetch it again. */
  readonly rootMetadata: ReadonlyMap<AbsolutePath, Uint8Array>;
}

/** The page this code runs under (a worker's too), whose scheme decides what counts as mixed content. */
const pageUrl = (): string | undefined => (inBrowser ? globalThis.location?.href : undefined);

/**
 * Opens a zarr store at `url`: fetches its root metadata (zarr.json, else .zmetadata, else .zgroup)
 * to check that a store is there and to learn its validator.
 */
export async function openHttpStore(url: string, options: HttpStoreOptions = {}): Promise<HttpStore> {
  const blocked = requestBlockedError(url, pageUrl());
  if (blocked) throw blocked;
  const base = url.endsWith('/') ? url : `${url}/`;
  const doFetch = options.fetch ?? ((r: Request) => fetch(r));
  // Every answer is checked against the version of its file seen first: a file replaced on the
  // server mid-read stops the read instead of mixing bytes of two versions. (Checking answers
  // rather than sending If-Match keeps range requests free of CORS preflights.)
  const versions = createFileVersions(url, (key) => resolveKey(base, key));
  const pin = (key: AbsolutePath, response: Response): void => versions.check(key, versionOf(response));

  const stallMs = options.stallTimeoutMs ?? 60_000;
  /** `request` under a stall watchdog of its own, stopped once it settles. */
  async function watched<T>(href: string, signal: AbortSignal | undefined, request: (watch: StallWatch) => Promise<T>): Promise<T> {
    const watch = stallWatch(href, stallMs, signal);
    try {
      return await request(watch);
    } finally {
      watch.done();
    }
  }

  /** A whole file: undefined on 404, a typed error on any other non-200. */
  function getWhole(key: AbsolutePath, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; response: Response } | undefined> {
    const href = resolveKey(base, key);
    return watched(href, signal, (watch) => getWholeWatched(key, href, signal, watch));
  }

  async function getWholeWatched(key: AbsolutePath, href: string, signal: AbortSignal | undefined, watch: StallWatch): Promise<{ bytes: Uint8Array; response: Response } | undefined> {
    const response = await send(href, { signal }, doFetch, watch);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw statusError(href, response);
    }
    try {
      pin(key, response);
    } catch (error) {
      await response.body?.cancel();
      throw error;
    }
    return { bytes: await body(href, response, signal, watch), response };
  }

  async function get(key: AbsolutePath, opts?: GetOptions): Promise<Uint8Array | undefined> {
    return (await getWhole(key, joinSignals(options.signal, opts?.signal)))?.bytes;
  }

  function getRange(key: AbsolutePath, range: RangeQuery, opts?: GetOptions): Promise<Uint8Array | undefined> {
    const href = resolveKey(base, key);
    const signal = joinSignals(options.signal, opts?.signal);
    return watched(href, signal, (watch) => getRangeWatched(key, range, href, signal, watch));
  }

  async function getRangeWatched(key: AbsolutePath, range: RangeQuery, href: string, signal: AbortSignal | undefined, watch: StallWatch): Promise<Uint8Array | undefined> {
    const header = 'suffixLength' in range ? `bytes=-${range.suffixLength}` : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    if (!('suffixLength' in range) && range.length === 0) return new Uint8Array(0);
    // No HTTP cache for ranges: Chromium can stitch cached partial (206) entries into a wrong
    // answer to concurrent range requests (seen as a corrupt shard index); the chunk cache caches.
    const response = await send(href, { signal, headers: { Range: header }, cache: 'no-store' }, doFetch, watch);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status === 200) {
      // A 200 is only right when the range asked for was the whole file, from its first byte.
      const wholeLength = Number(response.headers.get('Content-Length') ?? NaN);
      if (!('suffixLength' in range) && range.offset === 0 && wholeLength === range.length) {
        pin(key, response);
        return body(href, response, signal, watch);
      }
      await response.body?.cancel();
      throw new SourceError('range-unsupported', href, `${href} ignored the Range header (${header}) and answered 200 with the whole file; reading on would return wrong data. ${rangeAdvice}`);
    }
    if (response.status !== 206) {
      await response.body?.cancel();
      throw statusError(href, response);
    }
    const contentRange = parseContentRange(response.headers.get('Content-Range'));
    if (!contentRange) {
      await response.body?.cancel();
      throw new SourceError('range-unsupported', href, `${href} answered 206 without a readable Content-Range header, so the bytes cannot be checked against the range asked for (${header}). ${rangeAdvice}`);
    }
    // Zarr asks for a suffix only to read a shard's index: a file shorter than that is a cut shard.
    if ('suffixLength' in range && contentRange.total !== null && contentRange.total < range.suffixLength) {
      await response.body?.cancel();
      throw new SourceError('truncated', href, `${href} has ${contentRange.total} bytes, fewer than the ${range.suffixLength} asked from its end (a shard index): the file is truncated on the server. Re-upload it.`);
    }
    const expectStart = 'suffixLength' in range ? (contentRange.total === null ? contentRange.start : Math.max(0, contentRange.total - range.suffixLength)) : range.offset;
    if (contentRange.start !== expectStart) {
      await response.body?.cancel();
      throw new SourceError('range-unsupported', href, `${href} answered bytes ${contentRange.start}-${contentRange.end} to a request for ${header}. ${rangeAdvice}`);
    }
    try {
      pin(key, response);
    } catch (error) {
      await response.body?.cancel();
      throw error;
    }
    const bytes = await body(href, response, signal, watch);
    const expected = contentRange.end - contentRange.start + 1;
    const wanted = 'suffixLength' in range ? Math.min(range.suffixLength, contentRange.total ?? Infinity) : range.length;
    if (bytes.length !== expected || expected < Math.min(wanted, (contentRange.total ?? Infinity) - expectStart)) {
      throw new SourceError('truncated', href, `${href} sent ${bytes.length} bytes for ${header} (Content-Range ${contentRange.start}-${contentRange.end}); the body is short. The host or a proxy cut it.`);
    }
    return bytes;
  }

  const withRetries = createRetrier(options.retries);
  const rootMetadata = new Map<AbsolutePath, Uint8Array>();
  // Root documents found missing while probing: readers asking again get "absent" without a request
  // (a 404 is an error line in the browser's console).
  const absent = new Set<AbsolutePath>();
  let validator = '';
  let zarrFormat: ZarrFormat | undefined;
  const probes = rootMetadataKeys(options.zarrFormat);
  for (const { key, format } of probes) {
    const found = await withRetries(options.signal, async () => {
      const whole = await getWhole(key, options.signal);
      return whole && { bytes: whole.bytes, validator: validatorOf(whole.response, whole.bytes) };
    });
    if (!found) {
      absent.add(key);
      continue;
    }
    rootMetadata.set(key, found.bytes);
    validator = found.validator;
    zarrFormat = format;
    break;
  }
  if (rootMetadata.size === 0) {
    throw new SourceError(
      'not-found',
      url,
      `No AnnData store at ${url}: the server answered 404 Not Found for each of ${probes.map((p) => p.key.slice(1)).join(', ')}, so no zarr store starts there. Check the path: it must point at the store's root folder (the one holding zarr.json or .zgroup), e.g. https://host/atlas.zarr.`,
    );
  }

  return {
    label: url,
    validator,
    versions,
    rootMetadata,
    zarrFormat,
    get: (key, opts) => {
      const cached = rootMetadata.get(key);
      if (cached) return Promise.resolve(cached);
      if (absent.has(key)) return Promise.resolve(undefined);
      return withRetries(joinSignals(options.signal, opts?.signal), () => get(key, opts));
    },
    getRange: (key, range, opts) => withRetries(joinSignals(options.signal, opts?.signal), () => getRange(key, range, opts)),
  };
}
