// CRC-32C (Castagnoli): the zarr v3 "crc32c" codec of shard indexes (written by src/convert) and
// the chunk cache's entry checksum (src/loader/cache).

const table = (() => {
  const t = new Uint32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  // slicing-by-8 tables
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) t[s * 256 + i] = (t[(s - 1) * 256 + i]! >>> 8) ^ t[t[(s - 1) * 256 + i]! & 0xff]!;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c =
      table[7 * 256 + (c & 0xff)]! ^
      table[6 * 256 + ((c >>> 8) & 0xff)]! ^
      table[5 * 256 + ((c >>> 16) & 0xff)]! ^
      table[4 * 256 + (c >>> 24)]! ^
      table[3 * 256 + bytes[i + 4]!]! ^
      table[2 * 256 + bytes[i + 5]!]! ^
      table[256 + bytes[i + 6]!]! ^
      table[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
