// One cache entry on disk: a header that repeats the full key (guards against name collisions),
// the version of the file the bytes came from (ETag / Last-Modified / mtime), the payload length
// and a crc32c over version and payload, then the payload. A short or corrupt file fails the check
// and is refetched instead of being served.
import { crc32c } from '../../source/crc32c.ts';

const MAGIC = 0x32435654; // "TVC2" (TVC1 entries had no file version: they read as corrupt, and are refetched)
const HEADER = 20; // magic, key length, version length, payload length, crc32c

export interface CacheEntry {
  readonly payload: Uint8Array;
  /** Version of the file the payload was read from; '' when the store gives none. */
  readonly version: string;
}

export function encodeEntry(key: string, payload: Uint8Array, version = ''): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  const versionBytes = new TextEncoder().encode(version);
  const out = new Uint8Array(HEADER + keyBytes.length + versionBytes.length + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, keyBytes.length, true);
  dv.setUint32(8, versionBytes.length, true);
  dv.setUint32(12, payload.length, true);
  dv.setUint32(16, crc32c(payload, crc32c(versionBytes)), true);
  out.set(keyBytes, HEADER);
  out.set(versionBytes, HEADER + keyBytes.length);
  out.set(payload, HEADER + keyBytes.length + versionBytes.length);
  return out;
}

/** The payload and its file version, or undefined when the entry is partial, corrupt or belongs to another key. */
export function decodeEntry(key: string, bytes: Uint8Array): CacheEntry | undefined {
  if (bytes.length < HEADER) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) return undefined;
  const keyLength = dv.getUint32(4, true);
  const versionLength = dv.getUint32(8, true);
  const length = dv.getUint32(12, true);
  if (bytes.length !== HEADER + keyLength + versionLength + length) return undefined;
  if (new TextDecoder().decode(bytes.subarray(HEADER, HEADER + keyLength)) !== key) return undefined;
  const versionBytes = bytes.subarray(HEADER + keyLength, HEADER + keyLength + versionLength);
  const payload = bytes.subarray(HEADER + keyLength + versionLength);
  if (crc32c(payload, crc32c(versionBytes)) !== dv.getUint32(16, true)) return undefined;
  // a copy with its own buffer: decoders may view `.buffer` from offset 0
  return { payload: payload.slice(), version: new TextDecoder().decode(versionBytes) };
}

/** File name for a key: two independent 32-bit hashes, hex. */
export function entryName(key: string): string {
  const bytes = new TextEncoder().encode(key);
  const a = crc32c(bytes);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return `${a.toString(16).padStart(8, '0')}${(h >>> 0).toString(16).padStart(8, '0')}.bin`;
}
