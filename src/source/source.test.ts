// Every container of the same AnnData reads back value for value what anndata itself read.

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { blockToDense, expectedCsrRows, expectedDenseRows, expectedToPlain, fixturesDir, obsToPlain, type Expected } from '../../test/fixtures/expected.ts';
import { lzfDecompress } from './h5-chunks.ts';
import { openSource, type AnnDataSource, type RowRun } from './index.ts';

const fixture = (name: string) => new URL(`anndata/${name}`, fixturesDir).pathname;
const load = (name: string) => JSON.parse(readFileSync(fixture(`${name}.expected.json`), 'utf8')) as Expected;
const csr = load('small-csr');
const dense = load('small-dense');
const servers = inject('fixtureServers');

const opened: AnnDataSource[] = [];
async function open(input: string): Promise<AnnDataSource> {
  const pieces = input.endsWith('#pieces');
  const source = await openSource(input.replace(/#pieces$/, ''), pieces ? { maxReadBytes: 40 } : {});
  opened.push(source);
  return source;
}
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

const csrContainers = {
  'h5ad (uncompressed)': () => fixture('small-csr.h5ad'),
  'h5ad (gzip)': () => fixture('small-csr.gzip.h5ad'),
  'h5ad (lzf, decoded from the file bytes)': () => fixture('small-csr.lzf.h5ad'),
  'h5ad read in pieces of at most 40 bytes': () => `${fixture('small-csr.h5ad')}#pieces`,
  'zarr v2 directory (consolidated, blosc/zstd/gzip/zlib)': () => fixture('small-csr.zarr'),
  'zarr v2 over HTTP': () => `${servers.ok}/anndata/small-csr.zarr`,
  'zarr v3 sharded directory (project writer)': () => fixture('small-csr.v3.zarr'),
  'zarr v3 sharded over HTTP (range requests)': () => `${servers.ok}/anndata/small-csr.v3.zarr`,
};
// The project's writer stores indices in the smallest dtype and writes no layers.
const writtenByProject = (where: string) => where.includes('.v3.zarr');

const runSets: RowRun[][] = [
  [{ start: 0, end: 50 }],
  [{ start: 3, end: 4 }],
  [
    { start: 1, end: 5 },
    { start: 6, end: 8 }, // rows 6 and 7 are empty
    { start: 17, end: 18 },
    { start: 40, end: 49 },
  ],
  [{ start: 12, end: 12 }],
  [],
];

describe.each(Object.entries(csrContainers))('CSR AnnData from %s', (_, where) => {
  it('describes X, layers, obs and var like anndata', async () => {
    const source = await open(where());
    expect(source.nObs).toBe(csr.n_obs);
    expect(source.nVars).toBe(csr.n_vars);
    const v3 = writtenByProject(where());
    expect(source.X).toEqual({ encoding: 'csr_matrix', dtype: 'float32', shape: [50, 30], nnz: csr.X.nnz, indexDtype: v3 ? 'uint16' : 'int32' });
    if (!v3) expect(source.layers.counts).toMatchObject({ encoding: 'csr_matrix', dtype: 'int32', nnz: csr.layers.counts!.nnz });
    expect(await source.obsNames!()).toEqual(csr.obs_names);
    expect(await source.varNames()).toEqual(csr.var_names);
    const byName = Object.fromEntries(source.obsColumns.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(Object.keys(csr.obs));
    for (const [name, column] of Object.entries(csr.obs)) {
      expect(byName[name]!.kind, name).toBe(column.kind);
      if (column.kind === 'categorical') {
        expect(byName[name]).toMatchObject({ categories: column.categories, counts: column.counts, nullable: true });
        // ObsValues carries no 'ordered', so the project's writer cannot keep it.
        if (!v3) expect(byName[name]!.ordered, name).toBe(column.ordered);
      }
    }
    expect(byName.batch_id).toMatchObject({ encoding: 'nullable-integer', nullable: true });
    expect(byName.passed_qc).toMatchObject({ encoding: 'nullable-boolean', kind: 'boolean' });
    expect(byName.is_doublet).toMatchObject({ kind: 'boolean', dtype: 'bool' });
    expect(byName.barcode).toMatchObject({ encoding: 'string-array', kind: 'string' });
  });

  it('reads every obs column whole, with missing values where anndata has them', async () => {
    const source = await open(where());
    for (const [name, column] of Object.entries(csr.obs)) {
      expect(obsToPlain(await source.readObs(name)), name).toEqual(expectedToPlain(column));
    }
  });

  it.each(runSets.map((runs) => [JSON.stringify(runs), runs] as const))('reads rows %s of X and of the counts layer as CSR', async (_, runs) => {
    const source = await open(where());
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type', 'score', 'barcode', 'passed_qc'] });
    expect(block.format).toBe('csr');
    if (block.format !== 'csr') return;
    const want = expectedCsrRows(csr.X, runs);
    expect(Array.from(block.indptr)).toEqual(want.indptr);
    expect(Array.from(block.indices)).toEqual(want.indices);
    expect(block.indices).toBeInstanceOf(writtenByProject(where()) ? Uint16Array : Int32Array);
    expect(block.data).toBeInstanceOf(Float32Array);
    expect(Array.from(block.data)).toEqual(want.data.map((v) => Math.fround(v)));
    for (const name of ['cell_type', 'score', 'barcode', 'passed_qc']) {
      expect(obsToPlain(obs[name]!), name).toEqual(expectedToPlain(csr.obs[name]!, runs));
    }
    if (writtenByProject(where())) return;
    const counts = await source.readRows(runs, { layer: 'counts' });
    expect(blockToDense(counts.block)).toEqual(expectedDenseRows(csr.layers.counts!, runs));
  });

  it('rejects bad runs, unknown layers and unknown columns with clear errors', async () => {
    const source = await open(where());
    await expect(source.readRows([{ start: 5, end: 3 }])).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(source.readRows([{ start: 10, end: 20 }, { start: 15, end: 30 }])).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(source.readRows([{ start: 45, end: 51 }])).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(source.readRows([{ start: 0, end: 1 }], { layer: 'spliced' })).rejects.toThrow(/no layer 'spliced'/);
    await expect(source.readObs('nope')).rejects.toThrow(/no obs column 'nope'/);
  });
});

describe.each([
  ['h5ad', () => fixture('small-dense.h5ad')],
  ['h5ad (lzf + shuffle + fletcher32, 2-D chunks of 5 × 5)', () => fixture('small-dense.lzf.h5ad')],
  ['h5ad (lzf) behind a 512-byte user block', () => fixture('small-dense.lzf-userblock.h5ad')],
  ['zarr v2 directory (not consolidated, row chunks of 5)', () => fixture('small-dense.zarr')],
  ['zarr v2 over HTTP (not consolidated)', () => `${servers.ok}/anndata/small-dense.zarr`],
])('dense AnnData from %s', (_, where) => {
  it('reads rows as a dense float32 block and the float64 counts layer', async () => {
    const source = await open(where());
    expect(source.X).toEqual({ encoding: 'array', dtype: 'float32', shape: [24, 12] });
    expect(source.layers.counts).toMatchObject({ encoding: 'array', dtype: 'float64' });
    const runs = [
      { start: 0, end: 2 },
      { start: 4, end: 11 },
      { start: 23, end: 24 },
    ];
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type'] });
    expect(block.format).toBe('dense');
    expect(blockToDense(block)).toEqual(expectedDenseRows(dense.X, runs).map((v) => Math.fround(v)));
    expect(obsToPlain(obs.cell_type!)).toEqual(expectedToPlain(dense.obs.cell_type!, runs));
    const counts = await source.readRows(runs, { layer: 'counts' });
    expect(blockToDense(counts.block)).toEqual(expectedDenseRows(dense.layers.counts!, runs));
  });
});

describe.each([
  ['directory', () => fixture('small-csr.collection.zarr')],
  ['HTTP', () => `${servers.ok}/anndata/small-csr.collection.zarr`],
])('annbatch pre-shuffled collection from %s', (_, where) => {
  it('reads dataset_0…N as one source whose rows are the shuffled cells of the original', async () => {
    const source = await open(where());
    expect(source.nObs).toBe(50);
    expect(source.X).toMatchObject({ encoding: 'csr_matrix', shape: [50, 30], nnz: csr.X.nnz });
    const names = await source.obsNames!();
    const original = names.map((n) => csr.obs_names.indexOf(n));
    expect([...original].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(original).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const cellType = source.obsColumns.find((c) => c.name === 'cell_type')!;
    expect(cellType.counts).toEqual(cellType.categories!.map((c) => csr.obs.cell_type!.kind === 'categorical' ? csr.obs.cell_type!.counts[csr.obs.cell_type!.categories.indexOf(c)] : 0));

    // Runs that cross the dataset boundary; compare each row with the original row it came from.
    const runs = [{ start: 2, end: 9 }, { start: 20, end: 31 }, { start: 44, end: 50 }];
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type', 'barcode'] });
    expect(exactDense(await source.readExactRows!(runs))).toEqual(blockToDense(block));
    const rows = runs.flatMap((r) => Array.from({ length: r.end - r.start }, (_, i) => original[r.start + i]!));
    expect(blockToDense(block)).toEqual(expectedDenseRows(csr.X, rows.map((r) => ({ start: r, end: r + 1 }))).map((v) => Math.fround(v)));
    const types = obs.cell_type!;
    const expectedTypes = csr.obs.cell_type!;
    if (types.kind !== 'categorical' || expectedTypes.kind !== 'categorical') throw new Error('cell_type should be categorical');
    expect(Array.from(types.codes, (c) => (c < 0 ? null : types.categories[c]))).toEqual(rows.map((r) => (expectedTypes.codes[r]! < 0 ? null : expectedTypes.categories[expectedTypes.codes[r]!])));
    const barcodes = csr.obs.barcode!;
    if (barcodes.kind !== 'string') throw new Error('barcode should be strings');
    expect(obs.barcode).toEqual({ kind: 'string', values: rows.map((r) => barcodes.values[r]) });
  });
});

describe('zarr v3 without consolidated metadata', () => {
  it('reads node by node, over HTTP and from a directory', async () => {
    const { cpSync, mkdtempSync, readFileSync: read, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { startStaticServer } = await import('../server/static-server.ts');
    const dir = mkdtempSync(`${tmpdir()}/v3-`);
    const store = `${dir}/plain.zarr`;
    cpSync(fixture('small-csr.v3.zarr'), store, { recursive: true });
    const root = JSON.parse(read(`${store}/zarr.json`, 'utf8'));
    delete root.consolidated_metadata;
    writeFileSync(`${store}/zarr.json`, JSON.stringify(root));
    const server = await startStaticServer(dir);
    try {
      for (const input of [store, `${server.url}/plain.zarr`]) {
        const source = await open(input);
        const runs = [{ start: 5, end: 9 }, { start: 30, end: 44 }];
        const { block, obs } = await source.readRows(runs, { obs: ['cell_type'] });
        expect(blockToDense(block)).toEqual(expectedDenseRows(csr.X, runs).map((v) => Math.fround(v)));
        expect(obsToPlain(obs.cell_type!)).toEqual(expectedToPlain(csr.obs.cell_type!, runs));
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('encodings that need care', () => {
  it.each([fixture('small-csc.h5ad'), fixture('small-csc.zarr')])('detects csc_matrix X in %s and says how to convert it', async (path) => {
    const source = await open(path);
    expect(source.X.encoding).toBe('csc_matrix');
    await expect(source.readRows([{ start: 0, end: 2 }])).rejects.toMatchObject({ code: 'encoding', message: expect.stringContaining('adata.X = adata.X.tocsr()') });
  });

  it('reads h5py\'s lzf filter, which h5wasm lacks, from the file bytes', async () => {
    const source = await open(fixture('small-lzf.h5ad'));
    expect(await source.varNames()).toEqual(csr.var_names);
    const runs = [{ start: 1, end: 3 }, { start: 5, end: 8 }];
    const { block } = await source.readRows(runs);
    expect(blockToDense(block)).toEqual(expectedDenseRows(csr.X, runs).map((v) => Math.fround(v)));
  });

  it.each(['legacy-categorical.zarr', 'legacy-categorical.h5ad'])('reads the categorical layout of anndata < 0.8 (%s)', async (name) => {
    const source = await open(fixture(name));
    expect(source.obsColumns[0]).toMatchObject({ name: 'cell_type', kind: 'categorical', categories: ['B', 'T'], counts: [1, 2] });
    expect(obsToPlain(await source.readObs('cell_type'))).toEqual({ kind: 'categorical', codes: [1, 0, -1, 1], categories: ['B', 'T'] });
  });

  it('refuses a remote .h5ad and a path that is not there', async () => {
    await expect(openSource(`${servers.ok}/anndata/small-csr.h5ad`)).rejects.toMatchObject({ code: 'encoding', message: expect.stringContaining('write_zarr') });
    await expect(openSource(fixture('absent.zarr'))).rejects.toMatchObject({ code: 'not-found' });
  });
});

// Encodings of anndata 0.11–0.14 (written by scripts/make-fixtures-modern.py following anndata's spec).
interface ModernExpected {
  obs_names: string[];
  var_names: string[];
  X: { values: (number | string)[] };
  layers: { counts: { values: (number | string)[] } };
  half: { values: number[] };
  obs: Record<string, { kind: string; values?: (string | null)[]; categories?: string[]; codes?: number[]; counts?: number[] }>;
  unreadable: string[];
}
const modern = JSON.parse(readFileSync(fixture('modern.expected.json'), 'utf8')) as ModernExpected;
/** 'nan', 'inf', '-inf' and int64 digits, as the generator spells what JSON cannot hold. */
const exactValue = (v: number | string): number | bigint => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : BigInt(v));
const exactDense = (block: import('./types.ts').ExactRowBlock): (number | bigint)[] => {
  if (block.format === 'dense') return Array.from(block.values as ArrayLike<number | bigint>);
  const out = new Array<number | bigint>(block.nRows * block.nCols).fill(0);
  const data = block.data as ArrayLike<number | bigint>;
  for (let r = 0; r < block.nRows; r++) for (let k = block.indptr[r]!; k < block.indptr[r + 1]!; k++) out[r * block.nCols + block.indices[k]!] = data[k]!;
  return out;
};

describe.each([
  ['h5ad (h5py)', () => fixture('modern.h5ad')],
  ['zarr v2 (zarr 2.13)', () => fixture('modern.zarr')],
  ['zarr v2 over HTTP', () => `${servers.ok}/anndata/modern.zarr`],
  ['zarr v3 (hand-written metadata, vlen-utf8 strings)', () => fixture('modern.v3.zarr')],
  ['a zip of the zarr v2 folder (the store one level down)', () => fixture('modern.zarr.zip')],
])('anndata 0.11–0.14 encodings from %s', (_, where) => {
  it('reads nullable-string-array index, columns and categories, and numeric and boolean categories', async () => {
    const source = await open(where());
    expect(await source.obsNames!()).toEqual(modern.obs_names);
    expect(await source.varNames()).toEqual(modern.var_names);
    const byName = Object.fromEntries(source.obsColumns.map((c) => [c.name, c]));
    expect(byName.donor).toMatchObject({ kind: 'string', encoding: 'nullable-string-array', nullable: true });
    expect(await source.readObs('donor')).toEqual({ kind: 'string', values: modern.obs.donor!.values });
    for (const name of ['cell_type', 'n_cat', 'dose', 'flag']) {
      const want = modern.obs[name]!;
      expect(byName[name], name).toMatchObject({ kind: 'categorical', categories: want.categories, counts: want.counts });
      expect(obsToPlain(await source.readObs(name)), name).toEqual({ kind: 'categorical', codes: want.codes, categories: want.categories });
    }
    const { obs } = await source.readRows([{ start: 1, end: 3 }, { start: 4, end: 6 }], { obs: ['donor', 'n_cat'] });
    expect(obs.donor).toEqual({ kind: 'string', values: [1, 2, 4, 5].map((i) => modern.obs.donor!.values![i]) });
    expect(obsToPlain(obs.n_cat!)).toMatchObject({ codes: [1, 2, 4, 5].map((i) => modern.obs.n_cat!.codes![i]) });
  });

  it('opens despite a column it cannot read, reports it, and fails only when it is used', async () => {
    const source = await open(where());
    expect(source.obsColumns.map((c) => c.name)).not.toContain('ragged');
    expect(source.unreadableObsColumns).toEqual([{ name: 'ragged', encoding: 'awkward-array', reason: expect.stringContaining("'awkward-array'") }]);
    await expect(source.readObs('ragged')).rejects.toMatchObject({ code: 'encoding', message: expect.stringMatching(/obs column 'ragged' cannot be read/) });
    await expect(source.readRows([{ start: 0, end: 1 }], { obs: ['ragged'] })).rejects.toMatchObject({ code: 'encoding' });
  });

  it('reads float64 X and an int64 layer exactly (NaN, ±Inf, 1e-300, 2^53 + 1), and float32 where rounded', async () => {
    const source = await open(where());
    expect(source.X).toMatchObject({ encoding: 'array', dtype: 'float64' });
    const x = await source.readExactRows!([{ start: 0, end: 6 }]);
    expect(x.format === 'dense' && x.values).toBeInstanceOf(Float64Array);
    expect(exactDense(x)).toEqual(modern.X.values.map(exactValue));
    const counts = await source.readExactRows!([{ start: 0, end: 2 }, { start: 3, end: 6 }], { layer: 'counts' });
    expect(counts.format === 'csr' && counts.data).toBeInstanceOf(BigInt64Array);
    const rows = [0, 1, 3, 4, 5].flatMap((r) => modern.layers.counts.values.slice(r * 4, r * 4 + 4));
    expect(exactDense(counts).map(Number)).toEqual(rows.map((v) => Number(exactValue(v))));
    expect(exactDense(counts)[3]).toBe(2n ** 53n + 1n);
    const rounded = await source.readRows([{ start: 0, end: 6 }]);
    expect(blockToDense(rounded.block)).toEqual(modern.X.values.map((v) => Math.fround(Number(exactValue(v)))));
  });
});

describe('the lzf decoder', () => {
  // "abc" as a literal run (control 2), then a back reference of 6 bytes to 3 bytes back: 0x80 = (6 − 2) << 5, 0x02 = 3 − 1.
  const abc = Uint8Array.of(2, 0x61, 0x62, 0x63, 0x80, 0x02);
  it('decodes literal runs and overlapping back references', () => {
    expect(new TextDecoder().decode(lzfDecompress(abc, 9, 'x'))).toBe('abcabcabc');
  });
  it.each([
    ['a reference before the start', Uint8Array.of(0, 0x61, 0x20, 0x05)],
    ['more output than the chunk holds', abc],
    ['a literal run cut short', Uint8Array.of(5, 0x61, 0x62)],
  ])('refuses %s as a damaged chunk', (_, bytes) => {
    expect(() => lzfDecompress(bytes, 6, 'f.h5ad: X/data')).toThrow(expect.objectContaining({ code: 'corrupt', message: expect.stringContaining('f.h5ad: X/data') }));
  });
  it('refuses a chunk that decodes short', () => {
    expect(() => lzfDecompress(abc, 12, 'f.h5ad: X/data')).toThrow(/decodes to 9 bytes instead of 12/);
  });
});

describe('files of other writers and eras', () => {
  it.each(['half.h5ad', 'half.zarr'])('reads a float16 X as float32 (%s)', async (name) => {
    const source = await open(fixture(name));
    expect(source.X).toMatchObject({ encoding: 'csr_matrix', dtype: 'float16' });
    const { block } = await source.readRows([{ start: 0, end: 6 }]);
    expect(block.format === 'csr' && block.data).toBeInstanceOf(Float32Array);
    expect(blockToDense(block)).toEqual(modern.half.values);
  });

  it.each([
    ['a file', () => fixture('small-csr.zarr.zip')],
    ['a URL (range reads)', () => `${servers.ok}/anndata/small-csr.zarr.zip`],
  ])('reads a zipped zarr store (anndata write_zarr into zarr.ZipStore) from %s', async (_, where) => {
    const source = await open(where());
    expect(source.X).toMatchObject({ encoding: 'csr_matrix', shape: [50, 30], nnz: csr.X.nnz });
    expect(await source.obsNames!()).toEqual(csr.obs_names);
    const runs = [{ start: 3, end: 9 }, { start: 40, end: 50 }];
    const { block, obs } = await source.readRows(runs, { obs: ['cell_type', 'batch_id'] });
    expect(blockToDense(block)).toEqual(expectedDenseRows(csr.X, runs).map((v) => Math.fround(v)));
    expect(obsToPlain(obs.cell_type!)).toEqual(expectedToPlain(csr.obs.cell_type!, runs));
    expect(obsToPlain(obs.batch_id!)).toEqual(expectedToPlain(csr.obs.batch_id!, runs));
  });

  it('says an HDF5 file without AnnData is not an AnnData file, and a damaged one is damaged', async () => {
    await expect(openSource(new URL('malformed/not-anndata.h5ad', fixturesDir).pathname)).rejects.toMatchObject({ code: 'malformed', message: expect.stringMatching(/not-anndata.h5ad is not an AnnData file/) });
    await expect(openSource(new URL('malformed/flipped-metadata.h5ad', fixturesDir).pathname)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/flipped-metadata.h5ad is damaged: .*HDF5 aborted/) });
    // The module survives: the next file opens and reads.
    const source = await open(fixture('small-dense.h5ad'));
    expect((await source.readRows([{ start: 0, end: 1 }])).block.nRows).toBe(1);
  });
});
