// AnnDataSource → zarr v3 AnnData store (annbatch layout), optionally pre-shuffled into annbatch's
// collection layout. Everything that can fail on the source (obs columns, var names, X) is read
// or checked before the first byte is written.
import { TrvaeError } from '../errors.ts';
import type { AnnDataSource, CsrBlock, DenseBlock, ObsValues, RowBlock, RowRun } from '../source/types.ts';
import { gatherObs, gatherRows } from '../loader/blocks.ts';
import { createRng, permutation } from '../random.ts';
import { defaultLayout, indexDtypeFor, writeAnnDataGroup, type AnnDataInput, type DataFrameInput, type LayoutOptions, type MatrixInput } from './anndata-writer.ts';
import type { StoreSink } from './sink.ts';
import { writeConsolidatedRoot, type NodeMetadata } from './zarr-v3.ts';

export class ConvertError extends TrvaeError {
  override readonly name = 'ConvertError';
  readonly code = 'unconvertible';
}

export interface ConvertProgress {
  readonly phase: 'checking' | 'writing';
  readonly rows: number;
  readonly totalRows: number;
}

export interface ConvertOptions {
  /** Write annbatch's pre-shuffled collection (dataset_0, dataset_1, …) instead of one AnnData. */
  readonly shuffle?: boolean;
  readonly seed?: number;
  readonly layout?: LayoutOptions;
  /** Pre-shuffle: rows moved together before the full permutation of a dataset (annbatch: 1000). */
  readonly shuffleRunRows?: number;
  /** Pre-shuffle: uncompressed bytes per dataset (each is loaded whole to permute it). Default 2 GiB. */
  readonly datasetBytes?: number;
  /** Rows per read when copying in order. */
  readonly readRows?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ConvertProgress) => void;
}

export interface ConvertSummary {
  readonly nObs: number;
  readonly nVars: number;
  readonly datasets: number;
  readonly encoding: 'csr_matrix' | 'array';
}

interface SourceTables {
  readonly obsNames: string[];
  readonly varNames: string[];
  readonly columns: { name: string; values: ObsValues; dtype: string }[];
  readonly encoding: 'csr_matrix' | 'array';
}

/** anndata sources may expose obs names; without them the index is the row number. */
async function obsNamesOf(source: AnnDataSource): Promise<string[]> {
  const withNames = source as AnnDataSource & { obsNames?: () => Promise<string[]> };
  if (typeof withNames.obsNames === 'function') return withNames.obsNames();
  return Array.from({ length: source.nObs }, (_, i) => String(i));
}

async function readTables(source: AnnDataSource, signal?: AbortSignal): Promise<SourceTables> {
  const encoding = source.X.encoding === 'array' ? 'array' : source.X.encoding === 'csr_matrix' || source.X.encoding === 'csc_matrix' ? 'csr_matrix' : null;
  if (!encoding) throw new ConvertError(`${source.label}: X has encoding "${String(source.X.encoding)}", which cannot be converted (csr_matrix, csc_matrix or array)`);
  // A copy must not silently drop a column the reader could not open.
  const unreadable = source.unreadableObsColumns?.[0];
  if (unreadable) throw new ConvertError(`${source.label}: obs column "${unreadable.name}" (${unreadable.encoding}) cannot be read: ${unreadable.reason}`);
  const columns = [];
  for (const info of source.obsColumns) {
    signal?.throwIfAborted();
    try {
      columns.push({ name: info.name, values: await source.readObs(info.name, signal), dtype: info.dtype });
    } catch (e) {
      throw new ConvertError(`${source.label}: obs column "${info.name}" (${info.encoding}) cannot be read: ${(e as Error).message}`, { cause: e });
    }
  }
  const varNames = await source.varNames();
  const obsNames = await obsNamesOf(source);
  if (source.nObs > 0) await source.readRows([{ start: 0, end: 1 }], { signal });
  return { obsNames, varNames, columns, encoding };
}

function toCsr(block: RowBlock): CsrBlock {
  if (block.format === 'csr') return block;
  throw new ConvertError('a sparse X came back dense from the reader');
}

async function* matrixBlocks(
  source: AnnDataSource,
  runsOfPieces: readonly (readonly RowRun[])[],
  order: Uint32Array | null,
  layer: string | undefined,
  signal?: AbortSignal,
): AsyncIterable<RowBlock> {
  for (const runs of runsOfPieces) {
    signal?.throwIfAborted();
    const read = await source.readRows(runs, { signal, layer });
    yield order ? gatherRows(read.block, order) : read.block;
  }
}

function matrixInput(encoding: 'csr_matrix' | 'array', nnz: number, blocks: AsyncIterable<RowBlock>): MatrixInput {
  if (encoding === 'csr_matrix') {
    return {
      encoding,
      nnz,
      blocks: (async function* () {
        for await (const b of blocks) yield toCsr(b);
      })(),
    };
  }
  return {
    encoding,
    blocks: (async function* () {
      for await (const b of blocks) {
        if (b.format !== 'dense') throw new ConvertError('a dense X came back sparse from the reader');
        yield b as DenseBlock;
      }
    })(),
  };
}

