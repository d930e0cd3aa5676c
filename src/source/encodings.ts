// anndata's on-disk encodings, one reader per `encoding-type` (as anndata's IO registry does):
// matrices (csr_matrix, csc_matrix, array) and dataframe columns (categorical, string-array, array,
// nullable-integer, nullable-boolean, nullable-string-array, and the pre-0.8 categorical layout).

import { SourceError } from './errors.ts';
import { readRunsOf } from './runs.ts';
import { createCsrReader } from './sparse.ts';
import type { ArrayNode, GroupNode, TreeNode } from './tree.ts';
import type { ExactRowBlock, MatrixInfo, ObsColumnInfo, ObsValues, RowBlock, RowRun } from './types.ts';
import { attrBoolean, attrNumbers, attrStrings, isNumeric, toExact, toFloat32, toFloat64, toInt32, toStrings, toUint8 } from './values.ts';

export function encodingOf(node: TreeNode): string {
  const value = node.attrs['encoding-type'];
  return typeof value === 'string' ? value : '';
}

export interface MatrixHandle {
  readonly info: MatrixInfo;
  readRows(runs: readonly RowRun[], signal?: AbortSignal): Promise<RowBlock>;
  /** The same rows with the stored values unrounded (float64, or int64 as BigInt). */
  readExactRows(runs: readonly RowRun[], signal?: AbortSignal): Promise<ExactRowBlock>;
}

/** Where a reader is: the source label (URL or file) and the element path, for messages. */
export interface ReadContext {
  readonly label: string;
}

async function requireArray(group: GroupNode, name: string, ctx: ReadContext): Promise<ArrayNode> {
  const node = await group.child(name);
  if (!node || node.kind !== 'array') {
    throw new SourceError('malformed', ctx.label, `${ctx.label}: ${group.path}/${name} is missing${node ? ' (found a group, expected an array)' : ''}; the ${encodingOf(group)} at ${group.path} is incomplete. Re-write the file with anndata.`);
  }
  return node;
}

// ── Matrices ───────────────────────────────────────────────────────────────────────────────────

type MatrixReader = (node: TreeNode, ctx: ReadContext) => Promise<MatrixHandle>;

async function sparseParts(node: TreeNode, ctx: ReadContext) {
  if (node.kind !== 'group') throw new SourceError('malformed', ctx.label, `${ctx.label}: ${node.path} says ${encodingOf(node)} but is an array, not a group.`);
  const shape = attrNumbers(node.attrs.shape);
  if (!shape || shape.length !== 2) throw new SourceError('malformed', ctx.label, `${ctx.label}: ${node.path} has no 2-D 'shape' attribute.`);
  const [data, indices, indptr] = await Promise.all([requireArray(node, 'data', ctx), requireArray(node, 'indices', ctx), requireArray(node, 'indptr', ctx)]);
  const nnz = data.shape[0] ?? 0;
  if (indices.shape[0] !== nnz) {
    throw new SourceError('malformed', ctx.label, `${ctx.label}: ${node.path}/indices has ${indices.shape[0]} entries but data has ${nnz}.`);
  }
  return { group: node, shape: [shape[0]!, shape[1]!] as const, data, indices, indptr, nnz };
}

const readCsr: MatrixReader = async (node, ctx) => {
  const { group, shape, data, indices, indptr, nnz } = await sparseParts(node, ctx);
  if (indptr.shape[0] !== shape[0] + 1) {
    throw new SourceError('malformed', ctx.label, `${ctx.label}: ${group.path}/indptr has ${indptr.shape[0]} entries; a csr_matrix of ${shape[0]} rows needs ${shape[0] + 1}.`);
  }
  const reader = createCsrReader({ data, indices, indptr, nRows: shape[0], nCols: shape[1], where: `${ctx.label}: ${group.path}` });
  return {
    info: { encoding: 'csr_matrix', dtype: data.dtype, shape, nnz, indexDtype: indices.dtype },
    readRows: (runs, signal) => reader.readRows(runs, signal),
    readExactRows: (runs, signal) => reader.readExactRows(runs, signal),
  };
};

