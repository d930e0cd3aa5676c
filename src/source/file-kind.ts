// What a file that should be an .h5ad (or an AnnData store) turns out to be, in a few words, for
// messages that say what was found instead of only what was expected.

/** A few words on what the first bytes of a file that is not HDF5 look like ("a text file beginning …", "a gzip-compressed file"). */
export function describeHead(head: Uint8Array): string {
  if (head.length === 0) return 'an empty file';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'a gzip-compressed file (decompress it first, e.g. gunzip)';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'a zip archive';
  const sample = head.subarray(0, 512);
  // text: no NUL and almost only printable bytes (UTF-8 continuation bytes count as printable)
  const printable = sample.filter((b) => b === 9 || b === 10 || b === 13 || b >= 32).length;
  if (!sample.includes(0) && printable >= 0.95 * sample.length) {
    const firstLine = new TextDecoder().decode(sample).split(/\r?\n/)[0]!.trim();
    const shown = firstLine.length > 40 ? `${firstLine.slice(0, 40)}…` : firstLine;
    const table = /[,\t;]/.test(firstLine) ? ', like a CSV or TSV table' : '';
    return `a text file${table} (it begins "${shown}")`;
  }
  return `a binary file of another kind (its first bytes are ${Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')})`;
}

/** What an HDF5 file or zarr group without X, obs and var is, when its top-level names say so. */
export function recogniseContainer(keys: readonly string[]): string | undefined {
  const has = (name: string) => keys.includes(name);
  if (has('matrix') && (has('row_attrs') || has('col_attrs'))) return 'a loom file; convert it once in Python: anndata.read_loom(path).write_h5ad(new_path)';
  // Cell Ranger's filtered_feature_bc_matrix.h5 holds one group, matrix (barcodes, data, indices, indptr, shape, features)
  if (keys.length === 1 && has('matrix')) return 'a 10x Genomics matrix file; convert it once in Python: scanpy.read_10x_h5(path).write_h5ad(new_path)';
  if (['data', 'indices', 'indptr'].every(has)) return 'a sparse matrix (X or a layer) from inside an AnnData store or file; open the store itself (its root folder) instead';
  if (has('_index') || keys.includes('__categories')) return 'a table (obs or var) from inside an AnnData store; open the store itself (its root folder) instead';
  return undefined;
}

/** What a group with anndata's `encoding-type` other than 'anndata' is, when it is a part of an AnnData store. */
export function partOfAnnData(encoding: string): string | undefined {
  if (/^(csr_matrix|csc_matrix|array)$/.test(encoding)) return 'a matrix (X or a layer) from inside an AnnData store; open the store itself, its root folder (one level up)';
  if (encoding === 'dataframe') return 'a table (obs or var) from inside an AnnData store; open the store itself, its root folder (one level up)';
  return undefined;
}
