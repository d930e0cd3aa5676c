// Reading an AnnData source into memory for training and evaluation in Node (the CLI): obs keys,
// highly variable genes (scanpy's seurat flavour), and the log-normalised expression of those genes.

import { accumulateCsr, createGeneMoments, seuratHvg, variances, type HvgInput } from '../cpu/hvg.ts';
import type { AnnDataSource, CsrBlock, ObsValues, RowBlock, RowRun } from '../source/types.ts';
import { logNormalize, selectGenes } from './batch.ts';

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

/** 'counts': raw counts (normalize_total 1e4 + log1p here); 'log1p': already log-normalised (used as is). */
export type InputKind = 'counts' | 'log1p';

export interface CategoricalColumn {
  readonly codes: Int32Array;
  readonly categories: readonly string[];
}

export async function readCategorical(source: AnnDataSource, key: string, option: string, signal?: AbortSignal): Promise<CategoricalColumn> {
  const info = source.obsColumns.find((c) => c.name === key);
  if (!info) throw new DatasetError(`${option}: obs has no column "${key}"; available: ${source.obsColumns.map((c) => c.name).join(', ')}`);
  const values: ObsValues = await source.readObs(key, signal);
  if (values.kind === 'categorical') return { codes: values.codes, categories: values.categories };
  if (values.kind === 'string') {
    const categories = [...new Set(values.values.filter((v): v is string => v !== null))].sort();
    const index = new Map(categories.map((c, i) => [c, i]));
    return { codes: Int32Array.from(values.values, (v) => (v === null ? -1 : (index.get(v) as number))), categories };
  }
  throw new DatasetError(`${option}: obs column "${key}" is ${values.kind}; it must be categorical or string`);
}

function toCsr(block: RowBlock): CsrBlock {
  if (block.format === 'csr') return block;
  const indptr = new Int32Array(block.nRows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < block.nRows; r++) {
    for (let c = 0; c < block.nCols; c++) {
      const v = block.values[r * block.nCols + c];
      if (v !== 0) {
        indices.push(c);
        data.push(v);
      }
    }
    indptr[r + 1] = indices.length;
  }
  return { format: 'csr', nRows: block.nRows, nCols: block.nCols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/** Guesses the input kind from a sample of values: integers only → counts. */
export async function detectInputKind(source: AnnDataSource, layer?: string): Promise<InputKind> {
  const info = layer ? source.layers[layer] : source.X;
  if (!info) throw new DatasetError(`the AnnData has no layer "${layer}"`);
  if (/int/.test(info.dtype)) return 'counts';
  const { block } = await source.readRows([{ start: 0, end: Math.min(source.nObs, 200) }], { layer });
  const values = block.format === 'csr' ? block.data : block.values;
  return values.every((v) => Number.isInteger(v)) ? 'counts' : 'log1p';
}

export interface LoadOptions {
  readonly layer?: string;
  readonly input: InputKind;
  readonly rowsPerRead?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: 'genes' | 'expression', done: number, total: number) => void;
}

/** Runs of consecutive ids in a sorted list of rows. */
function runsOf(rows: ArrayLike<number>, from: number, to: number): RowRun[] {
  const runs: RowRun[] = [];
  for (let i = from; i < to; i++) {
    const last = runs[runs.length - 1];
    if (last && last.end === rows[i]) runs[runs.length - 1] = { start: last.start, end: rows[i] + 1 };
    else runs.push({ start: rows[i], end: rows[i] + 1 });
  }
  return runs;
}

/** Visits the rows (all, or the sorted `rows`) block by block; `start` is the position of the block's first row. */
async function forEachBlock(source: AnnDataSource, options: LoadOptions, visit: (block: RowBlock, start: number) => void, phase: 'genes' | 'expression', rows?: ArrayLike<number>) {
  const step = options.rowsPerRead ?? 4096;
  const total = rows ? rows.length : source.nObs;
  for (let start = 0; start < total; start += step) {
    options.signal?.throwIfAborted();
    const end = Math.min(total, start + step);
    const runs = rows ? runsOf(rows, start, end) : [{ start, end }];
    const { block } = await source.readRows(runs, { layer: options.layer, signal: options.signal });
    visit(block, start);
    options.onProgress?.(phase, end, total);
  }
}

/** Var indices of the top `nTop` highly variable genes (seurat flavour, over all cells), in var order. */
export async function highlyVariableGenes(source: AnnDataSource, nTop: number, options: LoadOptions): Promise<Int32Array> {
  if (nTop >= source.nVars) return Int32Array.from({ length: source.nVars }, (_, i) => i);
  const moments = createGeneMoments(source.nVars);
  const input: HvgInput = options.input === 'counts' ? { kind: 'counts', targetSum: 1e4 } : { kind: 'log1p' };
  await forEachBlock(source, options, (block) => {
    const csr = toCsr(block);
    accumulateCsr(moments, csr, Int32Array.from({ length: csr.nRows }, (_, i) => i), input);
  }, 'genes');
  return seuratHvg(moments.mean, variances(moments), nTop).selected;
}

/** Log-normalised expression of `genes` for every cell (or the sorted `rows`), dense [cells, genes.length]. */
export async function loadExpression(source: AnnDataSource, genes: ArrayLike<number>, options: LoadOptions, rows?: ArrayLike<number>): Promise<Float32Array> {
  const nCells = rows ? rows.length : source.nObs;
  for (let i = 1; rows && i < rows.length; i++) if (rows[i] <= rows[i - 1]) throw new DatasetError('loadExpression: rows must be sorted and distinct');
  const bytes = nCells * genes.length * 4;
  if (bytes > 4 * 2 ** 30) {
    throw new DatasetError(`${nCells} cells × ${genes.length} genes need ${(bytes / 2 ** 30).toFixed(1)} GiB in memory; select fewer genes or train in the browser with the out-of-core loader`);
  }
  const out = new Float32Array(nCells * genes.length);
  await forEachBlock(source, options, (block, start) => {
    if (options.input === 'counts') {
      out.set(logNormalize(block, genes).x, start * genes.length);
      return;
    }
    out.set(selectGenes(block, genes), start * genes.length);
  }, 'expression', rows);
  return out;
}

export interface Holdout {
  readonly cellType: string;
  readonly condition: string;
}

export function parseHoldout(text: string): Holdout {
  const i = text.lastIndexOf(':');
  if (i <= 0 || i === text.length - 1) throw new DatasetError(`--holdout must be CELLTYPE:CONDITION, got "${text}"`);
  return { cellType: text.slice(0, i), condition: text.slice(i + 1) };
}

export function categoryCode(column: CategoricalColumn, value: string, what: string): number {
  const code = column.categories.indexOf(value);
  if (code < 0) throw new DatasetError(`${what} "${value}" is not a category; categories: ${column.categories.join(', ')}`);
  return code;
}
