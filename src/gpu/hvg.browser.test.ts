import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGpuGeneMoments, gpuHighlyVariableGenes } from './hvg.ts';
import { requestComputeDevice } from './adapter.ts';
import { accumulateCsr, createGeneMoments, seuratHvg, variances } from '../cpu/hvg.ts';
import { hvgFixture } from '../cpu/hvg-fixture.ts';
import { randomCsr } from '../cpu/random-csr.ts';
import { detectInputKind, highlyVariableGenes } from '../model/dataset.ts';
import { openSource, SourceError, type AnnDataSource, type CsrBlock } from '../source/index.ts';
import { opfsStoresFolder } from '../source/opfs-store.ts';
import { writeAnnDataGroup } from '../convert/anndata-writer.ts';
import { opfsSink } from '../convert/sink.ts';
import { writeConsolidatedRoot, type NodeMetadata } from '../convert/zarr-v3.ts';

let device: GPUDevice;
beforeAll(async () => {
  device = await requestComputeDevice();
});
afterAll(() => device.destroy());

function expectNear(got: Float64Array, expected: Float64Array, rel: number): void {
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) expect(got[i], `entry ${i}`).toBeNaN();
    else expect(Math.abs(got[i] - expected[i]), `entry ${i}: ${got[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rel * (1 + Math.abs(expected[i])));
  }
}

describe('streaming gene moments on the GPU (gather-normalize.wgsl + column-stats.wgsl)', () => {
  for (const [name, pool, input] of [
    ['counts', hvgFixture.counts, { kind: 'counts', targetSum: 1e4 }],
    ['log1p data', hvgFixture.log1pNormalized, { kind: 'log1p' }],
  ] as const) {
    it(`select scanpy's seurat highly variable genes from ${name} (fixture)`, async () => {
      const stats = await createGpuGeneMoments(device, { nVars: pool.nCols, input, maxBatchRows: 30 });
      // Two passes over halves of the cells, as two pools of an out-of-core dataset.
      const rows = Array.from({ length: pool.nRows }, (_, i) => i);
      await stats.add(pool, rows.slice(0, 55));
      await stats.add(pool, rows.slice(55));
      expect(stats.moments.count).toBe(100);
      expectNear(variances(stats.moments), hvgFixture.variance, 2e-5);
      const hvg = seuratHvg(stats.moments.mean, variances(stats.moments), hvgFixture.nTop);
      expectNear(hvg.dispersionsNorm, hvgFixture.dispersionsNorm, 1e-3);
      expect(Array.from(hvg.selected)).toEqual(Array.from(hvgFixture.highlyVariable));
      stats.destroy();
    });
  }

  it('matches the CPU path on a random pool across 256-row chunks, with progress and abort', async () => {
    const pool = randomCsr({ nRows: 700, nCols: 900, meanNnz: 80, seed: 12, indexType: 'uint16' });
    const stats = await createGpuGeneMoments(device, { nVars: 900, input: { kind: 'counts', targetSum: 1e4 }, maxBatchRows: 600 });
    const progress: number[] = [];
    await stats.add(pool, undefined, { onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([600, 700]);
    const cpu = createGeneMoments(900);
    accumulateCsr(cpu, pool, Array.from({ length: 700 }, (_, i) => i), { kind: 'counts', targetSum: 1e4 });
    expectNear(stats.moments.mean, cpu.mean, 1e-5);
    expectNear(variances(stats.moments), variances(cpu), 1e-4);
    await expect(stats.add(pool, undefined, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(stats.moments.count).toBe(700);
    stats.destroy();
  });
});

describe('highly variable genes of a source with the moments on the GPU (gpuHighlyVariableGenes)', () => {
  const servers = inject('fixtureServers');
  const opened: AnnDataSource[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });
  async function open(input: Parameters<typeof openSource>[0]): Promise<AnnDataSource> {
    const source = await openSource(input);
    opened.push(source);
    return source;
  }

  it('selects the same genes as the CPU path on the demo (sparse counts, read in blocks)', async () => {
    // public/ is served at the root of the test page's origin.
    const source = await open(`${location.origin}/demo/demo.zarr`);
    const input = await detectInputKind(source);
    const progress: number[] = [];
    const gpu = await gpuHighlyVariableGenes(device, source, 300, { input, rowsPerRead: 512, onProgress: (_, done) => progress.push(done) });
    const cpu = await highlyVariableGenes(source, 300, { input, rowsPerRead: 512 });
    expect(gpu.length).toBeGreaterThanOrEqual(300);
    expect(Array.from(gpu)).toEqual(Array.from(cpu));
    expect(progress).toEqual(Array.from({ length: Math.ceil(source.nObs / 512) }, (_, i) => Math.min(source.nObs, (i + 1) * 512)));
  });

  it('selects the same genes as the CPU path on a dense log1p matrix, and all genes when asked for as many', async () => {
    const source = await open(`${servers.ok}/anndata/small-dense.zarr`);
    expect(source.X.encoding).toBe('array');
    const gpu = await gpuHighlyVariableGenes(device, source, 5, { input: 'log1p', rowsPerRead: 7 });
    expect(Array.from(gpu)).toEqual(Array.from(await highlyVariableGenes(source, 5, { input: 'log1p', rowsPerRead: 7 })));
    expect(Array.from(await gpuHighlyVariableGenes(device, source, 12, { input: 'log1p' }))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    await expect(gpuHighlyVariableGenes(device, source, 5, { input: 'log1p', signal: AbortSignal.abort() })).rejects.toThrow();
  });

  /** A zarr v3 AnnData in OPFS (as the app's local copies), written by the project's anndata writer. */
  async function opfsAnnData(name: string, x: CsrBlock): Promise<AnnDataSource> {
    const stores = await (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
    await stores.removeEntry(name, { recursive: true }).catch(() => undefined);
    const sink = opfsSink(await stores.getDirectoryHandle(name, { create: true }));
    const nodes: NodeMetadata = new Map();
    await writeAnnDataGroup(sink, nodes, '', {
      nObs: x.nRows,
      nVars: x.nCols,
      X: { encoding: 'csr_matrix', nnz: x.indptr[x.nRows], blocks: (async function* () { yield x; })() },
      obs: { index: Array.from({ length: x.nRows }, (_, i) => `cell_${i}`), columns: [] },
      var: { index: Array.from({ length: x.nCols }, (_, i) => `gene_${i}`), columns: [] },
    }, { layout: { chunkRows: 16, shardBytes: 16 * 1024 } });
    await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
    return open({ opfs: name });
  }

  it('refuses NaN and negative values as the CPU pass does, naming the first cell and gene', async () => {
    const x = randomCsr({ nRows: 60, nCols: 30, meanNnz: 8, seed: 3, indexType: 'int32' });
    const j = x.indptr[37]; // the first entry of cell 37
    expect(x.indptr[38]).toBeGreaterThan(j);
    x.data[j] = NaN;
    x.data[x.indptr[40]] = -1;
    const source = await opfsAnnData('hvg-bad-values.zarr', x);
    const error = await gpuHighlyVariableGenes(device, source, 10, { input: 'counts', rowsPerRead: 16 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('bad-values');
    expect((error as SourceError).message).toMatch(new RegExp(`X holds 2 values training cannot use \\(1 NaN, 1 negative\\); the first at cell 37, gene ${x.indices[j]}[ :]`));
  });

  it('names the gene whose moments overflow float32 when the values are finite', async () => {
    const x = randomCsr({ nRows: 40, nCols: 20, meanNnz: 6, seed: 4, indexType: 'int32' });
    for (let k = 0; k < x.data.length; k++) x.data[k] = x.data[k] / 10;
    const j = x.indptr[21];
    x.data[j] = 60; // expm1(60)² overflows float32, not float64
    const source = await opfsAnnData('hvg-overflow.zarr', x);
    await expect(highlyVariableGenes(source, 5, { input: 'log1p' })).resolves.toBeInstanceOf(Int32Array);
    const error = await gpuHighlyVariableGenes(device, source, 5, { input: 'log1p', rowsPerRead: 16 }).catch((e: unknown) => e);
    expect((error as SourceError).code).toBe('bad-values');
    expect((error as SourceError).message).toMatch(new RegExp(`moments of gene ${x.indices[j]} .*in X overflow float32 on the GPU \\(cells 16–31\\)`));
  });
});
