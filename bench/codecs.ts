// Blosc-lz4 decoding of the loader benchmark's chunks (npm run bench:codecs): every inner chunk of
// X/data's first shard of the Tahoe-like store (bench/loader-data.ts), decoded by the wasm kernels
// and by the TypeScript ones (their fallback), and by numcodecs' Blosc (c-blosc in wasm, through
// embind) for reference, in one process, several rounds each. Prints a table, writes bench-results/codecs.json.
//
//   npx tsx bench/codecs.ts [--cells 50000] [--rounds 5]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Blosc } from 'numcodecs';
import { bloscKernels, type BloscKernelsKind } from '../src/loader/codecs/blosc-kernels.ts';
import { decodeBloscLz4 } from '../src/loader/codecs/blosc.ts';
import { releaseBuffer } from '../src/source/reusable-buffers.ts';
import { dataDir, ensureDataset } from './loader-data.ts';

const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('--rounds', 5);
const name = await ensureDataset({ nObs: arg('--cells', 50_000), nVars: 20_000, nnzPerRow: 1500 });
const array = join(dataDir, name, 'X/data');

/** The inner chunks' frames of the array's first shard (index at its end: offset, length as u64 pairs, then a crc32c). */
async function shardFrames(): Promise<Uint8Array[]> {
  const meta = JSON.parse(await readFile(join(array, 'zarr.json'), 'utf8'));
  const sharding = meta.codecs[0].configuration;
  const perShard = meta.chunk_grid.configuration.chunk_shape[0] / sharding.chunk_shape[0];
  const shard = new Uint8Array(await readFile(join(array, 'c/0')));
  const index = new DataView(shard.buffer, shard.length - 4 - 16 * perShard, 16 * perShard);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < perShard; i++) {
    const offset = index.getBigUint64(16 * i, true);
    const length = Number(index.getBigUint64(16 * i + 8, true));
    if (offset !== 2n ** 64n - 1n && length > 0) frames.push(shard.subarray(Number(offset), Number(offset) + length));
  }
  return frames;
}

const frames = await shardFrames();
const compressed = frames.reduce((n, f) => n + f.length, 0);
const decoded = frames.reduce((n, f) => n + new DataView(f.buffer, f.byteOffset).getUint32(4, true), 0);
const numcodecs = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 3, shuffle: 1 as never, blocksize: 0 });

type Decoder = 'wasm kernels' | 'TypeScript kernels' | "numcodecs' Blosc (c-blosc, embind)";
const decoders: Record<Decoder, (frame: Uint8Array) => Promise<void> | void> = {
  'wasm kernels': (f) => releaseBuffer(decodeBloscLz4(f, undefined, bloscKernels('wasm' satisfies BloscKernelsKind)!)!.buffer),
  'TypeScript kernels': (f) => releaseBuffer(decodeBloscLz4(f, undefined, bloscKernels('js')!)!.buffer),
  "numcodecs' Blosc (c-blosc, embind)": async (f) => void (await numcodecs.decode(f)),
};

const rows: { decoder: Decoder; seconds: number; decodedMiBPerSecond: number; vsWasm?: number }[] = [];
for (const [decoder, decode] of Object.entries(decoders) as [Decoder, (f: Uint8Array) => Promise<void> | void][]) {
  const times: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t = performance.now();
    for (const frame of frames) await decode(frame);
    if (r > 0) times.push((performance.now() - t) / 1000); // round 0 warms up the JIT and the buffers
  }
  const seconds = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  rows.push({ decoder, seconds, decodedMiBPerSecond: decoded / 2 ** 20 / seconds });
}
for (const row of rows) row.vsWasm = row.seconds / rows[0]!.seconds;

console.log(`${frames.length} blosc-lz4 frames (float32, byte shuffle) from ${array}/c/0: ${(compressed / 2 ** 20).toFixed(1)} MiB → ${(decoded / 2 ** 20).toFixed(1)} MiB; median of ${rounds} rounds; ${cpus()[0]?.model}, Node ${process.version}\n`);
console.log('| decoder | s per shard | decoded MiB/s | time ÷ wasm |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.decoder} | ${r.seconds.toFixed(3)} | ${Math.round(r.decodedMiBPerSecond)} | ${r.vsWasm!.toFixed(2)} |`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/codecs.json', `${JSON.stringify({ date: new Date().toISOString(), command: `npx tsx bench/codecs.ts ${process.argv.slice(2).join(' ')}`.trim(), cpu: cpus()[0]?.model, node: process.version, frames: frames.length, compressedBytes: compressed, decodedBytes: decoded, rounds, rows }, null, 2)}\n`);
console.log('\nwrote bench-results/codecs.json');
