// Typed wrapper of shaders/gather-normalize.wgsl: a CSR pool uploaded once, then any number of
// batches gathered from it into reused buffers.
import code from '../../shaders/gather-normalize.wgsl?raw';
import type { CsrBlock } from '../source/types.ts';
import { KernelInputError, KernelLimitError } from '../cpu/errors.ts';
import { validateCsrPool, validateGeneMap, validateRowIds } from '../cpu/csr-pool.ts';
import { inverseStd, validateNormalize, type NormalizeOptions } from '../cpu/normalize-options.ts';
import { bindBuffers, createStorage, grid2d, maxBindingBytes, writePadded } from './buffers.ts';
import { createKernelPipeline, createParamSlots, defineKernel, defineParams, type ParamSlots } from './kernel.ts';
import { mathWgsl } from './wgsl-modules.ts';

export interface BatchGathererOptions {
  /** Genes of the pool (var axis). */
  readonly nVars: number;
  /** var index → output column, −1 = dropped (see geneMapFromSelection). */
  readonly geneMap: Int32Array;
  /** Largest batch `run` accepts; sizes the reused output buffers. */
  readonly maxBatchRows: number;
  readonly normalize: NormalizeOptions;
  /** Cap on one pool segment's binding, below the device limit (to exercise splitting, or save memory). */
  readonly maxSegmentBytes?: number;
}

export interface BatchGatherer {
  readonly nSelected: number;
  /** [maxBatchRows, nSelected] float32; the first `rows` rows hold the last batch. */
  readonly x: GPUBuffer;
  /** [maxBatchRows] float32: library size (total of the full row) of each batch row. */
  readonly sizeFactors: GPUBuffer;
  /** Upload a pool (validated); buffers are reused when the new pool fits in them. */
  setPool(pool: CsrBlock): void;
  /** Number of segments the current pool was split into to respect the binding limit. */
  readonly segmentCount: number;
  /** Gather and normalise `rowIds` (pool rows, batch order) into `x` and `sizeFactors`; submits to the queue. */
  run(rowIds: ArrayLike<number>): void;
  destroy(): void;
}

interface Segment {
  firstRow: number;
  rows: number;
  data: GPUBuffer;
  indices: GPUBuffer;
  indptr: GPUBuffer;
}

const gatherParams = defineParams({
  row_count: 'u32', // entries of row_list handled by this dispatch
  row_offset: 'u32', // first entry
  n_selected: 'u32',
  n_vars: 'u32',
  packed_u16: 'u32', // 1: indices are uint16, two per word (little-endian); 0: one index per word
  flags: 'u32', // the flag* bits below
  groups_x: 'u32', // workgroups along x of the 2-D dispatch
  target_sum: 'f32',
  clip: 'f32',
});

const gatherKernel = defineKernel({ label: 'gather-normalize', code, includes: [mathWgsl], params: gatherParams });

const flagNormalize = 1;
const flagLog1p = 2;
const flagScale = 4;

