// Reading an AnnData source into memory for training and evaluation in Node (the CLI): obs keys,
// highly variable genes (scanpy's seurat flavour), and the log-normalised expression of those genes.

import { TrvaeError } from '../errors.ts';
import { blockToCsr, geneMapFromSelection } from '../cpu/csr-pool.ts';
import { gatherNormalize } from '../cpu/gather-normalize.ts';
import { accumulateCsr, createGeneMoments, seuratHvg, variances, type HvgInput } from '../cpu/hvg.ts';
import { defaultNormalize, type NormalizeOptions } from '../cpu/normalize-options.ts';
import type { AnnDataSource, ObsValues, RowBlock, RowRun } from '../source/types.ts';
import type { PoolInput } from './batch.ts';

export class DatasetError extends TrvaeError {
  override readonly name = 'DatasetError';
  readonly code = 'invalid-dataset';
}

/** 'counts': raw counts (normalize_total 1e4 + log1p here); 'log1p': already log-normalised (used as is). */
export type InputKind = 'counts' | 'log1p';

/** The normalisation an input kind needs: normalize_total 1e4 + log1p for counts, none for log1p values. */
export function normalizeFor(input: InputKind): NormalizeOptions {
  return input === 'counts' ? defaultNormalize : { targetSum: null, log1p: false };
}

/** How rows of a matrix with `nVars` genes become the model's input `genes` (var indices, model order). */
export function poolInput(nVars: number, genes: ArrayLike<number>, input: InputKind): PoolInput {
  return { nVars, geneMap: geneMapFromSelection(nVars, genes), nSelected: genes.length, normalize: normalizeFor(input) };
}

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
  // The pass runs even when every gene is kept: it is where NaN, ±Inf and negative values are found
  // (with the first cell and gene) before training, and where an X without genes is refused.
  const moments = createGeneMoments(source.nVars);
  const input: HvgInput = options.input === 'counts' ? { kind: 'counts', targetSum: 1e4 } : { kind: 'log1p' };
  await forEachBlock(source, options, (block) => {
    const csr = blockToCsr(block);
    accumulateCsr(moments, csr, Int32Array.from({ length: csr.nRows }, (_, i) => i), input);
  }, 'genes');
  const selected = seuratHvg(moments.mean, variances(moments), Math.min(nTop, source.nVars)).selected;
  return nTop >= source.nVars ? Int32Array.from({ length: source.nVars }, (_, i) => i) : selected;
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
  const pool = poolInput(source.nVars, genes, options.input);
  await forEachBlock(source, options, (block, start) => {
    out.set(normalizedRows(block, pool), start * genes.length);
  }, 'expression', rows);
  return out;
}

/** Every row of a block as the model's input: dense [nRows, pool.nSelected] (src/cpu's gatherNormalize). */
export function normalizedRows(block: RowBlock, pool: PoolInput): Float32Array {
  const rowIds = Int32Array.from({ length: block.nRows }, (_, i) => i);
  return gatherNormalize(blockToCsr(block), rowIds, pool.geneMap, pool.nSelected, pool.normalize).x;
}

export interface Holdout {
  readonly cellType: string;
  readonly condition: string;
}

export function parseHoldout(text: string): Holdout {
  const i = text.lastIndexOf(':');
  if (i <= 0 || i === text.length - 1) throw new DatasetError(`--holdout must be CELLTYPE:CONDITION (both set), got "${text}"`);
  return { cellType: text.slice(0, i), condition: text.slice(i + 1) };
}

/** Whether a row is a cell of the held-out (cell type × condition) pair; an unknown category is an error. */
export function heldOutPredicate(conditions: CategoricalColumn, cellTypes: CategoricalColumn, holdout: Holdout): (row: number) => boolean {
  const t = categoryCode(cellTypes, holdout.cellType, 'held-out cell type');
  const c = categoryCode(conditions, holdout.condition, 'held-out condition');
  return (row) => cellTypes.codes[row] === t && conditions.codes[row] === c;
}

export function categoryCode(column: CategoricalColumn, value: string, what: string): number {
  const code = column.categories.indexOf(value);
  if (code < 0) throw new DatasetError(`${what} "${value}" is not a category; categories: ${column.categories.join(', ')}`);
  return code;
}
