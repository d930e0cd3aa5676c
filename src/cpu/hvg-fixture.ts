// The committed scanpy-formula fixture (fixtures/make_hvg_seurat.py) as CSR pools and expected values.
import fixture from './fixtures/hvg-seurat.json';
import type { CsrBlock } from '../source/types.ts';

const nan = (values: (number | null)[]) => Float64Array.from(values, (v) => v ?? NaN);

function pool(data: number[]): CsrBlock {
  return {
    format: 'csr',
    nRows: fixture.nCells,
    nCols: fixture.nGenes,
    indptr: Int32Array.from(fixture.indptr),
    indices: Uint16Array.from(fixture.indices),
    data: Float32Array.from(data),
  };
}

export const hvgFixture = {
  nTop: fixture.nTop,
  counts: pool(fixture.counts),
  log1pNormalized: pool(fixture.log1pNormalized),
  variance: nan(fixture.variance),
  means: nan(fixture.means),
  dispersions: nan(fixture.dispersions),
  dispersionsNorm: nan(fixture.dispersionsNorm),
  highlyVariable: Int32Array.from(fixture.highlyVariable),
};
