// Row-block operations: runs from rows, concatenation, row gathers and densification.
import type { CsrBlock, DenseBlock, ObsValues, RowBlock, RowRun } from '../source/types.ts';

/** Sorted unique rows → maximal runs of consecutive rows. */
export function rowsToRuns(rows: Uint32Array): RowRun[] {
  const runs: RowRun[] = [];
  let i = 0;
  while (i < rows.length) {
    const start = rows[i]!;
    let end = start + 1;
    i++;
    while (i < rows.length && rows[i] === end) {
      end++;
      i++;
    }
    runs.push({ start, end });
  }
  return runs;
}

export function blockBytes(block: RowBlock): number {
  return block.format === 'csr' ? block.indptr.byteLength + block.indices.byteLength + block.data.byteLength : block.values.byteLength;
}

function indptrFor(nnz: number, length: number): Int32Array | Float64Array {
  return nnz < 2 ** 31 ? new Int32Array(length) : new Float64Array(length);
}

function sameIndexType(blocks: readonly CsrBlock[], nnz: number): CsrBlock['indices'] {
  const first = blocks[0]!.indices;
  if (blocks.every((b) => b.indices.constructor === first.constructor)) {
    return new (first.constructor as Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor)(nnz);
  }
  return new Int32Array(nnz);
}

/** Blocks of the same columns stacked vertically (results of several readers, in order). */
export function concatBlocks(blocks: readonly RowBlock[]): RowBlock {
  if (blocks.length === 1) return blocks[0]!;
  const nRows = blocks.reduce((n, b) => n + b.nRows, 0);
  const nCols = blocks[0]!.nCols;
  if (blocks.every((b): b is DenseBlock => b.format === 'dense')) {
    const values = new Float32Array(nRows * nCols);
    let o = 0;
    for (const b of blocks) {
      values.set(b.values, o);
      o += b.values.length;
    }
    return { format: 'dense', nRows, nCols, values };
  }
  if (!blocks.every((b): b is CsrBlock => b.format === 'csr')) throw new TypeError('cannot stack dense and sparse blocks');
  const csr = blocks as readonly CsrBlock[];
  const nnz = csr.reduce((n, b) => n + Number(b.indptr[b.nRows]), 0);
  const indptr = indptrFor(nnz, nRows + 1);
  const indices = sameIndexType(csr, nnz);
  const data = new Float32Array(nnz);
  let r = 0;
  let e = 0;
  for (const b of csr) {
    const bn = Number(b.indptr[b.nRows]);
    for (let i = 1; i <= b.nRows; i++) indptr[r + i] = e + Number(b.indptr[i]);
    indices.set(b.indices.subarray(0, bn), e);
    data.set(b.data.subarray(0, bn), e);
    r += b.nRows;
    e += bn;
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}

/** The rows at `positions` (in that order) of a block, or of blocks stacked vertically. */
export function gatherRows(source: RowBlock | readonly RowBlock[], positions: Uint32Array): RowBlock {
  const blocks: readonly RowBlock[] = 'format' in source ? [source] : source;
  if (blocks.length === 0) throw new RangeError('gatherRows: no blocks');
  // (block, row in block) of every position
  const part = new Uint8Array(positions.length);
  const local = new Uint32Array(positions.length);
  const starts = [0];
  for (const b of blocks) starts.push(starts[starts.length - 1]! + b.nRows);
  if (blocks.length > 255) throw new RangeError('gatherRows: at most 255 stacked blocks');
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    if (p >= starts[blocks.length]!) throw new RangeError(`gatherRows: row ${p} of ${starts[blocks.length]}`);
    let k = 0;
    while (p >= starts[k + 1]!) k++;
    part[i] = k;
    local[i] = p - starts[k]!;
  }
  const n = positions.length;
  const first = blocks[0]!;
  if (blocks.every((b): b is DenseBlock => b.format === 'dense')) {
    const nCols = first.nCols;
    const values = new Float32Array(n * nCols);
    for (let i = 0; i < n; i++) values.set(blocks[part[i]!]!.values.subarray(local[i]! * nCols, (local[i]! + 1) * nCols), i * nCols);
    return { format: 'dense', nRows: n, nCols, values };
  }
  if (!blocks.every((b): b is CsrBlock => b.format === 'csr')) throw new TypeError('cannot gather across dense and sparse blocks');
  const csr = blocks as readonly CsrBlock[];
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const b = csr[part[i]!]!;
    nnz += Number(b.indptr[local[i]! + 1]) - Number(b.indptr[local[i]!]);
  }
  const indptr = indptrFor(nnz, n + 1);
  const indices = sameIndexType(csr, nnz);
  const data = new Float32Array(nnz);
  let e = 0;
  for (let i = 0; i < n; i++) {
    const b = csr[part[i]!]!;
    const s = Number(b.indptr[local[i]!]);
    const t = Number(b.indptr[local[i]! + 1]);
    indices.set(b.indices.subarray(s, t), e);
    data.set(b.data.subarray(s, t), e);
    e += t - s;
    indptr[i + 1] = e;
  }
  return { format: 'csr', nRows: n, nCols: first.nCols, indptr, indices, data };
}

