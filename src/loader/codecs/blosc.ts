// A blosc (v1 frame) decoder for lz4 with byte shuffle, the codec annbatch and our writer use: the
// frame's structure in TypeScript, its blocks in wasm (blosc-kernels.ts), 2.8× numcodecs' Blosc on
// the loader's chunks (bench:codecs). Anything else (other compressors, bitshuffle) and encoding go
// to numcodecs' Blosc. Every frame's header is checked against the bytes present and the chunk's
// size first: damaged bytes fail, never decode.
import * as zarr from 'zarrita';
import { Blosc } from 'numcodecs';
import { checkBloscHeader, damagedFrame, expectedDecodedBytes, memcpyed, type ChunkMeta } from '../../source/blosc-frame.ts';
import { reusableBytes } from '../../source/reusable-buffers.ts';
import { bloscKernels, defaultBloscKernels, type BloscKernels } from './blosc-kernels.ts';

const BYTE_SHUFFLE = 0x01;
const BIT_SHUFFLE = 0x04;
const DONT_SPLIT = 0x10;
const LZ4 = 1;

/**
 * Decodes a blosc frame (checked first with checkBloscHeader); undefined when the frame uses a
 * compressor or shuffle this decoder does not handle. Throws a 'corrupt' SourceError for a
 * damaged frame: every block offset, split length and decompressed length is checked.
 */
export function decodeBloscLz4(frame: Uint8Array, expected?: number, kernels: BloscKernels = defaultBloscKernels()): Uint8Array | undefined {
  const { flags, typesize, nbytes, blocksize, cbytes } = checkBloscHeader(frame, expected);
  if (flags & memcpyed) {
    const out = reusableBytes(nbytes);
    out.set(frame.subarray(16, 16 + nbytes));
    return out;
  }
  if ((flags >>> 5) !== LZ4 || flags & BIT_SHUFFLE) return undefined;
  if (nbytes === 0) return reusableBytes(0);
  const shuffled = (flags & BYTE_SHUFFLE) !== 0 && typesize > 1;
  // the heap's layout: the frame, one block's shuffled bytes, the decoded chunk
  const frameAt = kernels.base;
  const stageAt = frameAt + cbytes;
  const outAt = stageAt + (shuffled ? blocksize : 0);
  const heap = kernels.reserve(outAt + nbytes);
  if (!heap) return kernels.kind === 'js' ? undefined : decodeBloscLz4(frame, expected, bloscKernels('js')!);
  heap.set(frame, frameAt);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  const dataStart = 16 + 4 * nblocks;
  for (let b = 0; b < nblocks; b++) {
    const isLeftover = leftover > 0 && b === nblocks - 1;
    const bsize = isLeftover ? leftover : blocksize;
    const nsplits = !(flags & DONT_SPLIT) && !isLeftover ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    let s = dv.getInt32(16 + 4 * b, true);
    if (s < dataStart || s >= cbytes) throw damagedFrame(`block ${b} starts at byte ${s}, outside the frame's data [${dataStart}, ${cbytes})`);
    let t = shuffled ? stageAt : outAt + b * blocksize;
    for (let j = 0; j < nsplits; j++) {
      if (s + 4 > cbytes) throw damagedFrame(`block ${b} runs past the end of the frame`);
      const splitBytes = dv.getInt32(s, true);
      s += 4;
      if (splitBytes <= 0 || s + splitBytes > cbytes) throw damagedFrame(`block ${b} says ${splitBytes} compressed bytes, ${cbytes - s} are left in the frame`);
      if (splitBytes === neblock) heap.copyWithin(t, frameAt + s, frameAt + s + splitBytes);
      else {
        let written: number;
        try {
          written = kernels.lz4(frameAt + s, splitBytes, t, neblock);
        } catch (error) {
          throw damagedFrame(`block ${b}: ${(error as Error).message}`);
        }
        if (written !== neblock) throw damagedFrame(`block ${b} decompresses to ${written} bytes instead of ${neblock}`);
      }
      s += splitBytes;
      t += neblock;
    }
    if (shuffled) kernels.unshuffle(typesize, stageAt, outAt + b * blocksize, bsize);
  }
  const out = reusableBytes(nbytes);
  out.set(heap.subarray(outAt, outAt + nbytes));
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
