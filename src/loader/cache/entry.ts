// One cache entry on disk: a header that repeats the full key (guards against name collisions),
// the payload length and its crc32c, then the payload. A short or corrupt file fails the check
// and is refetched instead of being served.
import { crc32c } from '../../source/crc32c.ts';

const MAGIC = 0x31435654; // "TVC1"
const HEADER = 16; // magic, key length, payload length, crc32c

export function encodeEntry(key: string, payload: Uint8Array): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  const out = new Uint8Array(HEADER + keyBytes.length + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, keyBytes.length, true);
  dv.setUint32(8, payload.length, true);
  dv.setUint32(12, crc32c(payload), true);
  out.set(keyBytes, HEADER);
  out.set(payload, HEADER + keyBytes.length);
  return out;
}

/** The payload, or undefined when the entry is partial, corrupt or belongs to another key. */
export function decodeEntry(key: string, bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < HEADER) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) return undefined;
  const keyLength = dv.getUint32(4, true);
  const length = dv.getUint32(8, true);
  if (bytes.length !== HEADER + keyLength + length) return undefined;
  if (new TextDecoder().decode(bytes.subarray(HEADER, HEADER + keyLength)) !== key) return undefined;
  const payload = bytes.subarray(HEADER + keyLength);
  // a copy with its own buffer: decoders may view `.buffer` from offset 0
  return crc32c(payload) === dv.getUint32(12, true) ? payload.slice() : undefined;
}

/** File name for a key: two independent 32-bit hashes, hex. */
export function entryName(key: string): string {
  const bytes = new TextEncoder().encode(key);
  const a = crc32c(bytes);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return `${a.toString(16).padStart(8, '0')}${(h >>> 0).toString(16).padStart(8, '0')}.bin`;
}
