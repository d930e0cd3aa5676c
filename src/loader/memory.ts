// In-memory mode: when the selected rows (and selected genes) fit a budget, read them once,
// sequentially, and serve every later pool from memory.
import type { AnnDataSource, ObsValues, RowBlock, RowRun } from '../source/types.ts';
import { LoaderParameterError } from './errors.ts';
import { blockToCsr } from '../cpu/csr-pool.ts';
import { poolRowTotals } from '../cpu/gather-normalize.ts';
import { concatValues } from '../source/runs.ts';
import { concatBlocks, concatObs, gatherObs, gatherRows, selectColumns } from './blocks.ts';
import { denseRows } from './dense-batches.ts';
import type { PoolRead, RowReader } from './row-reader.ts';
import { sliceSelection, type Selection } from './selection.ts';

export interface MemoryEstimateInput {
  readonly source: AnnDataSource;
  readonly selection: Selection;
  readonly layer?: string;
  /** Number of selected genes (all when absent). */
  readonly nGenes?: number;
}

/** Bytes the selection occupies in memory as float32 values + int32/uint16 indices. */
export function estimateMemoryBytes({ source, selection, layer, nGenes }: MemoryEstimateInput): number {
  const info = layer ? source.layers[layer] : source.X;
  if (!info) throw new LoaderParameterError('layer', `the AnnData has no layer "${layer}"; layers: ${Object.keys(source.layers).join(', ') || 'none'}`);
  const share = selection.size / Math.max(1, source.nObs);
  const geneShare = nGenes === undefined ? 1 : nGenes / Math.max(1, source.nVars);
  if (info.encoding === 'array') return selection.size * (nGenes ?? source.nVars) * 4;
  const nnz = (info.nnz ?? source.nObs * source.nVars) * share * geneShare;
  const indexBytes = (nGenes ?? source.nVars) <= 65536 ? 2 : 4;
  return nnz * (4 + indexBytes) + (selection.size + 1) * 4;
}

export interface MemoryLoadOptions {
  readonly layer?: string;
  readonly obs?: readonly string[];
  /** Keep only these columns (output order); the batches then have nGenes columns. */
  readonly columnMap?: { readonly map: Int32Array; readonly nSelected: number };
  /** Rows per sequential read. */
  readonly readRows?: number;
  readonly signal?: AbortSignal;
  readonly onRows?: (done: number, total: number) => void;
}

/** Reads the whole selection through `reader` and returns a reader that serves it from memory. */
export async function loadIntoMemory(reader: RowReader, selection: Selection, options: MemoryLoadOptions): Promise<RowReader> {
  const step = options.readRows ?? 16384;
  const blocks: RowBlock[] = [];
  // the rows' totals over all genes, kept when only the selected genes are: library sizes
  const totals: Float32Array[] = [];
  const obsParts: Record<string, ObsValues[]> = {};
  for (let from = 0; from < selection.size; from += step) {
    options.signal?.throwIfAborted();
    const part = sliceSelection(selection, from, Math.min(selection.size, from + step));
    const read = await reader.read(part.runs, { layer: options.layer, obs: options.obs, signal: options.signal });
    for (const block of read.blocks) {
      if (!options.columnMap) blocks.push(block);
      else {
        totals.push(poolRowTotals(blockToCsr(block)));
        blocks.push(selectColumns(block, options.columnMap.map, options.columnMap.nSelected));
      }
    }
    for (const [name, values] of Object.entries(read.obs)) (obsParts[name] ??= []).push(values);
    options.onRows?.(Math.min(selection.size, from + step), selection.size);
  }
  const all = concatBlocks(blocks);
  const obs = Object.fromEntries(Object.entries(obsParts).map(([k, v]) => [k, concatObs(v)]));
  const columns = options.columnMap && { map: options.columnMap.map, identity: Int32Array.from({ length: options.columnMap.nSelected }, (_, i) => i), totals: concatValues(totals, selection.size) as Float32Array };
  return memoryRowReader(selection, all, obs, reader, columns);
}

/** The selected genes only: `map` is the gene map they were selected with, `totals` the rows' totals over all genes. */
interface MemoryColumns {
  readonly map: Int32Array;
  readonly identity: Int32Array;
  readonly totals: Float32Array;
}

function memoryRowReader(selection: Selection, block: RowBlock, obs: Record<string, ObsValues>, loadedThrough: RowReader, columns?: MemoryColumns): RowReader {
  const firstRows = selection.runs.map((r) => r.start);
  const position = (row: number): number => {
    let lo = 0;
    let hi = firstRows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firstRows[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    const run = selection.runs[lo]!;
    if (row < run.start || row >= run.end) throw new RangeError(`row ${row} was not loaded into memory`);
    return selection.offsets[lo]! + (row - run.start);
  };
  const transferred = loadedThrough.transfer();
  return {
    async read(runs: readonly RowRun[], options): Promise<PoolRead> {
      const n = runs.reduce((s, r) => s + (r.end - r.start), 0);
      const positions = new Uint32Array(n);
      let o = 0;
      for (const run of runs) {
        const p = position(run.start);
        position(run.end - 1); // throws when the run leaves the loaded selection
        for (let i = 0; i < run.end - run.start; i++) positions[o++] = p + i;
      }
      const want = options.obs ?? [];
      const missing = want.filter((name) => !(name in obs));
      if (missing.length) throw new LoaderParameterError('obs', `columns ${missing.join(', ')} were not loaded into memory`);
      const { dense, blocks = true } = options;
      if (dense && columns && dense.geneMap !== columns.map) throw new LoaderParameterError('genes', 'the rows in memory hold other genes than the batches ask for');
      return {
        blocks: blocks ? [gatherRows(block, positions)] : [],
        obs: Object.fromEntries(want.map((name) => [name, gatherObs(obs[name]!, positions)])),
        ...(dense
          ? { dense: dense.batches.map((batch) => denseRows(block, Uint32Array.from(batch, (p) => positions[p]!), columns ? { ...dense, geneMap: columns.identity } : dense, columns?.totals)) }
          : {}),
      };
    },
    transfer: () => ({ ...transferred }),
    close: async () => {}, // the reader it was loaded through belongs to the caller
  };
}