const readCsc: MatrixReader = async (node, ctx) => {
  const { group, shape, data, indices, nnz } = await sparseParts(node, ctx);
  const name = group.path.split('/').pop();
  // Rows of a column-compressed matrix are scattered over every column: reading one row means
  // reading the whole matrix, which defeats out-of-core loading. Convert once instead.
  const refuse = () =>
    Promise.reject(
      new SourceError(
        'encoding',
        ctx.label,
        `${ctx.label}: ${group.path} is a csc_matrix (column-compressed), which cannot be read by rows without loading all of it. ` +
          `Convert it once in Python and re-save: adata.${group.path === 'X' ? 'X = adata.X' : `layers['${name}'] = adata.layers['${name}']`}.tocsr(), then adata.write_h5ad(...) or adata.write_zarr(...).`,
      ),
    );
  return { info: { encoding: 'csc_matrix', dtype: data.dtype, shape, nnz, indexDtype: indices.dtype }, readRows: refuse, readExactRows: refuse };
};

const readDense: MatrixReader = async (node, ctx) => {
  if (node.kind !== 'array' || node.shape.length !== 2) {
    throw new SourceError('malformed', ctx.label, `${ctx.label}: ${node.path} is a dense matrix but not a 2-D array.`);
  }
  const [nRows, nCols] = node.shape as [number, number];
  return {
    info: { encoding: 'array', dtype: node.dtype, shape: [nRows, nCols] },
    async readRows(runs, signal) {
      const values = toFloat32(await readRunsOf(node, runs, signal), `${ctx.label}: ${node.path}`);
      return { format: 'dense', nRows: values.length / nCols, nCols, values };
    },
    async readExactRows(runs, signal) {
      const values = toExact(await readRunsOf(node, runs, signal), `${ctx.label}: ${node.path}`);
      return { format: 'dense', nRows: values.length / nCols, nCols, values };
    },
  };
};

const matrixReaders: Readonly<Record<string, MatrixReader>> = {
  csr_matrix: readCsr,
  csc_matrix: readCsc,
  array: readDense,
  // anndata < 0.8 wrote dense X without encoding attributes.
  '': (node, ctx) => (node.kind === 'array' ? readDense(node, ctx) : readCsr(node, ctx)),
};

export async function readMatrix(node: TreeNode, ctx: ReadContext): Promise<MatrixHandle> {
  const encoding = encodingOf(node);
  const reader = matrixReaders[encoding];
  if (!reader) {
    throw new SourceError('encoding', ctx.label, `${ctx.label}: ${node.path} has encoding-type '${encoding}', which is not a matrix encoding this reader knows (csr_matrix, csc_matrix, array).`);
  }
  return reader(node, ctx);
}

// ── Dataframe columns ──────────────────────────────────────────────────────────────────────────

export interface ObsColumn {
  readonly info: ObsColumnInfo;
  /** The rows of the runs, or every row when runs is undefined. */
  read(runs: readonly RowRun[] | undefined, signal?: AbortSignal): Promise<ObsValues>;
}

interface ColumnContext extends ReadContext {
  /** The dataframe group (legacy categoricals keep their categories in it). */
  readonly frame: GroupNode;
  readonly nRows: number;
}

type ColumnReader = (node: TreeNode, name: string, ctx: ColumnContext) => Promise<ObsColumn>;

function readArrayRows(node: ArrayNode, runs: readonly RowRun[] | undefined, nRows: number, signal?: AbortSignal) {
  return runs ? readRunsOf(node, runs, signal) : node.read(0, nRows, signal);
}

function requireColumnArray(node: TreeNode, name: string, ctx: ColumnContext): ArrayNode {
  if (node.kind !== 'array') throw new SourceError('malformed', ctx.label, `${ctx.label}: column '${name}' at ${node.path} should be an array but is a group.`);
  if (node.shape[0] !== ctx.nRows) {
    throw new SourceError('malformed', ctx.label, `${ctx.label}: column '${name}' has ${node.shape[0]} values but the dataframe has ${ctx.nRows} rows.`);
  }
  return node;
}

