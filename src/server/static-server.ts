// A static file server for zarr stores, h5ad files and built sites, bound to 127.0.0.1.
// It speaks exactly the HTTP that remote AnnData readers need (single Range, HEAD, validators,
// CORS with exposed headers, CORP for cross-origin-isolated pages) and can misbehave on purpose:
// tests use the fault modes, benchmarks use latency and bandwidth limits.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/**
 * Ways to misbehave, for tests of a reader's error handling:
 * - `ignore-range`: answer every GET with 200 and the whole file (like a naive server or proxy);
 * - `no-content-range`: answer 206 to a Range but omit Content-Range;
 * - `no-cors`: send no CORS headers at all (browsers then refuse the response);
 * - `truncate`: announce the full length, send half the body, then drop the connection;
 * - `short-body`: a consistent 206 whose body is shorter than the range asked for;
 * - `{ status }`: answer every request with that status (403, 404, 500, 503, …);
 *   `{ status, count }`: only the first `count` requests (a flaky host that recovers);
 *   `retryAfter`: with a `Retry-After` header of that many seconds (429/503 rate limiting);
 *   `path`: only requests whose path matches (e.g. a 404 on one shard);
 * - `{ shiftRange }`: answer a Range with the bytes `shiftRange` further on, under a Content-Range
 *   that claims the bytes asked for (a lying cache or proxy);
 * - `{ flaky, seed }`: fail that fraction of requests at random (seeded): a 500 or 503, a connection
 *   reset before the answer, or a body cut half way.
 */
export type StaticServerFault =
  | 'ignore-range'
  | 'no-content-range'
  | 'no-cors'
  | 'truncate'
  | 'short-body'
  | { readonly status: number; readonly count?: number; readonly retryAfter?: number; readonly path?: RegExp }
  | { readonly shiftRange: number }
  | { readonly flaky: number; readonly seed?: number };

export interface StaticServerOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Delay before each response starts, in milliseconds (simulates a far-away host). */
  readonly latencyMs?: number;
  /** Bandwidth cap per response, in bytes per second (simulates a slow link). */
  readonly bytesPerSecond?: number;
  readonly fault?: StaticServerFault;
  /** Extra headers on every response, e.g. COOP/COEP when serving the app itself. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called once per request after it is answered (tests count requests, benchmarks count bytes). */
  readonly onRequest?: (entry: StaticServerLogEntry) => void;
}

export interface StaticServerLogEntry {
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly status: number;
  readonly bytes: number;
}

export interface StaticServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
  '.h5ad': 'application/x-hdf5',
};

const corsHeaders: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, If-None-Match, If-Match, Content-Type',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Last-Modified, Accept-Ranges, Retry-After',
  'Access-Control-Max-Age': '600',
};

type ByteRange = { readonly start: number; readonly end: number }; // inclusive end, as HTTP has it

/** Parses a single `bytes=` range against a file size; `'unsatisfiable'` → 416, `null` → whole file. */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Multiple ranges or other units: RFC 9110 lets a server ignore the header and send the whole body.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Uniform draws in [0, 1) from a 32-bit seed (mulberry32): a flaky host fails the same requests every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Resolves a URL path under root; null when it escapes root or is malformed. */
function resolveUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = resolve(root, `.${decoded}`);
  return full === root || full.startsWith(root + sep) ? full : null;
}

async function findFile(root: string, urlPath: string): Promise<{ path: string; size: number; mtime: Date } | null> {
  const path = resolveUnder(root, urlPath);
  if (!path) return null;
  try {
    const info = await stat(path);
    if (info.isFile()) return { path, size: info.size, mtime: info.mtime };
    if (info.isDirectory()) {
      const index = resolve(path, 'index.html');
      const indexInfo = await stat(index);
      if (indexInfo.isFile()) return { path: index, size: indexInfo.size, mtime: indexInfo.mtime };
    }
  } catch {
    // Missing files are a plain 404 below.
  }
  return null;
}

