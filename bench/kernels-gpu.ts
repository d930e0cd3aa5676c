// Browser half of `npm run bench:kernels`: loaded into headless Chromium by bench/kernels.ts, times the
// WGSL kernels on the page's WebGPU adapter (SwiftShader when the machine has no GPU).
import { describeAdapter, probeAdapter, requestComputeDevice } from '../src/gpu/adapter.ts';
import { createBatchGatherer } from '../src/gpu/gather-normalize.ts';
import { createGpuGeneMoments } from '../src/gpu/hvg.ts';
import { geneMapFromSelection } from '../src/cpu/csr-pool.ts';
import { randomCsr, uniformStream } from '../src/cpu/random-csr.ts';
import { benchShape, type BenchRow } from './kernels-shape.ts';

async function timed(repeats: number, body: () => Promise<void>, warmUp = true): Promise<number> {
  if (warmUp) await body(); // pipelines compiled, buffers touched
  const start = performance.now();
  for (let i = 0; i < repeats; i++) await body();
  return (performance.now() - start) / repeats / 1000;
}

export async function runGpuBench(): Promise<{ adapter: string; rows: BenchRow[] }> {
  const report = await probeAdapter();
  if (!report.available) throw new Error(`no WebGPU adapter: ${report.error}`);
  const device = await requestComputeDevice();
  const label = `${describeAdapter(report)} (WebGPU)`;
  const rows: BenchRow[] = [];
  const { poolRows, nVars, meanNnz, batch, nSelected, repeats, hvgRows } = benchShape;

  const pool = randomCsr({ nRows: poolRows, nCols: nVars, meanNnz, seed: 1, indexType: 'uint16' });
  const rand = uniformStream(2);
  const selected = Array.from({ length: nVars }, (_, i) => i).sort(() => rand() - 0.5).slice(0, nSelected);
  const gatherer = await createBatchGatherer(device, {
    nVars,
    geneMap: geneMapFromSelection(nVars, selected),
    maxBatchRows: batch,
    normalize: { targetSum: 1e4, log1p: true },
  });
  const uploadStart = performance.now();
  gatherer.setPool(pool);
  await device.queue.onSubmittedWorkDone();
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  const batches = Array.from({ length: repeats + 1 }, () => Array.from({ length: batch }, () => Math.floor(rand() * poolRows)));
  let next = 0;
  const seconds = await timed(repeats, async () => {
    gatherer.run(batches[next++ % batches.length]);
    await device.queue.onSubmittedWorkDone();
  });
  rows.push({ kernel: 'gather+normalize+log1p', backend: label, size: `${batch} × ${nSelected} of ${nVars} genes`, seconds, cellsPerSecond: batch / seconds });
  rows.push({ kernel: 'pool upload', backend: label, size: `${poolRows} rows, ${pool.indptr[poolRows]} nnz`, seconds: uploadSeconds });
  gatherer.destroy();

  const moments = await createGpuGeneMoments(device, { nVars, input: { kind: 'counts', targetSum: 1e4 } });
  const hvgIds = Int32Array.from({ length: hvgRows }, (_, i) => i);
  const hvgSeconds = await timed(1, () => moments.add(pool, hvgIds));
  rows.push({ kernel: 'gene moments (HVG)', backend: label, size: `${hvgRows} × ${nVars} genes`, seconds: hvgSeconds, cellsPerSecond: hvgRows / hvgSeconds });
  moments.destroy();
  device.destroy();
  return { adapter: label, rows };
}