function frame(names: readonly string[], columns: SourceTables['columns'], positions: Uint32Array | null): DataFrameInput {
  return {
    index: positions ? Array.from(positions, (p) => names[p]!) : names,
    columns: columns.map((c) => ({ name: c.name, dtype: c.dtype, values: positions ? gatherObs(c.values, positions) : c.values })),
  };
}

export async function convertAnnData(source: AnnDataSource, sink: StoreSink, options: ConvertOptions = {}): Promise<ConvertSummary> {
  const { signal } = options;
  const layout = options.layout ?? defaultLayout;
  options.onProgress?.({ phase: 'checking', rows: 0, totalRows: source.nObs });
  const tables = await readTables(source, signal);
  const nnz = source.X.nnz ?? 0;
  const varFrame: DataFrameInput = { index: tables.varNames, columns: [] };
  const nodes: NodeMetadata = new Map();
  const report = (rows: number, base: number) => options.onProgress?.({ phase: 'writing', rows: base + rows, totalRows: source.nObs });

  if (!options.shuffle) {
    const step = options.readRows ?? 16384;
    const pieces: RowRun[][] = [];
    for (let s = 0; s < source.nObs; s += step) pieces.push([{ start: s, end: Math.min(source.nObs, s + step) }]);
    const input: AnnDataInput = {
      nObs: source.nObs,
      nVars: source.nVars,
      X: matrixInput(tables.encoding, nnz, matrixBlocks(source, pieces, null, undefined, signal)),
      layers: Object.fromEntries(
        Object.entries(source.layers).map(([name, info]) => [
          name,
          matrixInput(info.encoding === 'array' ? 'array' : 'csr_matrix', info.nnz ?? 0, matrixBlocks(source, pieces, null, name, signal)),
        ]),
      ),
      obs: frame(tables.obsNames, tables.columns, null),
      var: varFrame,
    };
    await writeAnnDataGroup(sink, nodes, '', input, { layout, onRows: (r) => report(r, 0) });
    await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
    return { nObs: source.nObs, nVars: source.nVars, datasets: 1, encoding: tables.encoding };
  }

  // annbatch pre-shuffle: runs of 1000 rows in random order, cut into datasets by size,
  // each dataset read (runs sorted, for sequential I/O) and written fully permuted.
  const rng = createRng(options.seed ?? 0, 0x5eed);
  const runRows = options.shuffleRunRows ?? 1000;
  const nRuns = Math.ceil(source.nObs / runRows);
  const runOrder = permutation(nRuns, rng);
  const bytesPerRow =
    tables.encoding === 'array' ? source.nVars * 4 : (nnz / Math.max(1, source.nObs)) * (4 + (indexDtypeFor(source.nVars) === 'uint16' ? 2 : 4)) + 8;
  const runsPerDataset = Math.max(1, Math.floor((options.datasetBytes ?? 2 ** 31) / (bytesPerRow * runRows)));
  let written = 0;
  let datasets = 0;
  for (let d = 0; d * runsPerDataset < nRuns; d++) {
    const chosen = Array.from(runOrder.subarray(d * runsPerDataset, (d + 1) * runsPerDataset)).sort((a, b) => a - b);
    const runs: RowRun[] = chosen.map((r) => ({ start: r * runRows, end: Math.min(source.nObs, (r + 1) * runRows) }));
    const rows = runs.reduce((n, r) => n + r.end - r.start, 0);
    // global row id of each position of the sorted read
    const globalRows = new Uint32Array(rows);
    let o = 0;
    for (const r of runs) for (let i = r.start; i < r.end; i++) globalRows[o++] = i;
    const perm = permutation(rows, rng);
    const pieceRows = options.readRows ?? 16384;
    const permuted = async (layer: string | undefined, encoding: 'csr_matrix' | 'array'): Promise<MatrixInput> => {
      const { block } = await source.readRows(runs, { signal, layer });
      const pieces = async function* (): AsyncIterable<RowBlock> {
        for (let s = 0; s < rows; s += pieceRows) {
          signal?.throwIfAborted();
          yield gatherRows(block, perm.subarray(s, Math.min(rows, s + pieceRows)));
        }
      };
      return matrixInput(encoding, block.format === 'csr' ? Number(block.indptr[block.nRows]) : 0, pieces());
    };
    const permutedRows = Uint32Array.from(perm, (p) => globalRows[p]!);
    const layers: Record<string, MatrixInput> = {};
    for (const [name, info] of Object.entries(source.layers)) layers[name] = await permuted(name, info.encoding === 'array' ? 'array' : 'csr_matrix');
    const input: AnnDataInput = {
      nObs: rows,
      nVars: source.nVars,
      X: await permuted(undefined, tables.encoding),
      layers,
      obs: frame(tables.obsNames, tables.columns, permutedRows),
      var: varFrame,
    };
    const base = written;
    await writeAnnDataGroup(sink, nodes, `dataset_${d}`, input, { layout, onRows: (r) => report(r, base) });
    written += rows;
    datasets++;
  }
  await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'annbatch-preshuffled', 'encoding-version': '0.1.0' });
  return { nObs: source.nObs, nVars: source.nVars, datasets, encoding: tables.encoding };
}

