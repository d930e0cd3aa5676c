// Writes AnnData in anndata's on-disk encoding as zarr v3 (annbatch's layout): X as csr_matrix
// (data float32, indices in the smallest dtype, indptr int32 or int64) or a dense array, sharded,
// blosc-lz4; obs/var as dataframes (categorical, string-array, numeric, nullable-integer/boolean;
// strings with missing values as categoricals).
import type { CsrBlock, DenseBlock, ObsValues } from '../source/types.ts';
import type { StoreSink } from './sink.ts';
import {
  createShardedArrayWriter,
  writeConsolidatedRoot,
  join,
  writeGroup,
  writeNumericArray,
  writeStringArray,
  type NodeMetadata,
  type NumericArray,
  type NumericDtype,
} from './zarr-v3.ts';

export interface DataFrameColumn {
  readonly name: string;
  readonly values: ObsValues;
  /** numpy dtype of a numeric column on the source (integers are written back as integers). */
  readonly dtype?: string;
}

export interface DataFrameInput {
  readonly index: readonly string[];
  readonly columns: readonly DataFrameColumn[];
}

export type MatrixInput =
  | { readonly encoding: 'csr_matrix'; readonly nnz: number; readonly blocks: AsyncIterable<CsrBlock> }
  | { readonly encoding: 'array'; readonly blocks: AsyncIterable<DenseBlock> };

export interface AnnDataInput {
  readonly nObs: number;
  readonly nVars: number;
  readonly X: MatrixInput;
  readonly layers?: Readonly<Record<string, MatrixInput>>;
  readonly obs: DataFrameInput;
  readonly var: DataFrameInput;
}

export interface LayoutOptions {
  /** Rows per inner chunk (annbatch: 64). */
  readonly chunkRows: number;
  /** Uncompressed bytes per shard (annbatch: ~1 GB). */
  readonly shardBytes: number;
}

export const defaultLayout: LayoutOptions = { chunkRows: 64, shardBytes: 256 * 2 ** 20 };

const version = (type: string, v = '0.2.0') => ({ 'encoding-type': type, 'encoding-version': v });

export function indexDtypeFor(nVars: number): NumericDtype {
  return nVars <= 65536 ? 'uint16' : 'int32';
}

function chunksPerShard(innerElems: number, elemBytes: number, shardBytes: number): number {
  return Math.max(1, Math.floor(shardBytes / (innerElems * elemBytes)));
}

/**
 * One shard grid for a CSR matrix's data and indices: annbatch reads both through the indexer it
 * builds from data's grid, so indices with other shard bounds would come back as fill values. Sized
 * by the float32 data, no longer than the matrix (as annbatch's own writer).
 */
function csrChunksPerShard(innerElems: number, nnz: number, shardBytes: number): number {
  return Math.max(1, Math.min(chunksPerShard(innerElems, 4, shardBytes), Math.floor(nnz / innerElems)));
}

async function writeCsr(
  sink: StoreSink,
  nodes: NodeMetadata,
  path: string,
  input: Extract<MatrixInput, { encoding: 'csr_matrix' }>,
  nObs: number,
  nVars: number,
  layout: LayoutOptions,
  onRows?: (rows: number) => void,
): Promise<void> {
  await writeGroup(sink, nodes, path, { ...version('csr_matrix', '0.1.0'), shape: [nObs, nVars] });
  const meanNnz = Math.max(1, Math.round(input.nnz / Math.max(1, nObs)));
  const innerElems = layout.chunkRows * meanNnz;
  const indexDtype = indexDtypeFor(nVars);
  const grid = { rowWidth: 1, chunkRows: innerElems, chunksPerShard: csrChunksPerShard(innerElems, input.nnz, layout.shardBytes) };
  const data = createShardedArrayWriter(sink, nodes, join(path, 'data'), { dtype: 'float32', ...grid });
  const indices = createShardedArrayWriter(sink, nodes, join(path, 'indices'), { dtype: indexDtype, ...grid });
  const indptr = new Float64Array(nObs + 1);
  let rows = 0;
  let nnz = 0;
  for await (const block of input.blocks) {
    if (block.nCols !== nVars) throw new RangeError(`${path}: a block has ${block.nCols} columns, the matrix ${nVars}`);
    if (rows + block.nRows > nObs) throw new RangeError(`${path}: more than the ${nObs} rows announced`);
    const end = Number(block.indptr[block.nRows]);
    const start = Number(block.indptr[0]);
    for (let i = 1; i <= block.nRows; i++) indptr[rows + i] = nnz + Number(block.indptr[i]) - start;
    const idx = block.indices.subarray(start, end);
    await indices.append(idx instanceof (indexDtype === 'uint16' ? Uint16Array : Int32Array) ? idx : castIndices(idx, indexDtype));
    await data.append(block.data.subarray(start, end));
    rows += block.nRows;
    nnz += end - start;
    onRows?.(rows);
  }
  if (rows !== nObs) throw new RangeError(`${path}: wrote ${rows} rows, expected ${nObs}`);
  await data.finish();
  await indices.finish();
  const wide = nnz >= 2 ** 31;
  const ptr = wide ? BigInt64Array.from(indptr, (v) => BigInt(v)) : Int32Array.from(indptr);
  await writeNumericArray(sink, nodes, join(path, 'indptr'), wide ? 'int64' : 'int32', ptr, {}, 8192);
}

