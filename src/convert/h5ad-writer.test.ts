// The .h5ad the app hands back to scanpy, read by real anndata (Debian's python3-anndata 0.8).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anndataMissing, python } from '../../test/anndata-python.ts';
import { writeH5ad } from './h5ad-writer.ts';


const dir = await mkdtemp(join(tmpdir(), 'trvae-h5ad-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(anndataMissing)(`h5ad writer, read back by anndata${anndataMissing ? ` — skipped: ${anndataMissing}` : ''}`, () => {
  it('obs (categorical, string with a missing value, numeric), obsm embeddings and a dense X with var names', async () => {
    const h5 = (await import('h5wasm/node')).default;
    await h5.ready;
    const path = join(dir, 'results.h5ad');
    const mu = Float32Array.from({ length: 4 * 3 }, (_, i) => i / 7 - 0.5);
    const mmd = Float32Array.from({ length: 4 * 2 }, (_, i) => i * 1.25);
    writeH5ad(h5, path, {
      obsNames: ['cell0', 'cell1', 'cell2', 'cell3'],
      obs: [
        { name: 'cell_type', values: { kind: 'categorical', codes: Int32Array.from([0, 1, 1, -1]), categories: ['NK', 'B cell'] } },
        { name: 'note', values: { kind: 'string', values: ['a', null, 'ü', 'd'] } },
        { name: 'score', values: { kind: 'numeric', values: Float64Array.from([0.5, 1.5, -2, 1e-300]) } },
      ],
      varNames: ['g1', 'g2'],
      X: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      obsm: { X_trvae: { values: mu, width: 3 }, X_trvae_mmd: { values: mmd, width: 2 } },
    });
    const script = `
import anndata, json, sys
a = anndata.read_h5ad(sys.argv[1])
print(json.dumps({
  "shape": list(a.shape), "obs_names": list(a.obs_names), "var_names": list(a.var_names),
  "cell_type": list(a.obs["cell_type"]), "note": list(a.obs["note"]), "score": [float(v) for v in a.obs["score"]],
  "X": a.X.tolist(), "obsm": {k: a.obsm[k].tolist() for k in a.obsm}, "dtype": str(a.obsm["X_trvae"].dtype),
}))`;
    const read = JSON.parse(execFileSync(python, ['-c', script, path], { encoding: 'utf8' }));
    expect(read.shape).toEqual([4, 2]);
    expect(read.obs_names).toEqual(['cell0', 'cell1', 'cell2', 'cell3']);
    expect(read.var_names).toEqual(['g1', 'g2']);
    expect(read.cell_type).toEqual(['NK', 'B cell', 'B cell', '']);
    expect(read.note).toEqual(['a', '', 'ü', 'd']);
    expect(read.score).toEqual([0.5, 1.5, -2, 1e-300]);
    expect(read.X).toEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(read.dtype).toBe('float32');
    expect(read.obsm.X_trvae.flat()).toEqual(Array.from(mu));
    expect(read.obsm.X_trvae_mmd.flat()).toEqual(Array.from(mmd));
  });

  it('an AnnData without X or var columns (obs and embeddings only)', async () => {
    const h5 = (await import('h5wasm/node')).default;
    await h5.ready;
    const path = join(dir, 'obs-only.h5ad');
    writeH5ad(h5, path, { obsNames: ['a', 'b'], obs: [], obsm: { X_trvae: { values: Float32Array.from([1, 2, 3, 4]), width: 2 } } });
    const read = JSON.parse(execFileSync(python, ['-c', 'import anndata, json, sys; a = anndata.read_h5ad(sys.argv[1]); print(json.dumps([list(a.shape), a.X is None, a.obsm["X_trvae"].tolist()]))', path], { encoding: 'utf8' }));
    expect(read).toEqual([[2, 0], true, [[1, 2], [3, 4]]]);
  });
});