function categoricalColumn(name: string, encoding: string, codes: ArrayNode, categories: string[], ordered: boolean, ctx: ColumnContext): ObsColumn {
  const where = `${ctx.label}: ${codes.path}`;
  return {
    info: { name, kind: 'categorical', encoding, dtype: codes.dtype, nullable: true, categories, ordered },
    async read(runs, signal) {
      const values = toInt32(await readArrayRows(codes, runs, ctx.nRows, signal), where);
      for (const code of values) {
        if (code < -1 || code >= categories.length) {
          throw new SourceError('malformed', ctx.label, `${where} holds code ${code}, outside the ${categories.length} categories of '${name}' (−1 means missing).`);
        }
      }
      return { kind: 'categorical', codes: values, categories };
    },
  };
}

/** Python's str() of a category value, so numeric categories read as pandas prints them. */
function categoryName(value: number | bigint, dtype: string): string {
  if (dtype === 'bool') return value ? 'True' : 'False';
  if (typeof value === 'bigint' || !dtype.startsWith('float')) return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? value.toFixed(1) : String(value);
}

/**
 * A categorical's categories as names: strings (a string-array or, from anndata ≥ 0.11, a
 * nullable-string-array) or numbers and booleans (pandas categoricals of ints, floats or bools).
 */
async function readCategories(group: GroupNode, ctx: ReadContext): Promise<string[]> {
  const node = await group.child('categories');
  if (!node) throw new SourceError('malformed', ctx.label, `${ctx.label}: ${group.path}/categories is missing; the categorical at ${group.path} is incomplete. Re-write the file with anndata.`);
  if (node.kind === 'array' && node.dtype !== 'string') {
    const values = await node.read(0, node.shape[0] ?? 0);
    if (!isNumeric(values)) throw new SourceError('encoding', ctx.label, `${ctx.label}: ${node.path} says ${node.dtype} but holds strings.`);
    return Array.from(values as ArrayLike<number | bigint>, (v) => categoryName(v, node.dtype));
  }
  const strings = await openStrings(node, ctx);
  return (await strings.read(undefined)).map((v) => v ?? '');
}

const readCategorical: ColumnReader = async (node, name, ctx) => {
  if (node.kind !== 'group') throw new SourceError('malformed', ctx.label, `${ctx.label}: categorical column '${name}' should be a group with codes and categories.`);
  const [codesNode, categories] = await Promise.all([requireArray(node, 'codes', ctx), readCategories(node, ctx)]);
  const codes = requireColumnArray(codesNode, name, ctx);
  return categoricalColumn(name, 'categorical', codes, categories, attrBoolean(node.attrs.ordered), ctx);
};

function plainColumn(node: ArrayNode, name: string, encoding: string, ctx: ColumnContext): ObsColumn {
  const where = `${ctx.label}: ${node.path}`;
  if (node.dtype === 'string' || encoding === 'string-array') {
    const strings = plainStrings(node, ctx);
    return {
      info: { name, kind: 'string', encoding, dtype: node.dtype, nullable: false },
      read: async (runs, signal) => ({ kind: 'string', values: await strings.read(runs, signal) }),
    };
  }
  if (node.dtype === 'bool') {
    return {
      info: { name, kind: 'boolean', encoding, dtype: node.dtype, nullable: false },
      async read(runs, signal) {
        return { kind: 'boolean', values: toUint8(await readArrayRows(node, runs, ctx.nRows, signal), where) };
      },
    };
  }
  if (!/^(u?int|float)\d+$/.test(node.dtype)) {
    throw new SourceError('encoding', ctx.label, `${where}: column '${name}' has element type '${node.dtype}', which this reader cannot use (expected numbers, booleans or strings).`);
  }
  return {
    info: { name, kind: 'numeric', encoding, dtype: node.dtype, nullable: node.dtype.startsWith('float') },
    async read(runs, signal) {
      return { kind: 'numeric', values: toFloat64(await readArrayRows(node, runs, ctx.nRows, signal), where) };
    },
  };
}

