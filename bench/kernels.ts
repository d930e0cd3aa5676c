// `npm run bench:kernels`: gather+normalise and per-gene moment (HVG) throughput, GPU (WGSL kernels
// in headless Chromium; SwiftShader when the machine has no GPU) vs the CPU path (TypeScript, in
// Node), and the CPU path's dropout masks in TypeScript and in wasm. Prints a table and writes bench-results/kernels.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { gatherNormalize } from '../src/cpu/gather-normalize.ts';
import { geneMapFromSelection } from '../src/cpu/csr-pool.ts';
import { accumulateCsr, createGeneMoments } from '../src/cpu/hvg.ts';
import { dropoutMask } from '../src/cpu/philox.ts';
import { randomCsr, uniformStream } from '../src/cpu/random-csr.ts';
import { withBenchPage } from './bench-page.ts';
import { benchShape, type BenchRow } from './kernels-shape.ts';

function timed(repeats: number, body: () => void, warmUp = true): number {
  if (warmUp) body();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) body();
  return (performance.now() - start) / repeats / 1000;
}

function cpuBench(): BenchRow[] {
  const { poolRows, nVars, meanNnz, batch, nSelected, repeats, hvgRows } = benchShape;
  const backend = `CPU path (Node ${process.version}, 1 thread)`;
  const pool = randomCsr({ nRows: poolRows, nCols: nVars, meanNnz, seed: 1, indexType: 'uint16' });
  const rand = uniformStream(2);
  const selected = Array.from({ length: nVars }, (_, i) => i).sort(() => rand() - 0.5).slice(0, nSelected);
  const geneMap = geneMapFromSelection(nVars, selected);
  const out = { x: new Float32Array(batch * nSelected), sizeFactors: new Float32Array(batch) };
  const batches = Array.from({ length: repeats + 1 }, () => Array.from({ length: batch }, () => Math.floor(rand() * poolRows)));
  let next = 0;
  const seconds = timed(repeats, () => {
    gatherNormalize(pool, batches[next++ % batches.length], geneMap, nSelected, { targetSum: 1e4, log1p: true }, out);
  });
  const rows: BenchRow[] = [{ kernel: 'gather+normalize+log1p', backend, size: `${batch} × ${nSelected} of ${nVars} genes`, seconds, cellsPerSecond: batch / seconds }];
  const hvgIds = Int32Array.from({ length: hvgRows }, (_, i) => i);
  const hvgSeconds = timed(1, () => accumulateCsr(createGeneMoments(nVars), pool, hvgIds, { kind: 'counts', targetSum: 1e4 }));
  rows.push({ kernel: 'gene moments (HVG)', backend, size: `${hvgRows} × ${nVars} genes`, seconds: hvgSeconds, cellsPerSecond: hvgRows / hvgSeconds });
  // one training step's dropout masks for the paper model (hidden [512, 128], mirrored: 1,280 per cell)
  const masks = new Float32Array(batch * 1280);
  for (const via of ['js', 'wasm'] as const) {
    let step = 0;
    const maskSeconds = timed(repeats, () => void dropoutMask(masks.length, 0.2, { seed: 1, step: step++, stream: 1 }, masks, via));
    rows.push({ kernel: 'dropout masks (Philox)', backend: via === 'js' ? backend : `CPU path, wasm/philox.c (Node ${process.version}, 1 thread)`, size: `${batch} × 1,280`, seconds: maskSeconds, cellsPerSecond: batch / maskSeconds });
  }
  return rows;
}

function gpuBench(): Promise<{ adapter: string; rows: BenchRow[] }> {
  return withBenchPage('bench/kernels-shape.ts', 63403, (page) => page.evaluate(async (path) => (await import(/* @vite-ignore */ path)).runGpuBench(), '/bench/kernels-gpu.ts'));
}

function table(rows: BenchRow[]): string {
  const header = ['kernel', 'backend', 'size', 'time (ms)', 'cells/s'];
  const body = rows.map((r) => [r.kernel, r.backend, r.size, (r.seconds * 1000).toFixed(1), r.cellsPerSecond ? Math.round(r.cellsPerSecond).toLocaleString('en-US') : '']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}

console.log('CPU path…');
const cpuRows = cpuBench();
console.log('GPU kernels in headless Chromium…');
const gpu = await gpuBench();
const rows = [...gpu.rows, ...cpuRows];
console.log(table(rows));
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/kernels.json',
  `${JSON.stringify({ date: new Date().toISOString(), shape: benchShape, gpuAdapter: gpu.adapter, cpu: cpus()[0]?.model, rows }, null, 2)}\n`,
);
console.log('wrote bench-results/kernels.json');
