import { describe, expect, it } from 'vitest';
import type { CsrBlock, DenseBlock } from '../source/types.ts';
import { concatBlocks, gatherRows } from './blocks.ts';

/** A CSR block whose row r holds (r mod nCols, r + 0.5) and ((r + 3) mod nCols, −r) when even. */
function csr(rowIds: readonly number[], nCols: number, wide: boolean): CsrBlock {
  const indptr = new Int32Array(rowIds.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  rowIds.forEach((r, i) => {
    indices.push(r % nCols);
    data.push(r + 0.5);
    if (r % 2 === 0) {
      indices.push((r + 3) % nCols);
      data.push(-r);
    }
    indptr[i + 1] = indices.length;
  });
  return { format: 'csr', nRows: rowIds.length, nCols, indptr, indices: wide ? Int32Array.from(indices) : Uint16Array.from(indices), data: Float32Array.from(data) };
}

const rows = (block: CsrBlock) =>
  Array.from({ length: block.nRows }, (_, i) => {
    const [s, t] = [Number(block.indptr[i]), Number(block.indptr[i + 1])];
    return [Array.from(block.indices.subarray(s, t)), Array.from(block.data.subarray(s, t))];
  });

describe('gatherRows over stacked blocks', () => {
  it('equals gathering from the blocks copied into one, for CSR parts with different index types', () => {
    const parts = [csr([0, 1, 2], 7, false), csr([3, 4, 5, 6, 7], 7, true), csr([], 7, false), csr([8, 9], 7, false)];
    const positions = Uint32Array.from([9, 0, 4, 4, 7, 3, 8, 1]);
    const stacked = gatherRows(parts, positions) as CsrBlock;
    const copied = gatherRows(concatBlocks(parts), positions) as CsrBlock;
    expect(stacked.nRows).toBe(8);
    expect(rows(stacked)).toEqual(rows(copied));
    expect(rows(stacked)[6]).toEqual([[1, 4], [8.5, -8]]); // global row 8: the 4th part's first row
    expect(stacked.indices).toBeInstanceOf(Int32Array);
  });

  it('gathers dense parts and rejects rows past the end and mixed formats', () => {
    const dense = (base: number, n: number): DenseBlock => ({ format: 'dense', nRows: n, nCols: 2, values: Float32Array.from({ length: 2 * n }, (_, i) => base + i) });
    const got = gatherRows([dense(0, 2), dense(100, 1)], Uint32Array.from([2, 0]));
    expect(Array.from((got as DenseBlock).values)).toEqual([100, 101, 0, 1]);
    expect(() => gatherRows([dense(0, 2)], Uint32Array.of(2))).toThrow(/row 2 of 2/);
    expect(() => gatherRows([dense(0, 2), csr([1], 2, false)], Uint32Array.of(0))).toThrow(/dense and sparse/);
  });
});
