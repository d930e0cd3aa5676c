// A blosc (v1 frame) decoder for lz4 with byte shuffle, the codec annbatch and our writer use,
// in plain TypeScript (~5× faster than numcodecs' embind path on this data). Anything else
// (other compressors, bitshuffle) and encoding go to numcodecs' Blosc. Every frame's header is
// checked against the bytes present and the chunk's size first: damaged bytes fail, never decode.
import * as zarr from 'zarrita';
import { Blosc } from 'numcodecs';
import { checkBloscHeader, damagedFrame, expectedDecodedBytes, memcpyed, type ChunkMeta } from '../../source/blosc-frame.ts';
import { reusableBytes } from '../../source/reusable-buffers.ts';
import { lz4DecompressBlock } from './lz4-block.ts';

const BYTE_SHUFFLE = 0x01;
const BIT_SHUFFLE = 0x04;
const DONT_SPLIT = 0x10;
const LZ4 = 1;

/**
 * Undoes blosc's byte shuffle of `size` bytes (`src`: byte 0 of every element, then byte 1, ...)
 * into `dst` at `at`. Elements of 2 and 4 bytes are assembled in a register and stored whole when
 * `dst` is aligned for it (little-endian, as every platform that runs this): a quarter of the stores.
 */
export function unshuffle(typesize: number, src: Uint8Array, dst: Uint8Array, at: number, size: number): void {
  const n = Math.floor(size / typesize);
  const offset = dst.byteOffset + at;
  if (typesize === 4 && offset % 4 === 0) {
    const out = new Uint32Array(dst.buffer, offset, n);
    for (let i = 0, s1 = n, s2 = 2 * n, s3 = 3 * n; i < n; i++) out[i] = src[i]! | (src[s1 + i]! << 8) | (src[s2 + i]! << 16) | (src[s3 + i]! << 24);
  } else if (typesize === 2 && offset % 2 === 0) {
    const out = new Uint16Array(dst.buffer, offset, n);
    for (let i = 0; i < n; i++) out[i] = src[i]! | (src[n + i]! << 8);
  } else {
    for (let j = 0; j < typesize; j++) {
      const base = j * n;
      for (let i = 0; i < n; i++) dst[at + i * typesize + j] = src[base + i]!;
    }
  }
  for (let k = n * typesize; k < size; k++) dst[at + k] = src[k]!;
}

// One block's shuffled bytes between LZ4 and unshuffle: reused across frames (decoding is
// synchronous), one allocation less per chunk for the garbage collector.
let scratchBuffer = new Uint8Array(0);
function scratch(bytes: number): Uint8Array {
  if (scratchBuffer.length < bytes) scratchBuffer = new Uint8Array(bytes);
  return scratchBuffer;
}

/**
 * Decodes a blosc frame (checked first with checkBloscHeader); undefined when the frame uses a
 * compressor or shuffle this decoder does not handle. Throws a 'corrupt' SourceError for a
 * damaged frame: every block offset, split length and decompressed length is checked.
 */
