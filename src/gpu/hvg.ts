// Highly variable genes of an out-of-core dataset with the per-gene moments on the GPU: each block
// of rows is gathered (all genes, normalised, no log) by gather-normalize.wgsl, reduced per chunk of
// rows by column-stats.wgsl, and the f32 chunk partials are merged in f64 on the CPU; then scanpy's
// seurat flavour on the CPU, as the CPU twin (src/cpu/hvg.ts, used by src/model/dataset.ts).
import code from '../../shaders/column-stats.wgsl?raw';
import type { AnnDataSource, CsrBlock, RowBlock } from '../source/types.ts';
import { SourceError } from '../source/errors.ts';
import { badValuesError, findBadValues } from '../cpu/bad-values.ts';
import { KernelInputError } from '../cpu/errors.ts';
import { blockToCsr } from '../cpu/csr-pool.ts';
import { defaultNormalize } from '../cpu/normalize-options.ts';
import { createGeneMoments, mergeMoments, seuratHvg, variances, type GeneMoments, type HvgInput } from '../cpu/hvg.ts';
import { bindBuffers, createStorage, encodeDispatch, maxBindingBytes } from './buffers.ts';
import { createBatchGatherer } from './gather-normalize.ts';
import { createKernelPipeline, createParamSlots, defineKernel, defineParams } from './kernel.ts';
import { mathWgsl } from './wgsl-modules.ts';

export interface GeneMomentsOptions {
  readonly nVars: number;
  readonly input: HvgInput;
  /** Rows gathered per dispatch; capped so a dense [rows, nVars] batch fits one binding. Default 4,096. */
  readonly maxBatchRows?: number;
}

export interface AddRowsOptions {
  readonly signal?: AbortSignal;
  /** Called with (rows done, rows) after each gathered batch. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface GpuGeneMoments {
  /** The running moments (float64, merged on the CPU). */
  readonly moments: GeneMoments;
  /** Accumulate `rowIds` of `pool` (default: all its rows); resolves when merged. */
  add(pool: CsrBlock, rowIds?: ArrayLike<number>, options?: AddRowsOptions): Promise<void>;
  destroy(): void;
}

const columnStatsKernel = defineKernel({
  label: 'column-stats',
  code,
  includes: [mathWgsl],
  params: defineParams({ rows: 'u32', cols: 'u32', chunk_rows: 'u32', expm1_input: 'u32' }),
});

const chunkRows = 256;

export async function createGpuGeneMoments(device: GPUDevice, { nVars, input, maxBatchRows = 4096 }: GeneMomentsOptions): Promise<GpuGeneMoments> {
  if (!(Number.isInteger(nVars) && nVars > 0)) throw new KernelInputError('nVars', `must be a positive integer; got ${nVars}`);
  if (nVars > 64 * device.limits.maxComputeWorkgroupsPerDimension) {
    throw new KernelInputError('nVars', `${nVars} genes exceed one dispatch of column-stats; select genes first`);
  }
  const rowsFit = Math.floor(maxBindingBytes(device) / (4 * nVars));
  const batchRows = Math.max(1, Math.min(maxBatchRows, rowsFit));
  const identity = Int32Array.from({ length: nVars }, (_, g) => g);
  const gatherer = await createBatchGatherer(device, {
    nVars,
    geneMap: identity,
    maxBatchRows: batchRows,
    normalize: { targetSum: input.kind === 'counts' ? input.targetSum : null, log1p: false },
  });
  const pipeline = await createKernelPipeline(device, columnStatsKernel);
  const maxChunks = Math.ceil(batchRows / chunkRows);
  const bytes = maxChunks * nVars * 8;
  const partials = createStorage(device, bytes, 'gene moment partials');
  const staging = device.createBuffer({ label: 'gene moments readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const params = createParamSlots(device, columnStatsKernel.params, 1, 'column-stats params');
  const bind = bindBuffers(device, pipeline, [gatherer.x, partials, params.binding()]);
  const moments = createGeneMoments(nVars);

  async function add(pool: CsrBlock, rowIds?: ArrayLike<number>, { signal, onProgress }: AddRowsOptions = {}): Promise<void> {
    signal?.throwIfAborted();
    gatherer.setPool(pool);
    const rows = rowIds ?? Int32Array.from({ length: pool.nRows }, (_, i) => i);
    for (let first = 0; first < rows.length; first += batchRows) {
      signal?.throwIfAborted();
      const n = Math.min(batchRows, rows.length - first);
      gatherer.run(Array.prototype.slice.call(rows, first, first + n) as number[]);
      const chunks = Math.ceil(n / chunkRows);
      params.set(0, { rows: n, cols: nVars, chunk_rows: chunkRows, expm1_input: input.kind === 'log1p' ? 1 : 0 });
      params.upload();
      const encoder = device.createCommandEncoder({ label: 'gene moments' });
      encodeDispatch(encoder, 'column-stats', pipeline, bind, Math.ceil(nVars / 64), chunks);
      encoder.copyBufferToBuffer(partials, 0, staging, 0, chunks * nVars * 8);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, chunks * nVars * 8);
      const f = new Float32Array(staging.getMappedRange(0, chunks * nVars * 8));
      for (let k = 0; k < chunks; k++) {
        const count = Math.min(chunkRows, n - k * chunkRows);
        mergeMoments(moments, count, f.subarray(2 * k * nVars), f.subarray(2 * k * nVars), 2, 0, 1);
      }
      staging.unmap();
      onProgress?.(first + n, rows.length);
    }
  }

  return {
    moments,
    add,
    destroy() {
      gatherer.destroy();
      for (const b of [partials, staging]) b.destroy();
      params.destroy();
    },
  };
}

export interface GpuHvgOptions {
  /** What the matrix holds: raw counts (normalised to 1e4 per cell here) or log1p(normalised) values. */
  readonly input: 'counts' | 'log1p';
  /** A layer instead of X. */
  readonly layer?: string;
  /** Rows per read of the source (default 4,096). */
  readonly rowsPerRead?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: 'genes', done: number, total: number) => void;
}

