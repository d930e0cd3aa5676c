// Round trip: convert real anndata-written fixtures (h5ad, zarr v2; csr, csc, dense; every obs
// kind; a layer) to our zarr v3 store, read the result back with the project's reader, compare.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSource } from '../source/index.ts';
import type { AnnDataSource, CsrBlock, ObsValues, RowBlock } from '../source/types.ts';
import { main } from '../cli/main.ts';
import { convertAnnData } from './convert.ts';
import { directorySink } from './sink.ts';

const fixtures = 'test/fixtures/anndata';
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trvae-convert-'));
  dirs.push(d);
  return d;
}

function denseRows(block: RowBlock): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < block.nRows; i++) {
    const row = new Array<number>(block.nCols).fill(0);
    if (block.format === 'dense') for (let j = 0; j < block.nCols; j++) row[j] = block.values[i * block.nCols + j]!;
    else for (let e = Number(block.indptr[i]); e < Number(block.indptr[i + 1]); e++) row[(block as CsrBlock).indices[e]!] = block.data[e]!;
    rows.push(row);
  }
  return rows;
}

async function everything(source: AnnDataSource, order?: number[]) {
  const all = [{ start: 0, end: source.nObs }];
  const X = denseRows((await source.readRows(all)).block);
  const layers = Object.fromEntries(await Promise.all(Object.keys(source.layers).map(async (l) => [l, denseRows((await source.readRows(all, { layer: l })).block)])));
  const obs: Record<string, ObsValues> = Object.fromEntries(await Promise.all(source.obsColumns.map(async (c) => [c.name, await source.readObs(c.name)] as const)));
  const pick = <T>(a: T[]) => (order ? order.map((i) => a[i]!) : a);
  return {
    nObs: source.nObs,
    nVars: source.nVars,
    varNames: await source.varNames(),
    obsNames: pick(await source.obsNames!()),
    X: pick(X),
    layers: Object.fromEntries(Object.entries(layers).map(([k, v]) => [k, pick(v as number[][])])),
    obsColumns: source.obsColumns.map((c) => [c.name, c.kind, c.categories]),
    obs: Object.fromEntries(
      Object.entries(obs).map(([k, v]) => {
        const values = v.kind === 'categorical' ? Array.from(v.codes) : v.kind === 'string' ? [...v.values] : v.mask ? Array.from(v.values, (x, i) => (v.mask![i] ? null : x)) : Array.from(v.values);
        return [k, pick(values as unknown[])];
      }),
    ),
  };
}

describe('convert', () => {
  for (const name of ['small-csr.h5ad', 'small-csr.zarr', 'small-dense.zarr']) {
    it(`${name} → zarr v3 reads back equal (in order and pre-shuffled)`, async () => {
      const source = await openSource(join(fixtures, name));
      const expected = await everything(source);
      for (const shuffle of [false, true]) {
        const dst = join(await tempDir(), 'out.zarr');
        const summary = await convertAnnData(source, await directorySink(dst), { shuffle, seed: 5, shuffleRunRows: 7, datasetBytes: 600, layout: { chunkRows: 4, shardBytes: 512 } });
        if (shuffle) expect(summary.datasets).toBeGreaterThan(1);
        const back = await openSource(dst);
        // the pre-shuffled collection holds the same cells in another order: realign by obs name
        const names = await back.obsNames!();
        const order = shuffle ? expected.obsNames.map((n) => names.indexOf(n)) : undefined;
        if (shuffle) expect(names).not.toEqual(expected.obsNames);
        expect(await everything(back, order)).toEqual(expected);
        await back.close();
      }
      await source.close();
    });
  }

  it('a source the reader cannot read by rows (csc X) fails before anything is written', async () => {
    const dst = join(await tempDir(), 'csc.zarr');
    expect(await main(['convert', join(fixtures, 'small-csc.zarr'), dst])).toBe(1);
    expect(await readdir(join(dst, '..'))).toEqual([]);
  });

  it('the CLI refuses a non-empty destination and an unreadable source without writing anything', async () => {
    const dir = await tempDir();
    const code = await main(['convert', join(fixtures, 'small-csr.h5ad'), dir]);
    expect(code).toBe(0);
    expect(await main(['convert', join(fixtures, 'small-csr.h5ad'), dir])).toBe(1);
    const bad = join(await tempDir(), 'bad.zarr');
    expect(await main(['convert', 'test/fixtures/malformed/wrong-encoding.zarr', bad])).toBe(1);
    expect(await readdir(join(bad, '..'))).toEqual([]);
  });
});
