// One typed error for everything that can go wrong while reading AnnData, so callers can branch on
// `code` and show `message` (which names the file or URL and what to change) to a person.

import { TrvaeError } from '../errors.ts';

export type SourceErrorCode =
  /** The server answered a Range request with the whole file, or without Content-Range. */
  | 'range-unsupported'
  /**
   * The host answers, but the browser does not let the page read the answer: no (or wrong) CORS
   * headers. In a cross-origin-isolated page also when the browser cannot tell that from a host
   * that does not answer (the message then says both).
   */
  | 'cors'
  /** Nothing answers: the connection was refused, the host is down or its name does not resolve. */
  | 'unreachable'
  /** The URL's port is one browsers (and fetch) refuse to connect to; nothing was sent. */
  | 'blocked-port'
  /** An http: store under an https: page: the browser blocks the request. */
  | 'mixed-content'
  | 'not-found'
  | 'forbidden'
  /** 5xx, or another status a reader cannot use. */
  | 'server'
  /** A body shorter than announced, or a dropped connection. */
  | 'truncated'
  /** A request got no byte (no answer, or no more of the body) for the stall timeout: the connection or the host hung. */
  | 'stalled'
  /** An encoding this reader does not know or cannot read (unknown encoding-type, csc X, an HDF5 filter). */
  | 'encoding'
  /** The data contradicts itself: indptr not monotone, indices out of range, missing arrays, not HDF5. */
  | 'malformed'
  /** Stored bytes are damaged: a compressed frame, a checksum or a decoded size does not match. */
  | 'corrupt'
  /** A chunk that must exist is missing (e.g. inside a sparse matrix's data/indices): the store is incomplete. */
  | 'incomplete'
  /** The store changed while being read (ETag / Last-Modified differ from the ones seen at open). */
  | 'changed'
  /** The matrix holds values training cannot use (NaN, ±Inf, negative counts). */
  | 'bad-values'
  /** Bad input from the caller: a row run out of range, an unknown layer or obs column. */
  | 'invalid-argument'
  | 'aborted';

export class SourceError extends TrvaeError {
  override readonly name = 'SourceError';
  readonly code: SourceErrorCode;
  /** URL or file name of what was being read. */
  readonly location: string;

  constructor(code: SourceErrorCode, location: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.location = location;
  }
}

export function isSourceError(error: unknown, code?: SourceErrorCode): error is SourceError {
  return error instanceof SourceError && (code === undefined || error.code === code);
}

/** Throws the signal's reason as an 'aborted' SourceError when it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, location: string): void {
  if (signal?.aborted) throw new SourceError('aborted', location, `reading ${location} was aborted`, { cause: signal.reason });
}