export function decodeBloscLz4(frame: Uint8Array, expected?: number): Uint8Array | undefined {
  const { flags, typesize, nbytes, blocksize, cbytes } = checkBloscHeader(frame, expected);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const out = reusableBytes(nbytes);
  if (flags & memcpyed) {
    out.set(frame.subarray(16, 16 + nbytes));
    return out;
  }
  if ((flags >>> 5) !== LZ4 || flags & BIT_SHUFFLE) return undefined;
  if (nbytes === 0) return out;
  const shuffled = (flags & BYTE_SHUFFLE) !== 0 && typesize > 1;
  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  const dataStart = 16 + 4 * nblocks;
  const tmp = shuffled ? scratch(blocksize) : out;
  for (let b = 0; b < nblocks; b++) {
    const isLeftover = leftover > 0 && b === nblocks - 1;
    const bsize = isLeftover ? leftover : blocksize;
    const nsplits = !(flags & DONT_SPLIT) && !isLeftover ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    let s = dv.getInt32(16 + 4 * b, true);
    if (s < dataStart || s >= cbytes) throw damagedFrame(`block ${b} starts at byte ${s}, outside the frame's data [${dataStart}, ${cbytes})`);
    let t = shuffled ? 0 : b * blocksize;
    for (let j = 0; j < nsplits; j++) {
      if (s + 4 > cbytes) throw damagedFrame(`block ${b} runs past the end of the frame`);
      const splitBytes = dv.getInt32(s, true);
      s += 4;
      if (splitBytes <= 0 || s + splitBytes > cbytes) throw damagedFrame(`block ${b} says ${splitBytes} compressed bytes, ${cbytes - s} are left in the frame`);
      if (splitBytes === neblock) tmp.set(frame.subarray(s, s + splitBytes), t);
      else {
        let written: number;
        try {
          written = lz4DecompressBlock(frame.subarray(s, s + splitBytes), tmp, t, t + neblock);
        } catch (error) {
          throw damagedFrame(`block ${b}: ${(error as Error).message}`);
        }
        if (written !== neblock) throw damagedFrame(`block ${b} decompresses to ${written} bytes instead of ${neblock}`);
      }
      s += splitBytes;
      t += neblock;
    }
    if (shuffled) unshuffle(typesize, tmp, out, b * blocksize, bsize);
  }
  return out;
}

type BloscConfig = { cname?: string; clevel?: number; shuffle?: string | number; blocksize?: number };

/**
 * zarrita codec: validates every frame, decodes blosc-lz4 itself and the rest (other compressors,
 * bitshuffle) with numcodecs. A damaged frame is an error, never handed to numcodecs to guess at.
 */
class FastBloscCodec {
  /** Tells installCheckedCodecs (src/source) that this decoder checks frames itself. */
  static readonly checksFrames = true;
  readonly kind = 'bytes_to_bytes';
  #fallback: { encode(b: Uint8Array): Uint8Array | Promise<Uint8Array>; decode(b: Uint8Array): Uint8Array | Promise<Uint8Array> };
  readonly #expected: number | undefined;
  constructor(config: BloscConfig, meta?: ChunkMeta) {
    const shuffle = config.shuffle === 'noshuffle' ? 0 : config.shuffle === 'bitshuffle' ? 2 : typeof config.shuffle === 'number' ? config.shuffle : 1;
    this.#fallback = Blosc.fromConfig({ id: 'blosc', cname: config.cname ?? 'lz4', clevel: config.clevel ?? 5, shuffle: shuffle as never, blocksize: config.blocksize ?? 0 });
    this.#expected = expectedDecodedBytes(meta);
  }
  static fromConfig(config: BloscConfig, meta?: ChunkMeta): FastBloscCodec {
    return new FastBloscCodec(config ?? {}, meta);
  }
  encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
    return this.#fallback.encode(bytes);
  }
  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    const fast = decodeBloscLz4(bytes, this.#expected);
    if (fast) return fast;
    const { nbytes } = checkBloscHeader(bytes, this.#expected);
    const decoded = await this.#fallback.decode(bytes);
    if (decoded.length !== nbytes) throw damagedFrame(`it decodes to ${decoded.length} bytes, its header says ${nbytes}`);
    return decoded;
  }
}

let installed = false;

/**
 * Makes zarrita decode blosc with FastBloscCodec. zarrita's codec registry is per thread, so each
 * thread that reads zarr calls this once at start (the loader and read workers' entry points do);
 * later calls do nothing. Decoding blosc dominates a pool's CPU time.
 */
export function installFastBlosc(): void {
  if (installed) return;
  installed = true;
  const load = async () => FastBloscCodec as never;
  zarr.registry.set('blosc', load);
  zarr.registry.set('numcodecs.blosc', load);
}