/** Streams [start, end] of a file, paced to bytesPerSecond when set; resolves with bytes sent. */
async function sendBytes(
  res: ServerResponse,
  path: string,
  start: number,
  end: number,
  bytesPerSecond: number | undefined,
  cutAfter?: number,
): Promise<number> {
  const last = cutAfter === undefined ? end : Math.min(end, start + cutAfter - 1);
  if (last < start) {
    if (last < end) res.destroy();
    else res.end();
    return 0;
  }
  const stream = createReadStream(path, { start, end: last, highWaterMark: 64 * 1024 });
  let sent = 0;
  const began = Date.now();
  // A paced slice goes out only when the link would have finished carrying it.
  const slice = bytesPerSecond ? Math.max(1, Math.min(64 * 1024, Math.floor(bytesPerSecond / 50))) : Infinity;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      for (let at = 0; at < piece.length && !res.destroyed; at += slice) {
        const part = slice === Infinity ? piece : piece.subarray(at, at + slice);
        if (bytesPerSecond) {
          const wait = began + ((sent + part.length) / bytesPerSecond) * 1000 - Date.now();
          if (wait > 0) await sleep(wait);
        }
        if (!res.write(part)) await new Promise((done) => res.once('drain', done));
        sent += part.length;
      }
      if (res.destroyed) break;
    }
  } finally {
    stream.destroy();
  }
  if (cutAfter !== undefined && last < end) res.destroy();
  else res.end();
  return sent;
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  options: StaticServerOptions,
  forced: { count: number; random: () => number },
): Promise<{ status: number; bytes: number }> {
  const fault = options.fault;
  const cors = fault !== 'no-cors';
  const base: Record<string, string> = {
    'Cross-Origin-Resource-Policy': 'cross-origin',
    ...(cors ? corsHeaders : {}),
    ...options.headers,
  };
  const reply = (status: number, extra: Record<string, string | number> = {}, body?: string) => {
    res.writeHead(status, { ...base, ...extra });
    res.end(body);
    return { status, bytes: body ? Buffer.byteLength(body) : 0 };
  };

  if (options.latencyMs) await sleep(options.latencyMs);
  if (req.method === 'OPTIONS') return reply(204);
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { Allow: 'GET, HEAD, OPTIONS' });
  const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (typeof fault === 'object' && 'status' in fault && (!fault.path || fault.path.test(urlPath)) && (fault.count === undefined || forced.count++ < fault.count)) {
    const retry: Record<string, string> = fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
    return reply(fault.status, { 'Content-Type': 'text/plain', ...retry }, `forced status ${fault.status}\n`);
  }
  // One draw per request decides a flaky host's failure: 0 status 500, 1 status 503, 2 reset, 3 cut body.
  const failure = typeof fault === 'object' && 'flaky' in fault && forced.random() < fault.flaky ? Math.floor(forced.random() * 4) : -1;
  if (failure === 0 || failure === 1) return reply(failure === 0 ? 500 : 503, { 'Content-Type': 'text/plain' }, 'flaky host\n');
  if (failure === 2) {
    req.socket.destroy();
    return { status: 0, bytes: 0 };
  }

  const file = await findFile(root, urlPath);
  if (!file) return reply(404, { 'Content-Type': 'text/plain' }, 'not found\n');

  const headers: Record<string, string | number> = {
    'Content-Type': contentTypes[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${file.size.toString(16)}-${Math.floor(file.mtime.getTime()).toString(16)}"`,
    'Last-Modified': file.mtime.toUTCString(),
    'Cache-Control': 'no-cache',
  };
  const range = fault === 'ignore-range' ? null : parseRange(req.headers.range, file.size);
  if (range === 'unsatisfiable') return reply(416, { ...headers, 'Content-Range': `bytes */${file.size}` });

  const start = range ? range.start : 0;
  const end = range ? range.end : file.size - 1;
  const length = end - start + 1;
  const status = range ? 206 : 200;
  if (range && fault !== 'no-content-range') headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
  const shortBy = fault === 'short-body' && range ? Math.ceil(length / 2) : 0;
  headers['Content-Length'] = length - shortBy;
  res.writeHead(status, { ...base, ...headers });
  if (req.method === 'HEAD') {
    res.end();
    return { status, bytes: 0 };
  }
  // short-body: a well-formed response whose Content-Length matches the short body it sends.
  const sentEnd = end - shortBy;
  const cutAfter = fault === 'truncate' || failure === 3 ? Math.floor(length / 2) : undefined;
  // shiftRange: the same number of bytes from further on, or from before when the range ends the file (a shard index).
  const by = range && typeof fault === 'object' && 'shiftRange' in fault ? fault.shiftRange : 0;
  const shift = file.size - 1 - sentEnd >= by ? by : -Math.min(by, start);
  const bytes = await sendBytes(res, file.path, start + shift, sentEnd + shift, options.bytesPerSecond, cutAfter);
  return { status, bytes };
}

/** Serves the files under `root` on 127.0.0.1 until `close()`. */
export async function startStaticServer(root: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const absRoot = resolve(root);
  // requests answered with a `{ status, count }` fault so far, and a flaky host's random draws
  const forced = { count: 0, random: seededRandom(typeof options.fault === 'object' && 'flaky' in options.fault ? (options.fault.seed ?? 1) : 1) };
  const server = createServer((req, res) => {
    answer(req, res, absRoot, options, forced).then(
      ({ status, bytes }) =>
        options.onRequest?.({ method: req.method ?? 'GET', path: req.url ?? '/', range: req.headers.range ?? null, status, bytes }),
      (error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`${(error as Error).message}\n`);
        } else {
          res.destroy();
        }
      },
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections();
      }),
  };
}
