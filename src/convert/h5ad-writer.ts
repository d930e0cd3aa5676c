// Results as an .h5ad that scanpy / anndata opens with `anndata.read_h5ad` (checked with anndata 0.8
// in a test): obs (string and numeric columns), an optional dense X with var names, and obsm
// embeddings (e.g. X_trvae). Written with h5wasm in anndata's encoding (encoding-type /
// encoding-version attributes), with HDF5 1.10 object headers so HDF5 1.10-based readers open it.
//
// Categorical columns are written as string arrays: h5wasm cannot write the HDF5 boolean enum that
// anndata's `ordered` attribute needs; `adata.obs[c] = adata.obs[c].astype("category")` restores them.

import type * as H5 from 'h5wasm';

export type H5adColumnValues =
  | { readonly kind: 'string'; readonly values: readonly (string | null)[] }
  | { readonly kind: 'numeric'; readonly values: Float64Array | Float32Array | Int32Array }
  | { readonly kind: 'categorical'; readonly codes: Int32Array; readonly categories: readonly string[] };

export interface H5adColumn {
  readonly name: string;
  readonly values: H5adColumnValues;
}

export interface H5adInput {
  readonly obsNames: readonly string[];
  readonly obs: readonly H5adColumn[];
  readonly varNames?: readonly string[];
  readonly var?: readonly H5adColumn[];
  /** Dense X [n_obs, n_vars] row-major (float32); absent: X is None. */
  readonly X?: Float32Array;
  /** Embeddings by key, each [n_obs, width] row-major. */
  readonly obsm?: Readonly<Record<string, { readonly values: Float32Array; readonly width: number }>>;
}

type H5Group = InstanceType<typeof H5.Group>;
type H5Writer = Pick<typeof H5, 'File'>;

function encoded<T extends { create_attribute: H5Group['create_attribute'] }>(node: T, type: string, version: string): T {
  node.create_attribute('encoding-type', type);
  node.create_attribute('encoding-version', version);
  return node;
}

/** Missing strings become '' (anndata 0.8 has no missing value for a plain string array). */
const strings = (values: readonly (string | null)[]) => values.map((v) => v ?? '');

function writeColumn(group: H5Group, column: H5adColumn, n: number): void {
  const v = column.values;
  const length = v.kind === 'categorical' ? v.codes.length : v.values.length;
  if (length !== n) throw new RangeError(`column "${column.name}" has ${length} values for ${n} rows`);
  if (v.kind === 'numeric') {
    encoded(group.create_dataset({ name: column.name, data: v.values }), 'array', '0.2.0');
    return;
  }
  const text = v.kind === 'string' ? strings(v.values) : Array.from(v.codes, (c) => (c >= 0 ? v.categories[c] : ''));
  encoded(group.create_dataset({ name: column.name, data: text }), 'string-array', '0.2.0');
}

function writeDataframe(parent: H5Group, name: string, index: readonly string[], columns: readonly H5adColumn[]): void {
  const group = encoded(parent.create_group(name), 'dataframe', '0.2.0');
  group.create_attribute('_index', '_index');
  // anndata writes an empty column list as an empty float array (h5py's choice for []).
  if (columns.length > 0) group.create_attribute('column-order', columns.map((c) => c.name));
  else group.create_attribute('column-order', new Float64Array(0), [0]);
  encoded(index.length > 0 ? group.create_dataset({ name: '_index', data: [...index] }) : group.create_dataset({ name: '_index', data: [], dtype: 'S', shape: [0] }), 'string-array', '0.2.0');
  for (const column of columns) writeColumn(group, column, index.length);
}

/** Writes `input` as an .h5ad at `path` of h5wasm's file system. */
export function writeH5ad(h5: H5Writer, path: string, input: H5adInput): void {
  const n = input.obsNames.length;
  const varNames = input.varNames ?? [];
  if (input.X && input.X.length !== n * varNames.length) throw new RangeError(`X has ${input.X.length} values for ${n} × ${varNames.length}`);
  const file = new h5.File(path, 'w', { libver: ['earliest', 'v110'] });
  try {
    encoded(file, 'anndata', '0.1.0');
    writeDataframe(file, 'obs', input.obsNames, input.obs);
    writeDataframe(file, 'var', varNames, input.var ?? []);
    if (input.X) encoded(file.create_dataset({ name: 'X', data: input.X, shape: [n, varNames.length] }), 'array', '0.2.0');
    const obsm = encoded(file.create_group('obsm'), 'dict', '0.1.0');
    for (const [key, { values, width }] of Object.entries(input.obsm ?? {})) {
      if (values.length !== n * width) throw new RangeError(`obsm["${key}"] has ${values.length} values for ${n} × ${width}`);
      encoded(obsm.create_dataset({ name: key, data: values, shape: [n, width] }), 'array', '0.2.0');
    }
    for (const name of ['layers', 'obsp', 'varm', 'varp', 'uns']) encoded(file.create_group(name), 'dict', '0.1.0');
  } finally {
    file.close();
  }
}
