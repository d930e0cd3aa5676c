// Streaming per-gene moments on the GPU for highly variable gene selection over an out-of-core
// dataset: each pool is gathered (all genes, normalised, no log) by gather-normalize.wgsl, reduced per
// chunk of rows by column-stats.wgsl, and the f32 chunk partials are merged in f64 on the CPU.
import mathCode from '../../shaders/math.wgsl?raw';
import statsCode from '../../shaders/column-stats.wgsl?raw';
import type { CsrBlock } from '../source/types.ts';
import { KernelInputError } from '../cpu/errors.ts';
import { createGeneMoments, mergeMoments, type GeneMoments, type HvgInput } from '../cpu/hvg.ts';
import { bindBuffers, createPipeline, createStorage, createUniformSlots, encodeDispatch, maxBindingBytes } from './buffers.ts';
import { createBatchGatherer } from './gather-normalize.ts';

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
  const pipeline = await createPipeline(device, 'column-stats', mathCode, statsCode);
  const maxChunks = Math.ceil(batchRows / chunkRows);
  const bytes = maxChunks * nVars * 8;
  const partials = createStorage(device, bytes, 'gene moment partials');
  const staging = device.createBuffer({ label: 'gene moments readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const params = createUniformSlots(device, 1, 'column-stats params');
  const bind = bindBuffers(device, pipeline, [gatherer.x, partials, { buffer: params, offset: 0, size: 16 }]);
  const paramsHost = new Uint32Array(4);
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
      paramsHost.set([n, nVars, chunkRows, input.kind === 'log1p' ? 1 : 0]);
      device.queue.writeBuffer(params, 0, paramsHost);
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
      for (const b of [partials, staging, params]) b.destroy();
    },
  };
}