export async function createBatchGatherer(device: GPUDevice, options: BatchGathererOptions): Promise<BatchGatherer> {
  const { nVars, geneMap, maxBatchRows, normalize } = options;
  const nSelected = validateGeneMap(geneMap, nVars);
  validateNormalize(normalize, nSelected);
  if (!(Number.isInteger(maxBatchRows) && maxBatchRows > 0)) {
    throw new KernelInputError('maxBatchRows', `must be a positive integer; got ${maxBatchRows}`);
  }
  const bindLimit = maxBindingBytes(device);
  const segmentLimit = Math.min(bindLimit, options.maxSegmentBytes ?? Infinity);
  if (maxBatchRows * Math.max(1, nSelected) * 4 > bindLimit) {
    throw new KernelLimitError(
      `a ${maxBatchRows} × ${nSelected} float32 batch exceeds this device's ${bindLimit}-byte storage binding; ` +
        `use maxBatchRows ≤ ${Math.floor(bindLimit / (4 * Math.max(1, nSelected)))}`,
    );
  }
  const gather = await createKernelPipeline(device, gatherKernel);

  const x = createStorage(device, maxBatchRows * nSelected * 4, 'batch x');
  const sizeFactors = createStorage(device, maxBatchRows * 4, 'batch size factors');
  const rowList = createStorage(device, maxBatchRows * 8, 'batch row list');
  const rowListHost = new Uint32Array(maxBatchRows * 2);
  const columnWords = new Uint32Array(nVars + 2 * nSelected);
  columnWords.set(new Uint32Array(geneMap.buffer, geneMap.byteOffset, nVars));
  if (normalize.scale) {
    const f = new Float32Array(columnWords.buffer);
    f.set(normalize.scale.mean, nVars);
    f.set(inverseStd(normalize.scale.std), nVars + nSelected);
  }
  const columns = createStorage(device, columnWords.byteLength, 'gene map and scaling');
  writePadded(device, columns, columnWords);

  const flags =
    (normalize.targetSum !== null ? flagNormalize : 0) | (normalize.log1p ? flagLog1p : 0) | (normalize.scale ? flagScale : 0);
  const target = normalize.targetSum ?? 0;
  const clip = normalize.scale?.clip ?? 0;

  let pool: CsrBlock | undefined;
  let packedU16 = 0;
  let segments: Segment[] = [];
  // One uniform slot per segment.
  let params: ParamSlots<typeof gatherParams.fields> | undefined;
  let slotCount = 0;
  let bindGroups: GPUBindGroup[] = [];
  let segmentStarts = new Int32Array(0);
  let counts = new Uint32Array(0);
  let offsets = new Uint32Array(0);
  let cursor = new Uint32Array(0);
  const segmentOfEntry = new Uint32Array(maxBatchRows);

  /** Runs of whole rows whose data (4 bytes per non-zero, the widest array) and indptr fit one binding. */
  function splitRows(p: CsrBlock): { firstRow: number; rows: number }[] {
    if (p.nRows === 0) return [{ firstRow: 0, rows: 0 }];
    const out: { firstRow: number; rows: number }[] = [];
    for (let first = 0; first < p.nRows; ) {
      let end = first;
      while (end < p.nRows && (p.indptr[end + 1] - p.indptr[first]) * 4 <= segmentLimit && (end + 2 - first) * 4 <= segmentLimit) end++;
      if (end === first) {
        throw new KernelLimitError(
          `pool row ${first} has ${p.indptr[first + 1] - p.indptr[first]} non-zeros, more than one ${segmentLimit}-byte binding holds`,
        );
      }
      out.push({ firstRow: first, rows: end - first });
      first = end;
    }
    return out;
  }

  /** `buffer` if it holds `bytes`, else a new one with headroom for the next, slightly larger pool. */
  function ensure(buffer: GPUBuffer | undefined, bytes: number, label: string): GPUBuffer {
    if (buffer && buffer.size >= bytes) return buffer;
    buffer?.destroy();
    return createStorage(device, Math.max(bytes, Math.min(Math.ceil(bytes * 1.25), segmentLimit)), label);
  }

  function setPool(p: CsrBlock): void {
    if (p.nCols !== nVars) throw new KernelInputError('pool.nCols', `is ${p.nCols}, the gatherer was made for ${nVars} genes`);
    validateCsrPool(p);
    for (const [i, s] of p.indptr.entries()) {
      if (s > 0x7fffffff) throw new KernelLimitError(`pool has ${s} non-zeros at row ${i}; split it into pools below 2^31`);
    }
    packedU16 = p.indices instanceof Uint16Array ? 1 : 0;
    const layout = splitRows(p);
    const old = segments;
    segments = layout.map(({ firstRow, rows }, s) => {
      const start = p.indptr[firstRow];
      const end = p.indptr[firstRow + rows];
      const prev = old[s];
      const indexBytes = (end - start) * p.indices.BYTES_PER_ELEMENT;
      const seg: Segment = {
        firstRow,
        rows,
        data: ensure(prev?.data, (end - start) * 4, `pool data ${s}`),
        indices: ensure(prev?.indices, indexBytes, `pool indices ${s}`),
        indptr: ensure(prev?.indptr, (rows + 1) * 4, `pool indptr ${s}`),
      };
      writePadded(device, seg.data, p.data.subarray(start, end));
      writePadded(device, seg.indices, p.indices.subarray(start, end));
      const local = new Uint32Array(rows + 1);
      for (let r = 0; r <= rows; r++) local[r] = p.indptr[firstRow + r] - start;
      writePadded(device, seg.indptr, local);
      return seg;
    });
    for (const extra of old.slice(segments.length)) {
      extra.data.destroy();
      extra.indices.destroy();
      extra.indptr.destroy();
    }
    if (!params || slotCount < segments.length) {
      params?.destroy();
      slotCount = segments.length;
      params = createParamSlots(device, gatherParams, slotCount, 'gather-normalize params');
    }
    const slots = params;
    bindGroups = segments.map((seg, s) =>
      bindBuffers(device, gather, [seg.data, seg.indices, seg.indptr, rowList, columns, x, sizeFactors, slots.binding(s)]),
    );
    segmentStarts = Int32Array.from(segments, (seg) => seg.firstRow);
    counts = new Uint32Array(segments.length);
    offsets = new Uint32Array(segments.length);
    cursor = new Uint32Array(segments.length);
    pool = p;
  }

  function segmentIndex(row: number): number {
    const starts = segmentStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  function run(rowIds: ArrayLike<number>): void {
    if (!pool || !params) throw new KernelInputError('pool', 'no pool uploaded; call setPool first');
    validateRowIds(rowIds, pool.nRows, maxBatchRows);
    const n = rowIds.length;
    if (n === 0) return;
    // Counting sort of the batch rows by segment: each segment's rows are one contiguous run of row_list.
    const seg = segmentOfEntry;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(seg[i] = segmentIndex(rowIds[i]))]++;
    for (let s = 1; s < segments.length; s++) offsets[s] = offsets[s - 1] + counts[s - 1];
    cursor.set(offsets);
    for (let i = 0; i < n; i++) {
      const k = cursor[seg[i]]++;
      rowListHost[2 * k] = i;
      rowListHost[2 * k + 1] = rowIds[i] - segments[seg[i]].firstRow;
    }
    device.queue.writeBuffer(rowList, 0, rowListHost, 0, 2 * n);
    for (let s = 0; s < segments.length; s++) {
      const [gx] = grid2d(device, Math.max(1, counts[s]));
      params.set(s, { row_count: counts[s], row_offset: offsets[s], n_selected: nSelected, n_vars: nVars, packed_u16: packedU16, flags, groups_x: gx, target_sum: target, clip });
    }
    params.upload(segments.length);

    const encoder = device.createCommandEncoder({ label: 'gather-normalize' });
    const compute = encoder.beginComputePass({ label: 'gather-normalize' });
    compute.setPipeline(gather);
    for (let s = 0; s < segments.length; s++) {
      if (counts[s] === 0) continue;
      compute.setBindGroup(0, bindGroups[s]);
      compute.dispatchWorkgroups(...grid2d(device, counts[s]));
    }
    compute.end();
    device.queue.submit([encoder.finish()]);
  }

  return {
    nSelected,
    x,
    sizeFactors,
    setPool,
    get segmentCount() {
      return segments.length;
    },
    run,
    destroy() {
      for (const s of segments) {
        s.data.destroy();
        s.indices.destroy();
        s.indptr.destroy();
      }
      for (const b of [x, sizeFactors, rowList, columns]) b.destroy();
      params?.destroy();
    },
  };
}
