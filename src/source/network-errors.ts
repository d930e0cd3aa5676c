// What a failed request means, in words a person can act on. A browser reports every network
// failure as the same bare TypeError, so the causes are told apart by what can be known: the URL
// itself (a port browsers refuse, an http: store under an https: page) before anything is sent,
// and, after a failure, whether the host answers a request the page may not read (mode: 'no-cors').

import { SourceError } from './errors.ts';

export const inBrowser = typeof document !== 'undefined' || typeof WorkerGlobalScope !== 'undefined';

/** The fetch standard's "bad ports" (https://fetch.spec.whatwg.org/#port-blocking): browsers and Node's fetch refuse them. */
export const badPorts: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135,
  137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720,
  1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** How to serve a folder from this machine with the headers a browser needs. */
export const serveAdvice = 'To serve a folder from this computer, run npx trvae-web serve DIR (it sends the headers the app needs) and open the URL it prints.';

export const corsAdvice =
  "The server must allow cross-origin reads: send the header Access-Control-Allow-Origin (* or this page's origin), list Content-Range, Content-Length and ETag in Access-Control-Expose-Headers, and answer OPTIONS preflight requests allowing the Range header.";

/** A URL's port as a number (the scheme's default when none is written). */
function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Hosts a browser treats as trustworthy even over http: (mixed content is allowed to them). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]';
}

/**
 * Why `url` cannot be fetched at all, known before sending anything: a port on the bad-port list,
 * or an http: store under an https: page (`pageUrl`, when there is a page). Undefined when neither.
 */
export function requestBlockedError(url: string, pageUrl?: string): SourceError | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new SourceError('invalid-argument', url, `${url} is not a valid URL. Give the full address of the store, starting with https:// or http://.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const port = portOf(parsed);
  if (badPorts.has(port)) {
    return new SourceError(
      'blocked-port',
      url,
      `${url} uses port ${port}, which browsers refuse to connect to (it is on their list of unsafe ports, kept for other services such as mail or X11), so no request was sent. Serve the store on another port, for example 8080: npx trvae-web serve DIR --port 8080.`,
    );
  }
  if (pageUrl && new URL(pageUrl).protocol === 'https:' && parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
    return new SourceError(
      'mixed-content',
      url,
      `${url} is a plain http: address, and this page was loaded over https:, so the browser blocks the request (mixed content). Serve the store over https:, or open the app itself from an http: address.`,
    );
  }
  return undefined;
}

/** The innermost cause of a Node fetch failure, as text ("connect ECONNREFUSED 127.0.0.1:1234"), if any. */
function causeText(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as Error & { code?: unknown }).code;
  return causeText(cause) ?? (cause.message || (typeof code === 'string' ? code : cause.name));
}

/** Codes of Node network errors that mean nothing answered (as opposed to a connection cut mid-way). */
const unreachableCodes = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EADDRNOTAVAIL/;

export interface NetworkFailure {
  /** The request ran in a browser (where the failure is a bare TypeError). */
  readonly inBrowser: boolean;
  /**
   * Browser only: whether the host answered the same URL asked with mode 'no-cors' (an opaque
   * answer means it is up, so the failure was the browser refusing to let the page read it).
   */
  readonly hostAnswered?: boolean;
  /**
   * Browser only: the page is cross-origin isolated and `url` is on another origin. Under
   * Cross-Origin-Embedder-Policy: require-corp the browser blocks a no-cors answer that lacks a
   * Cross-Origin-Resource-Policy header, so a failed probe does not tell a server without CORS
   * headers from one that is not there.
   */
  readonly probeMayBeBlocked?: boolean;
}

/**
 * The SourceError for a request to `url` that failed without an HTTP answer (`error` is what
 * fetch threw): 'cors' when the host answers but the page may not read it, 'unreachable' when
 * nothing answers, 'server' when a connection broke (worth a retry).
 */
export function networkFailureError(url: string, error: unknown, failure: NetworkFailure): SourceError {
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (failure.inBrowser) {
    if (failure.hostAnswered) {
      return new SourceError('cors', url, `The server at ${host} answered, but the browser did not let this page read ${url} (a CORS refusal). ${corsAdvice} ${serveAdvice}`, { cause: error });
    }
    if (failure.probeMayBeBlocked) {
      return new SourceError(
        'cors',
        url,
        `Could not read ${url}: either nothing answers at ${host} (the server is not running, the port is closed or the name does not resolve), or the server answers without the CORS headers that let this page read it; this page is cross-origin isolated, so the browser does not say which. Check that the server is running and that the address is right. ${corsAdvice} ${serveAdvice}`,
        { cause: error },
      );
    }
    return new SourceError(
      'unreachable',
      url,
      `Could not connect to ${host} to read ${url}: the connection was refused or the host cannot be reached (nothing answers at that address and port, or the name does not resolve). Check that the server is running and that the address is right. ${serveAdvice}`,
      { cause: error },
    );
  }
  const detail = causeText(error) ?? (error as Error)?.message ?? String(error);
  if (unreachableCodes.test(detail)) {
    return new SourceError(
      'unreachable',
      url,
      `Could not connect to ${host} to read ${url} (${detail}): nothing answers at that address and port, or the name does not resolve. Check that the server is running and that the address is right.`,
      { cause: error },
    );
  }
  return new SourceError('server', url, `Could not reach ${url}: ${(error as Error)?.message ?? String(error)}${detail !== (error as Error)?.message ? ` (${detail})` : ''}.`, { cause: error });
}

/** Whether the host answers `url` at all, asked so that the page may not read the answer (which needs no CORS). */
async function hostAnswers(url: string, signal: AbortSignal | undefined, doFetch: (r: Request) => Promise<Response>): Promise<boolean> {
  try {
    const response = await doFetch(new Request(url, { mode: 'no-cors', cache: 'no-store', ...(signal ? { signal } : {}) }));
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

const isAbort = (error: unknown, signal: AbortSignal | undefined): boolean => signal?.aborted === true || (error instanceof DOMException && error.name === 'AbortError');

/**
 * The SourceError for a fetch of `url` that threw (`error`): 'aborted' when `signal` fired; in a
 * browser, a probe of the same URL in mode 'no-cors' tells a CORS refusal from a host that does not
 * answer; in Node the error's cause says which.
 */
export async function fetchFailure(url: string, error: unknown, doFetch: (r: Request) => Promise<Response>, signal: AbortSignal | undefined): Promise<SourceError> {
  const aborted = () => new SourceError('aborted', url, `reading ${url} was aborted`, { cause: error });
  if (isAbort(error, signal)) return aborted();
  if (!inBrowser) return networkFailureError(url, error, { inBrowser });
  const hostAnswered = await hostAnswers(url, signal, doFetch);
  if (isAbort(error, signal)) return aborted();
  const probeMayBeBlocked = globalThis.crossOriginIsolated === true && new URL(url).origin !== globalThis.location?.origin;
  return networkFailureError(url, error, { inBrowser, hostAnswered, probeMayBeBlocked });
}