/**
 * Var indices of the top `nTop` highly variable genes (seurat flavour, over all cells), in var order:
 * the same selection as the CPU path (highlyVariableGenes in src/model/dataset.ts), with the moments
 * accumulated on `device`. Bad values (NaN, ±Inf, negative) throw the CPU pass's 'bad-values'
 * SourceError (src/cpu/bad-values.ts) before their block reaches the GPU; values that are finite but
 * overflow the kernels' float32 throw one naming the gene.
 */
export async function gpuHighlyVariableGenes(device: GPUDevice, source: AnnDataSource, nTop: number, options: GpuHvgOptions): Promise<Int32Array> {
  const { layer, signal } = options;
  if (nTop >= source.nVars) return Int32Array.from({ length: source.nVars }, (_, i) => i);
  const input: HvgInput = options.input === 'counts' ? { kind: 'counts', targetSum: defaultNormalize.targetSum as number } : { kind: 'log1p' };
  const stats = await createGpuGeneMoments(device, { nVars: source.nVars, input });
  try {
    const step = options.rowsPerRead ?? 4096;
    const matrix = layer ? `layer "${layer}"` : 'X';
    const read = (start: number) => source.readRows([{ start, end: Math.min(source.nObs, start + step) }], { layer, signal }).then((r) => r.block);
    // The next block is read while the GPU reduces this one.
    let next = source.nObs > 0 ? read(0) : undefined;
    for (let start = 0; next; start += step) {
      const block: RowBlock = await next;
      next = start + step < source.nObs ? read(start + step) : undefined;
      // A failed read is reported by the `await` above on the next turn; this only keeps it from being unhandled.
      next?.catch(() => undefined);
      const found = findBadValues(block, start);
      if (found) throw badValuesError(found, { where: `${source.label}: ${matrix}`, kind: options.input, geneName: await geneNames(source) });
      await stats.add(blockToCsr(block), undefined, { signal });
      const gene = firstNonFinite(stats.moments);
      if (gene >= 0) throw overflowError(source, matrix, gene, start, block.nRows, await geneNames(source));
      options.onProgress?.('genes', start + block.nRows, source.nObs);
    }
    return seuratHvg(stats.moments.mean, variances(stats.moments), nTop).selected;
  } finally {
    stats.destroy();
  }
}

function firstNonFinite(moments: GeneMoments): number {
  for (let g = 0; g < moments.mean.length; g++) if (!Number.isFinite(moments.mean[g]) || !Number.isFinite(moments.m2[g])) return g;
  return -1;
}

/** A var name lookup for messages; a source that cannot list names still gets its error. */
async function geneNames(source: AnnDataSource): Promise<(gene: number) => string | undefined> {
  const names = await source.varNames().catch(() => [] as string[]);
  return (gene) => names[gene];
}

/** Finite values whose moments overflow float32 on the GPU (the CPU path's float64 holds them). */
function overflowError(source: AnnDataSource, matrix: string, gene: number, start: number, rows: number, geneName: (gene: number) => string | undefined): SourceError {
  const name = geneName(gene);
  return new SourceError(
    'bad-values',
    `${source.label}: ${matrix}`,
    `${source.label}: the moments of gene ${gene}${name ? ` ('${name}')` : ''} in ${matrix} overflow float32 on the GPU (cells ${start}–${start + rows - 1}); ` +
      'values this large are neither raw counts nor log-normalised expression',
  );
}
