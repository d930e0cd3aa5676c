// The loader's in-pool work alone (npm run bench:loader-blocks): per batch, the main-thread path
// (the gather of the batch's CSR rows from a pool's blocks, one per read worker, and their
// densification to the selected genes) next to what a read worker now does instead (denseRows:
// the batch's rows straight from its decoded pool to dense genes, raw or normalised with library
// sizes and raw counts), on a Tahoe-like pool (20,000 genes, ~1,500 non-zeros per cell, uint16
// indices), timed per 50,000 cells. Every batch is fresh memory, as in the loader, so
// the allocator matters: run it also with MALLOC_MMAP_THRESHOLD_=131072 (bench:loader's children's
// setting), where every batch buffer is a new mmap and its pages fault in on first write.
// Prints a table and writes bench-results/loader-blocks.json.
//
//   npm run bench:loader-blocks -- [--pool 16384] [--blocks 2] [--batch 4096] [--genes 2000] [--nnz 1500] [--cells 200000]
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { concatBlocks, densify, gatherRows, geneColumnMap } from '../src/loader/blocks.ts';
import { denseRows } from '../src/loader/dense-batches.ts';
import { createRng, permutation } from '../src/random.ts';
import type { CsrBlock } from '../src/source/types.ts';

const { values } = parseArgs({
  options: {
    pool: { type: 'string', default: '16384' },
    blocks: { type: 'string', default: '2' },
    batch: { type: 'string', default: '4096' },
    genes: { type: 'string', default: '2000' },
    nnz: { type: 'string', default: '1500' },
    cells: { type: 'string', default: '200000' },
  },
});
const [poolRows, nBlocks, batchSize, nGenes, nnzPerRow, totalCells] = ['pool', 'blocks', 'batch', 'genes', 'nnz', 'cells'].map((k) => Number(values[k as keyof typeof values]));
const nVars = 20_000;
const rng = createRng(3);

function randomBlock(nRows: number): CsrBlock {
  const indptr = new Int32Array(nRows + 1);
  for (let i = 0; i < nRows; i++) indptr[i + 1] = indptr[i]! + Math.max(1, Math.round(nnzPerRow * (0.5 + rng.next())));
  const nnz = indptr[nRows]!;
  const indices = new Uint16Array(nnz);
  const data = new Float32Array(nnz);
  for (let i = 0; i < nRows; i++) {
    // sorted distinct columns: a random stride walk over the genes
    const n = indptr[i + 1]! - indptr[i]!;
    let c = 0;
    for (let e = indptr[i]!; e < indptr[i + 1]!; e++) {
      c += 1 + Math.floor(rng.next() * ((2 * (nVars - c)) / (n - (e - indptr[i]!) + 1) - 1));
      indices[e] = Math.min(c, nVars - 1);
      data[e] = 1 + Math.floor(rng.next() * 5);
    }
  }
  return { format: 'csr', nRows, nCols: nVars, indptr, indices, data };
}

const blocks = Array.from({ length: nBlocks }, () => randomBlock(poolRows / nBlocks));
const map = geneColumnMap(nVars, Array.from({ length: nGenes }, (_, j) => Math.floor((j * nVars) / nGenes)));
const order = permutation(poolRows, rng);
const whole = concatBlocks(blocks);
const normalize = { targetSum: 1e4, log1p: true };
let gatherMs = 0;
let densifyMs = 0;
let rawMs = 0;
let normalisedMs = 0;
let cells = 0;
let checksum = 0;
for (let round = 0; cells < totalCells; round++) {
  for (let b = 0; b + batchSize <= poolRows && cells < totalCells; b += batchSize) {
    const positions = Uint32Array.from(order.subarray(b, b + batchSize));
    const t0 = performance.now();
    const X = gatherRows(blocks, positions);
    const t1 = performance.now();
    const dense = densify(X, map, nGenes);
    const t2 = performance.now();
    const raw = denseRows(whole, positions, { geneMap: map, nSelected: nGenes });
    const t3 = performance.now();
    const normalised = denseRows(whole, positions, { geneMap: map, nSelected: nGenes, normalize, counts: true });
    const t4 = performance.now();
    if (round > 0 || b > 0) {
      gatherMs += t1 - t0;
      densifyMs += t2 - t1;
      rawMs += t3 - t2;
      normalisedMs += t4 - t3;
      cells += batchSize;
    }
    checksum += dense[cells % dense.length]! + raw.x[cells % dense.length]! + normalised.x[cells % dense.length]!;
  }
}
const per50k = (ms: number) => (ms * 50_000) / cells / 1000;
console.log(`pool ${poolRows.toLocaleString('en')} rows in ${nBlocks} blocks, batches of ${batchSize}, ${nGenes} of ${nVars.toLocaleString('en')} genes, ~${nnzPerRow} nnz/cell; ${cells.toLocaleString('en')} cells timed (checksum ${checksum}); MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? '(glibc default)'}\n`);
console.log('| step | s per 50k cells | cells/s alone |\n| --- | ---: | ---: |');
const rows = [
  ['gatherRows (main-thread path)', gatherMs],
  ['densify (main-thread path)', densifyMs],
  ['gather + densify', gatherMs + densifyMs],
  ['denseRows, raw (read worker)', rawMs],
  ['denseRows, normalised + counts (read worker)', normalisedMs],
] as const;
for (const [name, ms] of rows) console.log(`| ${name} | ${per50k(ms).toFixed(3)} | ${Math.round((cells * 1000) / ms).toLocaleString('en')} |`);
console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/loader-blocks.json', JSON.stringify({ date: new Date().toISOString(), poolRows, nBlocks, batchSize, nGenes, nnzPerRow, cells, gatherSecondsPer50k: per50k(gatherMs), densifySecondsPer50k: per50k(densifyMs), denseRowsRawSecondsPer50k: per50k(rawMs), denseRowsNormalisedSecondsPer50k: per50k(normalisedMs), mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, loadavg: loadavg() }, null, 2));