const readPlainArray: ColumnReader = async (node, name, ctx) => {
  const array = requireColumnArray(node, name, ctx);
  // anndata < 0.8: categorical codes stored as a plain array whose attribute names the categories.
  if ('categories' in array.attrs) {
    const categoriesNode = await ctx.frame.child('__categories').then((g) => (g?.kind === 'group' ? g.child(name) : undefined));
    if (!categoriesNode || categoriesNode.kind !== 'array') {
      throw new SourceError(
        'encoding',
        ctx.label,
        `${ctx.label}: column '${name}' uses the categorical layout of anndata < 0.8 and its categories are not at ${ctx.frame.path}/__categories/${name}. Re-save the file with anndata ≥ 0.8, in Python: anndata.read_h5ad(path).write_h5ad(new_path).`,
      );
    }
    const categories = toStrings(await categoriesNode.read(0, categoriesNode.shape[0] ?? 0), `${ctx.label}: ${categoriesNode.path}`).map(String);
    return categoricalColumn(name, 'categorical (anndata < 0.8)', array, categories, attrBoolean(array.attrs.ordered), ctx);
  }
  return plainColumn(array, name, encodingOf(node) || 'array', ctx);
};

/** A 1-D array of strings as stored: a string array, or a nullable-string-array group (values + mask). */
export interface StringArray {
  readonly path: string;
  readonly length: number;
  /** The rows of the runs, or every row when runs is undefined; null where missing. */
  read(runs: readonly RowRun[] | undefined, signal?: AbortSignal): Promise<(string | null)[]>;
}

const readNullableStrings = async (node: GroupNode, ctx: ReadContext): Promise<StringArray> => {
  const [values, mask] = await Promise.all([requireArray(node, 'values', ctx), requireArray(node, 'mask', ctx)]);
  const length = values.shape[0] ?? 0;
  if (mask.shape[0] !== length) throw new SourceError('malformed', ctx.label, `${ctx.label}: ${mask.path} has ${mask.shape[0]} entries but ${values.path} has ${length}.`);
  const where = `${ctx.label}: ${node.path}`;
  return {
    path: node.path,
    length,
    async read(runs, signal) {
      const [v, m] = await Promise.all([readArrayRows(values, runs, length, signal), readArrayRows(mask, runs, length, signal)]);
      const missing = toUint8(m, `${where}/mask`);
      return toStrings(v, `${where}/values`).map((s, i) => (missing[i] ? null : s));
    },
  };
};

function plainStrings(node: ArrayNode, ctx: ReadContext): StringArray {
  const length = node.shape[0] ?? 0;
  const where = `${ctx.label}: ${node.path}`;
  return {
    path: node.path,
    length,
    read: async (runs, signal) => toStrings(await readArrayRows(node, runs, length, signal), where),
  };
}

/** Opens strings stored either way (one reader per encoding-type, as for columns). */
export async function openStrings(node: TreeNode, ctx: ReadContext): Promise<StringArray> {
  if (node.kind === 'array') return plainStrings(node, ctx);
  if (encodingOf(node) === 'nullable-string-array') return readNullableStrings(node, ctx);
  throw new SourceError('encoding', ctx.label, `${ctx.label}: ${node.path} should hold strings (a string-array or nullable-string-array) but is a group with encoding-type '${encodingOf(node)}'.`);
}

const readStringColumn: ColumnReader = async (node, name, ctx) => {
  const strings = await openStrings(node, ctx);
  if (strings.length !== ctx.nRows) {
    throw new SourceError('malformed', ctx.label, `${ctx.label}: column '${name}' has ${strings.length} values but the dataframe has ${ctx.nRows} rows.`);
  }
  return {
    info: { name, kind: 'string', encoding: encodingOf(node), dtype: 'string', nullable: true },
    read: async (runs, signal) => ({ kind: 'string', values: await strings.read(runs, signal) }),
  };
};

function nullableColumn(kind: 'numeric' | 'boolean'): ColumnReader {
  return async (node, name, ctx) => {
    if (node.kind !== 'group') throw new SourceError('malformed', ctx.label, `${ctx.label}: ${encodingOf(node)} column '${name}' should be a group with values and mask.`);
    const [valuesNode, maskNode] = await Promise.all([requireArray(node, 'values', ctx), requireArray(node, 'mask', ctx)]);
    const values = requireColumnArray(valuesNode, name, ctx);
    const mask = requireColumnArray(maskNode, name, ctx);
    const where = `${ctx.label}: ${node.path}`;
    return {
      info: { name, kind, encoding: encodingOf(node), dtype: values.dtype, nullable: true },
      async read(runs, signal) {
        const [v, m] = await Promise.all([readArrayRows(values, runs, ctx.nRows, signal), readArrayRows(mask, runs, ctx.nRows, signal)]);
        const missing = toUint8(m, `${where}/mask`);
        if (kind === 'numeric') return { kind, values: toFloat64(v, `${where}/values`), mask: missing };
        return { kind, values: toUint8(v, `${where}/values`), mask: missing };
      },
    };
  };
}

