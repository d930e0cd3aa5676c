// zarrita's codecs trust their input: its crc32c codec drops the checksum unread, and numcodecs'
// blosc allocates whatever a (damaged) header asks for and decodes garbage from a truncated
// frame. These wrappers, installed into zarrita's codec registry by every zarr reader, check first.

import * as zarr from 'zarrita';
import { checkBloscHeader, damagedFrame, expectedDecodedBytes, type ChunkMeta } from './blosc-frame.ts';
import { crc32c } from './crc32c.ts';
import { SourceError } from './errors.ts';

interface BytesCodec {
  readonly kind: string;
  encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  computeEncodedSize?(size: number): number;
}
interface CodecClass {
  fromConfig(config: unknown, meta: ChunkMeta): BytesCodec;
  /** Set by a decoder that runs checkBloscHeader itself (src/loader/codecs/blosc.ts). */
  readonly checksFrames?: boolean;
}
type Loader = () => Promise<CodecClass> | CodecClass;

/** Splits a crc32c-coded buffer, throwing a 'corrupt' SourceError when its checksum does not match. */
export function verifyCrc32c(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) throw new SourceError('corrupt', 'crc32c', `crc32c: ${bytes.length} bytes, too short to hold a checksum`);
  const body = bytes.subarray(0, bytes.length - 4);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const actual = crc32c(body);
  if (stored !== actual) {
    throw new SourceError('corrupt', 'crc32c', `crc32c checksum mismatch (stored ${stored.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')})`);
  }
  return body;
}

const checkedCrc32c: CodecClass = {
  fromConfig: () => ({
    kind: 'bytes_to_bytes',
    encode: (bytes) => {
      const out = new Uint8Array(bytes.length + 4);
      out.set(bytes);
      new DataView(out.buffer).setUint32(bytes.length, crc32c(bytes), true);
      return out;
    },
    decode: verifyCrc32c,
    computeEncodedSize: (size) => size + 4,
  }),
};

function checkedBlosc(load: Loader): Loader {
  return async () => {
    const Inner = await load();
    if (Inner.checksFrames) return Inner;
    return {
      fromConfig(config, meta) {
        const inner = Inner.fromConfig(config, meta);
        const expected = expectedDecodedBytes(meta);
        return {
          kind: inner.kind,
          encode: (bytes) => inner.encode(bytes),
          async decode(bytes) {
            const { nbytes } = checkBloscHeader(bytes, expected);
            const decoded = await inner.decode(bytes);
            if (decoded.length !== nbytes) throw damagedFrame(`it decodes to ${decoded.length} bytes, its header says ${nbytes}`);
            return decoded;
          },
        };
      },
    };
  };
}

const wrapped = new WeakSet<object>();

/**
 * Wraps the registry's blosc decoders (whichever is installed, e.g. FastBlosc) with the frame checks
 * and replaces crc32c with a verifying one. Idempotent; zarrita's registry is per thread, so every
 * thread that reads zarr runs it (zarr-tree.ts does, on import).
 */
export function installCheckedCodecs(): void {
  for (const name of ['blosc', 'numcodecs.blosc']) {
    const current = zarr.registry.get(name) as Loader | undefined;
    if (!current || wrapped.has(current)) continue;
    const checked = checkedBlosc(current);
    wrapped.add(checked);
    zarr.registry.set(name, checked as never);
  }
  zarr.registry.set('crc32c', (() => checkedCrc32c) as never);
}
