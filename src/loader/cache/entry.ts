// One cache entry on disk: the payload first, then the full key (guards against name collisions),
// the version of the file the bytes came from (ETag / Last-Modified / mtime), and a trailer with
// the lengths and a checksum over version and payload. A short or corrupt file fails the check and
// is refetched instead of being served.
//
// The payload leads so that a read hands it on where it lies (at offset 0 of the bytes read, as
// decoders that view `.buffer` from 0 need) instead of copying it. The checksum is a 4-lane
// multiply-rotate hash over 32-bit words (entryChecksum), ~5× faster than the slicing-by-8 crc32c
// here: it sits on the warm path, once per cached chunk. Any change confined to one 32-bit word
// (every single flipped bit or byte) always changes it; other damage goes unnoticed with
// probability 2⁻³². Truncation and partial writes fail the length check before it.
import { crc32c } from '../../source/crc32c.ts';

const MAGIC = 0x33435654; // "TVC3" (TVC2 entries had the header first: they read as corrupt, and are refetched)
const TRAILER = 20; // magic, key length, version length, payload length, checksum

export interface CacheEntry {
  readonly payload: Uint8Array;
  /** Version of the file the payload was read from; '' when the store gives none. */
  readonly version: string;
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** The entry checksum of `bytes` (see the header), continuing from `seed`. */
export function entryChecksum(bytes: Uint8Array, seed = 0): number {
  const n = bytes.length;
  const words = n >>> 2;
  // a misaligned view is read through a copy (entries' payloads sit at offset 0: never on the hot path)
  const w = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, words) : new Uint32Array(bytes.slice(0, words * 4).buffer);
  let a = seed ^ 0x9e3779b9;
  let b = seed ^ 0x85ebca6b;
  let c = seed ^ 0xc2b2ae35;
  let d = seed ^ 0x27d4eb2f;
  let i = 0;
  for (; i + 4 <= words; i += 4) {
    a = Math.imul(rotl(a ^ Math.imul(w[i]!, 0xcc9e2d51), 13), 5) + 0xe6546b64;
    b = Math.imul(rotl(b ^ Math.imul(w[i + 1]!, 0x1b873593), 13), 5) + 0x561ccd1b;
    c = Math.imul(rotl(c ^ Math.imul(w[i + 2]!, 0xcc9e2d51), 13), 5) + 0x0bcaa747;
    d = Math.imul(rotl(d ^ Math.imul(w[i + 3]!, 0x1b873593), 13), 5) + 0x38b34ae5;
  }
  for (; i < words; i++) a = Math.imul(rotl(a ^ Math.imul(w[i]!, 0xcc9e2d51), 13), 5) + 0xe6546b64;
  let tail = 0;
  for (let k = words * 4; k < n; k++) tail = (tail << 8) | bytes[k]!;
  b = Math.imul(rotl(b ^ Math.imul(tail ^ n, 0x1b873593), 13), 5) + 0x561ccd1b;
  // every lane's state reaches the result through a bijection, so a change in one lane shows
  let h = a ^ rotl(b, 7) ^ rotl(c, 14) ^ rotl(d, 21);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function encodeEntry(key: string, payload: Uint8Array, version = ''): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  const versionBytes = new TextEncoder().encode(version);
  const out = new Uint8Array(payload.length + keyBytes.length + versionBytes.length + TRAILER);
  out.set(payload);
  out.set(keyBytes, payload.length);
  out.set(versionBytes, payload.length + keyBytes.length);
  const dv = new DataView(out.buffer, out.length - TRAILER);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, keyBytes.length, true);
  dv.setUint32(8, versionBytes.length, true);
  dv.setUint32(12, payload.length, true);
  dv.setUint32(16, entryChecksum(out.subarray(0, payload.length), entryChecksum(versionBytes)), true);
  return out;
}

/** The payload and its file version, or undefined when the entry is partial, corrupt or belongs to another key. */
export function decodeEntry(key: string, bytes: Uint8Array): CacheEntry | undefined {
  if (bytes.length < TRAILER) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - TRAILER, TRAILER);
  if (dv.getUint32(0, true) !== MAGIC) return undefined;
  const keyLength = dv.getUint32(4, true);
  const versionLength = dv.getUint32(8, true);
  const length = dv.getUint32(12, true);
  if (bytes.length !== length + keyLength + versionLength + TRAILER) return undefined;
  if (new TextDecoder().decode(bytes.subarray(length, length + keyLength)) !== key) return undefined;
  const versionBytes = bytes.subarray(length + keyLength, length + keyLength + versionLength);
  // decoders may view `.buffer` from offset 0: the payload must start there
  const payload = bytes.byteOffset === 0 ? bytes.subarray(0, length) : bytes.slice(0, length);
  if (entryChecksum(payload, entryChecksum(versionBytes)) !== dv.getUint32(16, true)) return undefined;
  return { payload, version: new TextDecoder().decode(versionBytes) };
}

/** File name for a key: two independent 32-bit hashes, hex. */
export function entryName(key: string): string {
  const bytes = new TextEncoder().encode(key);
  const a = crc32c(bytes);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return `${a.toString(16).padStart(8, '0')}${(h >>> 0).toString(16).padStart(8, '0')}.bin`;
}