const columnReaders: Readonly<Record<string, ColumnReader>> = {
  categorical: readCategorical,
  'string-array': readPlainArray,
  array: readPlainArray,
  '': readPlainArray,
  'nullable-integer': nullableColumn('numeric'),
  'nullable-boolean': nullableColumn('boolean'),
  'nullable-string-array': readStringColumn,
};

/** A column the reader could not open: the dataframe still opens; using the column fails with `error`. */
export interface UnreadableColumn {
  readonly name: string;
  readonly encoding: string;
  readonly error: SourceError;
}

export interface Dataframe {
  readonly nRows: number;
  readonly columns: readonly ObsColumn[];
  readonly unreadable: readonly UnreadableColumn[];
  readonly index: StringArray;
}

/** Opens a `dataframe` group: its index and every column in column-order. */
export async function readDataframe(node: TreeNode | undefined, what: string, ctx: ReadContext): Promise<Dataframe> {
  if (!node) throw new SourceError('malformed', ctx.label, `${ctx.label} has no ${what}; an AnnData has obs and var dataframes. Is this an AnnData file?`);
  if (node.kind !== 'group') {
    throw new SourceError('encoding', ctx.label, `${ctx.label}: ${what} is a single array (the record layout of anndata < 0.7). Re-save the file with anndata ≥ 0.8, in Python: anndata.read_h5ad(path).write_h5ad(new_path).`);
  }
  const encoding = encodingOf(node);
  if (encoding !== 'dataframe') {
    throw new SourceError('encoding', ctx.label, `${ctx.label}: ${what} has encoding-type '${encoding}', expected 'dataframe'.`);
  }
  const indexName = typeof node.attrs._index === 'string' ? node.attrs._index : '_index';
  const indexNode = await node.child(indexName);
  if (!indexNode) throw new SourceError('malformed', ctx.label, `${ctx.label}: ${what} has no index '${indexName}'.`);
  const index = await openStrings(indexNode, ctx);
  const nRows = index.length;
  const order = attrStrings(node.attrs['column-order']) ?? [];
  const columnCtx: ColumnContext = { ...ctx, frame: node, nRows };
  const opened = await Promise.all(
    order.map(async (name): Promise<ObsColumn | UnreadableColumn> => {
      const child = await node.child(name);
      if (!child) throw new SourceError('malformed', ctx.label, `${ctx.label}: ${what} lists column '${name}' in column-order but it is missing.`);
      const columnEncoding = encodingOf(child);
      const reader = columnReaders[columnEncoding];
      try {
        if (!reader) {
          throw new SourceError(
            'encoding',
            ctx.label,
            `${ctx.label}: ${what} column '${name}' has encoding-type '${columnEncoding}', which this reader does not know (it reads ${Object.keys(columnReaders).filter(Boolean).join(', ')}).`,
          );
        }
        return await reader(child, name, columnCtx);
      } catch (error) {
        // One column this reader cannot use must not keep the rest of the file from opening.
        if (!(error instanceof SourceError) || (error.code !== 'encoding' && error.code !== 'malformed')) throw error;
        return { name, encoding: columnEncoding, error };
      }
    }),
  );
  const columns = opened.filter((c): c is ObsColumn => 'info' in c);
  const unreadable = opened.filter((c): c is UnreadableColumn => !('info' in c));
  return { nRows, columns, unreadable, index };
}

/** Cells per category over every row (code −1, missing, is not counted). */
export async function countCategories(column: ObsColumn, signal?: AbortSignal): Promise<number[]> {
  const values = await column.read(undefined, signal);
  if (values.kind !== 'categorical') return [];
  const counts = new Array<number>(values.categories.length).fill(0);
  for (const code of values.codes) if (code >= 0) counts[code]!++;
  return counts;
}
