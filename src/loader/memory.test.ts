// In-memory mode with selected genes: the same counts written once as CSR and once as a dense
// array must give identical batches, equal to what the source reads for the batch's row ids.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAnnDataGroup, type AnnDataInput } from '../convert/anndata-writer.ts';
import { directorySink } from '../convert/sink.ts';
import { syntheticAnnData, syntheticRows } from '../convert/synthetic.ts';
import { writeConsolidatedRoot, type NodeMetadata } from '../convert/zarr-v3.ts';
import { openSource } from '../source/index.ts';
import type { AnnDataSource, DenseBlock } from '../source/types.ts';
import { densify } from './blocks.ts';
import { openLoader, type LoaderBatch } from './loader.ts';
import { estimateMemoryBytes } from './memory.ts';
import { allRows } from './selection.ts';

const nObs = 400;
const nVars = 60;
const synthetic = { nObs, nVars, nnzPerRow: 12, seed: 5 };
const genes = [7, 59, 0, 31, 2];
let root: string;
let csr: AnnDataSource;
let dense: AnnDataSource;

async function write(path: string, data: AnnDataInput): Promise<void> {
  const nodes: NodeMetadata = new Map();
  await writeAnnDataGroup(await directorySink(path), nodes, '', data, { layout: { chunkRows: 16, shardBytes: 16 * 1024 } });
  await writeConsolidatedRoot(await directorySink(path), nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trvae-memory-'));
  await write(join(root, 'csr.zarr'), syntheticAnnData(synthetic));
  const identity = Int32Array.from({ length: nVars }, (_, i) => i);
  const denseX = {
    encoding: 'array' as const,
    blocks: (async function* (): AsyncGenerator<DenseBlock> {
      for (let s = 0; s < nObs; s += 100) yield { format: 'dense', nRows: 100, nCols: nVars, values: densify(syntheticRows(synthetic, s, s + 100), identity, nVars) };
    })(),
  };
  await write(join(root, 'dense.zarr'), { ...syntheticAnnData(synthetic), X: denseX });
  csr = await openSource({ path: join(root, 'csr.zarr') });
  dense = await openSource({ path: join(root, 'dense.zarr') });
});

afterAll(async () => {
  await csr?.close();
  await dense?.close();
  await rm(root, { recursive: true, force: true });
});

async function collect(source: AnnDataSource, inMemory: boolean): Promise<LoaderBatch[]> {
  const loader = await openLoader(source, { batchSize: 32, chunkSize: 16, preloadNChunks: 4, seed: 2, genes, inMemory });
  const out: LoaderBatch[] = [];
  for await (const b of loader.epoch(0)) out.push(b);
  return out;
}

async function expectGenesMatchSource(source: AnnDataSource, batches: LoaderBatch[]): Promise<void> {
  const all = densify((await source.readRows([{ start: 0, end: nObs }])).block, Int32Array.from({ length: nVars }, (_, i) => i), nVars);
  expect(batches.length).toBeGreaterThan(0);
  for (const b of batches) {
    expect(b.dense!.length).toBe(b.rows!.length * genes.length);
    const expected = Array.from(b.rows!).flatMap((row) => genes.map((g) => all[row * nVars + g]!));
    expect(Array.from(b.dense!)).toEqual(expected);
  }
}

describe('in-memory loading with selected genes', () => {
  it('the stores hold the same counts, one as CSR and one dense', () => {
    expect(csr.X.encoding).toBe('csr_matrix');
    expect(dense.X.encoding).toBe('array');
  });

  for (const inMemory of [false, true]) {
    it(`dense and CSR X give the same selected-gene batches as the source reads (inMemory: ${inMemory})`, async () => {
      const fromCsr = await collect(csr, inMemory);
      const fromDense = await collect(dense, inMemory);
      await expectGenesMatchSource(csr, fromCsr);
      await expectGenesMatchSource(dense, fromDense);
      expect(fromDense.map((b) => Array.from(b.dense!))).toEqual(fromCsr.map((b) => Array.from(b.dense!)));
    });
  }

  it('in memory, X of a batch holds only the selected genes for dense and CSR alike', async () => {
    const [fromCsr, fromDense] = [await collect(csr, true), await collect(dense, true)];
    expect(fromCsr[0]!.X!.nCols).toBe(genes.length);
    expect(fromDense[0]!.X!.nCols).toBe(genes.length);
    expect(Array.from((fromDense[0]!.X as DenseBlock).values)).toEqual(Array.from(fromDense[0]!.dense!));
  });

  it('the memory estimate of dense X counts every selected value, and the full width without genes', () => {
    const selection = allRows(nObs);
    expect(estimateMemoryBytes({ source: dense, selection, nGenes: genes.length })).toBe(nObs * genes.length * 4);
    expect(estimateMemoryBytes({ source: dense, selection })).toBe(nObs * nVars * 4);
  });
});