export function gatherObs(values: ObsValues, positions: Uint32Array): ObsValues {
  switch (values.kind) {
    case 'categorical':
      return { kind: 'categorical', categories: values.categories, codes: Int32Array.from(positions, (p) => values.codes[p]!) };
    case 'numeric':
      return {
        kind: 'numeric',
        values: Float64Array.from(positions, (p) => values.values[p]!),
        ...(values.mask ? { mask: Uint8Array.from(positions, (p) => values.mask![p]!) } : {}),
      };
    case 'boolean':
      return {
        kind: 'boolean',
        values: Uint8Array.from(positions, (p) => values.values[p]!),
        ...(values.mask ? { mask: Uint8Array.from(positions, (p) => values.mask![p]!) } : {}),
      };
    case 'string':
      return { kind: 'string', values: Array.from(positions, (p) => values.values[p] ?? null) };
  }
}

export function concatObs(parts: readonly ObsValues[]): ObsValues {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const cat = <T extends Float64Array | Uint8Array | Int32Array>(arrays: T[], ctor: new (n: number) => T): T => {
    const out = new ctor(arrays.reduce((n, a) => n + a.length, 0));
    let o = 0;
    for (const a of arrays) {
      out.set(a as never, o);
      o += a.length;
    }
    return out;
  };
  switch (first.kind) {
    case 'categorical':
      return { kind: 'categorical', categories: first.categories, codes: cat(parts.map((p) => (p as typeof first).codes), Int32Array) };
    case 'numeric': {
      const ps = parts as (typeof first)[];
      const values = cat(ps.map((p) => p.values), Float64Array);
      return ps.some((p) => p.mask)
        ? { kind: 'numeric', values, mask: cat(ps.map((p) => p.mask ?? new Uint8Array(p.values.length)), Uint8Array) }
        : { kind: 'numeric', values };
    }
    case 'boolean': {
      const ps = parts as (typeof first)[];
      const values = cat(ps.map((p) => p.values), Uint8Array);
      return ps.some((p) => p.mask)
        ? { kind: 'boolean', values, mask: cat(ps.map((p) => p.mask ?? new Uint8Array(p.values.length)), Uint8Array) }
        : { kind: 'boolean', values };
    }
    case 'string':
      return { kind: 'string', values: parts.flatMap((p) => (p as typeof first).values) };
  }
}

/** var index → output column (−1: not selected), for `genes` in output order. */
export function geneColumnMap(nVars: number, genes: ArrayLike<number>): Int32Array {
  const map = new Int32Array(nVars).fill(-1);
  for (let j = 0; j < genes.length; j++) {
    const g = genes[j]!;
    if (!Number.isInteger(g) || g < 0 || g >= nVars) throw new RangeError(`gene index ${g} is outside [0, ${nVars})`);
    map[g] = j;
  }
  return map;
}

/** Row-major float32 [nRows × nSelected] of the selected columns. */
export function densify(block: RowBlock, columnMap: Int32Array, nSelected: number): Float32Array {
  const out = new Float32Array(block.nRows * nSelected);
  if (block.format === 'dense') {
    for (let i = 0; i < block.nRows; i++) {
      for (let g = 0; g < block.nCols; g++) {
        const j = columnMap[g]!;
        if (j >= 0) out[i * nSelected + j] = block.values[i * block.nCols + g]!;
      }
    }
    return out;
  }
  const { indptr, indices, data } = block;
  for (let i = 0; i < block.nRows; i++) {
    const base = i * nSelected;
    for (let e = Number(indptr[i]), t = Number(indptr[i + 1]); e < t; e++) {
      const j = columnMap[indices[e]!]!;
      if (j >= 0) out[base + j] = data[e]!;
    }
  }
  return out;
}

/** Only the selected columns of a block, in output-column order (shrinks memory). */
export function selectColumns(block: RowBlock, columnMap: Int32Array, nSelected: number): RowBlock {
  if (block.format === 'dense') return { format: 'dense', nRows: block.nRows, nCols: nSelected, values: densify(block, columnMap, nSelected) };
  return selectCsrColumns(block, columnMap, nSelected);
}

function selectCsrColumns(block: CsrBlock, columnMap: Int32Array, nSelected: number): CsrBlock {
  const { indptr, indices, data } = block;
  let nnz = 0;
  const end = Number(indptr[block.nRows]);
  for (let e = 0; e < end; e++) if (columnMap[indices[e]!]! >= 0) nnz++;
  const outPtr = indptrFor(nnz, block.nRows + 1);
  const outIdx = nSelected <= 65536 ? new Uint16Array(nnz) : new Int32Array(nnz);
  const outData = new Float32Array(nnz);
  let o = 0;
  for (let i = 0; i < block.nRows; i++) {
    for (let e = Number(indptr[i]), t = Number(indptr[i + 1]); e < t; e++) {
      const j = columnMap[indices[e]!]!;
      if (j >= 0) {
        outIdx[o] = j;
        outData[o++] = data[e]!;
      }
    }
    outPtr[i + 1] = o;
  }
  return { format: 'csr', nRows: block.nRows, nCols: nSelected, indptr: outPtr, indices: outIdx, data: outData };
}
