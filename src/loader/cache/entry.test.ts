import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, entryChecksum } from './entry.ts';

const payload = Uint8Array.from({ length: 37 }, (_, i) => (i * 73 + 5) & 0xff);

describe('cache entries', () => {
  it('round-trip key, version and payload; the payload is served where it was read, not copied', () => {
    const bytes = encodeEntry('store\nX/data\n0+37', payload, 'etag-1');
    const entry = decodeEntry('store\nX/data\n0+37', bytes)!;
    expect(Array.from(entry.payload)).toEqual(Array.from(payload));
    expect(entry.version).toBe('etag-1');
    expect(entry.payload.buffer).toBe(bytes.buffer);
    expect(entry.payload.byteOffset).toBe(0);
  });

  it('every flipped byte of payload, key, version or trailer, a truncation and another key read as no entry', () => {
    const bytes = encodeEntry('k', payload, 'v');
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const damaged = bytes.slice();
        damaged[i]! ^= flip;
        expect(decodeEntry('k', damaged), `byte ${i} ^ ${flip}`).toBeUndefined();
      }
    }
    expect(decodeEntry('k', bytes.subarray(0, bytes.length - 1).slice())).toBeUndefined();
    expect(decodeEntry('other', bytes)).toBeUndefined();
  });

  it('a misaligned view checksums the same as an aligned copy; swapped words change the checksum', () => {
    const big = new Uint8Array(1001).map((_, i) => (i * 131) & 0xff);
    const shifted = new Uint8Array(1002);
    shifted.set(big, 1);
    expect(entryChecksum(shifted.subarray(1))).toBe(entryChecksum(big));
    const swapped = big.slice();
    swapped.copyWithin(0, 16, 20);
    swapped.set(big.subarray(0, 4), 16);
    expect(entryChecksum(swapped)).not.toBe(entryChecksum(big));
  });
});