function castIndices(idx: CsrBlock['indices'], dtype: NumericDtype): NumericArray {
  return dtype === 'uint16' ? Uint16Array.from(idx) : Int32Array.from(idx);
}

async function writeDense(
  sink: StoreSink,
  nodes: NodeMetadata,
  path: string,
  input: Extract<MatrixInput, { encoding: 'array' }>,
  nObs: number,
  nVars: number,
  layout: LayoutOptions,
  onRows?: (rows: number) => void,
): Promise<void> {
  const writer = createShardedArrayWriter(sink, nodes, path, {
    dtype: 'float32',
    rowWidth: nVars,
    chunkRows: layout.chunkRows,
    chunksPerShard: chunksPerShard(layout.chunkRows * nVars, 4, layout.shardBytes),
    attributes: version('array'),
  });
  let rows = 0;
  for await (const block of input.blocks) {
    await writer.append(block.values);
    rows += block.nRows;
    onRows?.(rows);
  }
  if (rows !== nObs) throw new RangeError(`${path}: wrote ${rows} rows, expected ${nObs}`);
  await writer.finish();
}

function codesDtype(nCategories: number): { dtype: NumericDtype; of: (c: Int32Array) => NumericArray } {
  if (nCategories < 128) return { dtype: 'int8', of: (c) => Int8Array.from(c) };
  if (nCategories < 32768) return { dtype: 'int16', of: (c) => Int16Array.from(c) };
  return { dtype: 'int32', of: (c) => c };
}

const integerDtypes: Record<string, NumericDtype> = {
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
};

function numericArray(values: Float64Array, dtype: string | undefined): { dtype: NumericDtype; data: NumericArray } {
  const int = dtype ? integerDtypes[dtype] : undefined;
  if (int === 'int64') return { dtype: int, data: BigInt64Array.from(values, (v) => BigInt(Number.isFinite(v) ? v : 0)) };
  if (int) {
    const ctor = { int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array }[int as 'int8'];
    return { dtype: int, data: ctor.from(values, (v) => (Number.isFinite(v) ? v : 0)) };
  }
  if (dtype === 'float32') return { dtype: 'float32', data: Float32Array.from(values) };
  return { dtype: 'float64', data: values };
}

