// Source-layer benchmark: annbatch-style reads (32 random runs of 512 rows per call) from a sharded
// zarr v3 store — local directory, and over HTTP with and without latency, varying the request
// concurrency limit and range coalescing. Prints a table and writes bench-results/source.json.
//
//   npx tsx bench/source.ts [--cells 20000] [--genes 20000] [--nnz 500] [--calls 4] [--h5ad file.h5ad …]
//
// Each --h5ad adds a case reading that file in Node with h5wasm (the code the browser's h5ad worker runs).
// --fast-blosc decodes blosc with the loader's TS decoder instead of numcodecs' WASM build.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { startStaticServer } from '../src/server/static-server.ts';
import { openSource, type OpenSourceOptions } from '../src/source/index.ts';
import { dataDir, ensureDataset } from './loader-data.ts';

const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const spec = { nObs: arg('--cells', 20_000), nVars: arg('--genes', 20_000), nnzPerRow: arg('--nnz', 500) };
const calls = arg('--calls', 4);
const runRows = 512;
const runsPerCall = 32;

/** Seeded runs: runsPerCall distinct chunk-aligned runs per call, sorted. */
function callRuns(call: number, nObs: number): { start: number; end: number }[] {
  let state = 0x9e3779b9 ^ call;
  const next = () => ((state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  const nChunks = Math.floor(nObs / runRows);
  const picked = new Set<number>();
  while (picked.size < Math.min(runsPerCall, nChunks)) picked.add(Math.floor(next() * nChunks));
  return [...picked].sort((a, b) => a - b).map((c) => ({ start: c * runRows, end: (c + 1) * runRows }));
}

interface Row {
  readonly store: string;
  readonly concurrency: number;
  readonly coalesceBytes: number;
  readonly rowsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly requestsPerCall: number;
}

const fastBlosc = process.argv.includes('--fast-blosc');
if (fastBlosc) installFastBlosc();
const name = await ensureDataset(spec);
const dir = join(dataDir, name);
const rows: Row[] = [];
let requests = 0;
let bytes = 0;
const fast = await startStaticServer(dataDir, { onRequest: (e) => ((requests += 1), (bytes += e.bytes)) });
const slow = await startStaticServer(dataDir, { latencyMs: 20, onRequest: (e) => ((requests += 1), (bytes += e.bytes)) });

async function measure(store: string, input: string, options: OpenSourceOptions): Promise<void> {
  const source = await openSource(input, options);
  try {
    await source.readRows(callRuns(1000, source.nObs)); // warm-up: metadata, codecs, indptr of unrelated rows
    requests = 0;
    bytes = 0;
    let cells = 0;
    let payload = 0;
    const began = performance.now();
    for (let c = 0; c < calls; c++) {
      const { block } = await source.readRows(callRuns(c, source.nObs));
      cells += block.nRows;
      payload += block.format === 'csr' ? block.data.byteLength + block.indices.byteLength : block.values.byteLength;
    }
    const seconds = (performance.now() - began) / 1000;
    const onHttp = input.startsWith('http');
    rows.push({
      store,
      concurrency: options.concurrency ?? 8,
      coalesceBytes: options.coalesceBytes ?? 32 * 1024,
      rowsPerSecond: Math.round(cells / seconds),
      megabytesPerSecond: Number(((onHttp ? bytes : payload) / seconds / 1e6).toFixed(1)),
      requestsPerCall: onHttp ? Math.round(requests / calls) : 0,
    });
  } finally {
    await source.close();
  }
}

await measure('local directory', dir, { concurrency: 16 });
for (const concurrency of [4, 16, 64]) await measure('HTTP 127.0.0.1', `${fast.url}/${name}`, { concurrency });
await measure('HTTP 127.0.0.1', `${fast.url}/${name}`, { concurrency: 16, coalesceBytes: 0 });
for (const concurrency of [4, 32]) await measure('HTTP +20 ms latency', `${slow.url}/${name}`, { concurrency });
await measure('HTTP +20 ms latency', `${slow.url}/${name}`, { concurrency: 32, coalesceBytes: 0 });
await Promise.all([fast.close(), slow.close()]);
for (const [i, flag] of process.argv.entries()) {
  if (flag === '--h5ad') await measure(`h5ad ${process.argv[i + 1]!.split('/').pop()}`, process.argv[i + 1]!, {});
}

console.log(`\nsource reads: ${spec.nObs.toLocaleString()} cells × ${spec.nVars.toLocaleString()} genes, ${spec.nnzPerRow} nnz/cell, sharded zarr v3 (64-row inner chunks)`);
console.log(`each call: ${runsPerCall} random runs of ${runRows} rows; ${calls} calls per case; blosc decoder: ${fastBlosc ? 'loader TS (FastBloscCodec)' : 'numcodecs WASM'}\n`);
console.log('| store | concurrency | coalesce (bytes) | cells/s | MB/s (wire or payload) | requests/call |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.store} | ${r.concurrency} | ${r.coalesceBytes} | ${r.rowsPerSecond.toLocaleString()} | ${r.megabytesPerSecond} | ${r.requestsPerCall || '–'} |`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/source.json', JSON.stringify({ spec, calls, runRows, runsPerCall, fastBlosc, rows }, null, 2));
console.log('\nwrote bench-results/source.json');
