// The checks every blosc frame passes before it is decoded, by whichever decoder: its header
// against the bytes present and against the size the chunk must decode to (shape × item size).
// A truncated frame or random bytes fail here, before anything is allocated from a bad header.

import { SourceError } from './errors.ts';

/** Header flag: the frame stores its bytes uncompressed after the header. */
export const memcpyed = 0x02;

/** Size in bytes of one element of a zarrita data type; undefined for variable-size (strings, objects). */
export function itemSize(dataType: string): number | undefined {
  const m = /^(?:u?int|float)(\d+)$/.exec(dataType);
  if (m) return Number(m[1]) / 8;
  if (dataType === 'bool') return 1;
  const fixed = /^v2:([US])(\d+)$/.exec(dataType);
  if (fixed) return Number(fixed[2]) * (fixed[1] === 'U' ? 4 : 1);
  return undefined;
}

/** What zarrita tells a codec about the chunks it decodes. */
export interface ChunkMeta {
  readonly dataType: string;
  readonly shape: readonly number[];
  readonly codecs?: readonly { readonly name: string }[];
}

/** Codecs between the array and blosc that keep the byte count. */
const sizePreserving = new Set(['bytes', 'transpose', 'numcodecs.shuffle', 'shuffle']);

/**
 * Bytes a blosc frame of these chunks must decode to (chunk shape × item size), when blosc sits
 * right above the array's bytes; undefined when something between changes the size or the type has
 * no fixed size.
 */
export function expectedDecodedBytes(meta: ChunkMeta | undefined): number | undefined {
  if (!meta) return undefined;
  const size = itemSize(meta.dataType);
  if (size === undefined) return undefined;
  const codecs = meta.codecs ?? [];
  const at = codecs.findIndex((c) => c.name === 'blosc' || c.name === 'numcodecs.blosc');
  if (at < 0 || codecs.slice(0, at).some((c) => !sizePreserving.has(c.name))) return undefined;
  return meta.shape.reduce((a, b) => a * b, 1) * size;
}

/** blosc1 can hold at most this many bytes (BLOSC_MAX_BUFFERSIZE). */
const maxFrameBytes = 2 ** 31 - 1 - 16;

export function damagedFrame(problem: string): SourceError {
  // The location is filled in by the reader that knows the array and chunk (zarr-tree).
  return new SourceError('corrupt', 'blosc frame', `damaged blosc frame: ${problem}`);
}

export interface BloscHeader {
  readonly flags: number;
  readonly typesize: number;
  readonly nbytes: number;
  readonly blocksize: number;
  readonly cbytes: number;
}

/**
 * Checks a blosc frame's header against the bytes present and the size the chunk must decode to,
 * before anything is allocated from it: a truncated frame or random bytes fail here.
 */
export function checkBloscHeader(frame: Uint8Array, expected: number | undefined): BloscHeader {
  if (frame.length < 16) throw damagedFrame(`${frame.length} bytes, shorter than the 16-byte header`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const version = frame[0]!;
  const flags = frame[2]!;
  const typesize = frame[3]!;
  const nbytes = dv.getUint32(4, true);
  const blocksize = dv.getUint32(8, true);
  const cbytes = dv.getUint32(12, true);
  if (version === 0 || version > 5) throw damagedFrame(`format version ${version} (blosc writes 1–5)`);
  if (cbytes !== frame.length) {
    throw damagedFrame(cbytes > frame.length ? `the header says ${cbytes} bytes but only ${frame.length} are present (truncated)` : `the header says ${cbytes} bytes but the chunk holds ${frame.length}`);
  }
  if (expected !== undefined && nbytes !== expected) throw damagedFrame(`it decodes to ${nbytes} bytes, but the chunk's shape and data type need ${expected}`);
  if (nbytes > maxFrameBytes) throw damagedFrame(`it claims ${nbytes} decoded bytes, more than blosc can hold`);
  if (typesize === 0) throw damagedFrame('element size 0');
  if (flags & memcpyed) {
    if (cbytes !== nbytes + 16) throw damagedFrame(`a stored (uncompressed) frame of ${nbytes} bytes must be ${nbytes + 16} bytes long, not ${cbytes}`);
  } else if (nbytes > 0 && (blocksize === 0 || blocksize > nbytes)) {
    throw damagedFrame(`block size ${blocksize} for ${nbytes} bytes`);
  } else if (nbytes > 0 && 16 + 4 * Math.ceil(nbytes / blocksize) > cbytes) {
    throw damagedFrame(`${Math.ceil(nbytes / blocksize)} block offsets do not fit in ${cbytes} bytes`);
  }
  return { flags, typesize, nbytes, blocksize, cbytes };
}