async function writeColumn(sink: StoreSink, nodes: NodeMetadata, path: string, column: DataFrameColumn): Promise<void> {
  const v = column.values;
  switch (v.kind) {
    case 'categorical': {
      await writeGroup(sink, nodes, path, { ...version('categorical'), ordered: false });
      const { dtype, of } = codesDtype(v.categories.length);
      await writeNumericArray(sink, nodes, join(path, 'codes'), dtype, of(v.codes), version('array'));
      await writeStringArray(sink, nodes, join(path, 'categories'), v.categories, version('string-array'));
      return;
    }
    case 'string': {
      if (v.values.some((s) => s === null)) {
        // as a categorical with code −1 for missing (anndata's strings_to_categoricals): every anndata
        // reads it, lazily too, unlike nullable-string-array
        const categories = [...new Set(v.values.filter((s): s is string => s !== null))].sort();
        const code = new Map(categories.map((c, i) => [c, i]));
        const codes = Int32Array.from(v.values, (s) => (s === null ? -1 : (code.get(s) as number)));
        await writeColumn(sink, nodes, path, { ...column, values: { kind: 'categorical', categories, codes } });
        return;
      }
      await writeStringArray(sink, nodes, path, v.values as string[], version('string-array'));
      return;
    }
    case 'numeric': {
      const { dtype, data } = numericArray(v.values, column.dtype);
      if (v.mask && dtype !== 'float64' && dtype !== 'float32') {
        await writeGroup(sink, nodes, path, version('nullable-integer', '0.1.0'));
        await writeNumericArray(sink, nodes, join(path, 'values'), dtype, data, version('array'));
        await writeNumericArray(sink, nodes, join(path, 'mask'), 'bool', v.mask, version('array'));
        return;
      }
      // a float column's missing values are NaN already
      await writeNumericArray(sink, nodes, path, dtype, data, version('array'));
      return;
    }
    case 'boolean': {
      if (v.mask) {
        await writeGroup(sink, nodes, path, version('nullable-boolean', '0.1.0'));
        await writeNumericArray(sink, nodes, join(path, 'values'), 'bool', v.values, version('array'));
        await writeNumericArray(sink, nodes, join(path, 'mask'), 'bool', v.mask, version('array'));
        return;
      }
      await writeNumericArray(sink, nodes, path, 'bool', v.values, version('array'));
      return;
    }
  }
}

async function writeDataFrame(sink: StoreSink, nodes: NodeMetadata, path: string, frame: DataFrameInput): Promise<void> {
  const names = frame.columns.map((c) => c.name);
  await writeGroup(sink, nodes, path, { ...version('dataframe'), _index: '_index', 'column-order': names });
  await writeStringArray(sink, nodes, join(path, '_index'), frame.index, version('string-array'));
  for (const column of frame.columns) await writeColumn(sink, nodes, join(path, column.name), column);
}

export interface WriteAnnDataOptions {
  readonly layout?: LayoutOptions;
  readonly onRows?: (rows: number) => void;
}

/** Writes one AnnData group at `path` ('' = the store root). */
export async function writeAnnDataGroup(sink: StoreSink, nodes: NodeMetadata, path: string, input: AnnDataInput, options: WriteAnnDataOptions = {}): Promise<void> {
  const layout = options.layout ?? defaultLayout;
  if (input.obs.index.length !== input.nObs) throw new RangeError(`obs index has ${input.obs.index.length} names, the AnnData ${input.nObs} rows`);
  if (input.var.index.length !== input.nVars) throw new RangeError(`var index has ${input.var.index.length} names, the AnnData ${input.nVars} columns`);
  await writeGroup(sink, nodes, path, version('anndata', '0.1.0'));
  await writeDataFrame(sink, nodes, join(path, 'obs'), input.obs);
  await writeDataFrame(sink, nodes, join(path, 'var'), input.var);
  const writeMatrix = async (p: string, m: MatrixInput, onRows?: (rows: number) => void) =>
    m.encoding === 'csr_matrix'
      ? writeCsr(sink, nodes, p, m, input.nObs, input.nVars, layout, onRows)
      : writeDense(sink, nodes, p, m, input.nObs, input.nVars, layout, onRows);
  await writeMatrix(join(path, 'X'), input.X, options.onRows);
  await writeGroup(sink, nodes, join(path, 'layers'), version('dict', '0.1.0'));
  for (const [name, m] of Object.entries(input.layers ?? {})) await writeMatrix(join(path, 'layers', name), m);
  for (const name of ['obsm', 'varm', 'obsp', 'varp', 'uns']) await writeGroup(sink, nodes, join(path, name), version('dict', '0.1.0'));
}

/** A whole AnnData zarr v3 store: the AnnData at the root, then its consolidated metadata. */
export async function writeAnnDataStore(sink: StoreSink, input: AnnDataInput, options: WriteAnnDataOptions = {}): Promise<void> {
  const nodes: NodeMetadata = new Map();
  await writeAnnDataGroup(sink, nodes, '', input, options);
  await writeConsolidatedRoot(sink, nodes, version('anndata', '0.1.0'));
}
