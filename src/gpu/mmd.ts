// Typed wrapper of shaders/mmd-tiles.wgsl: MMD between groups of rows of a GPU matrix (e.g. the MMD
// layer or latent of a whole dataset, straight from ORT's output buffer). The matrix is cut into row
// ranges that each fit one storage binding; rows are sorted by (range, group) on the CPU and cut into
// blocks of 16, and every pair of blocks is one tile. Tiles of one pair of ranges run in chunks
// (progress, abort), windows of chunks are read back, and their f32 partial sums are combined in f64.
import mathCode from '../../shaders/math.wgsl?raw';
import mmdCode from '../../shaders/mmd-tiles.wgsl?raw';
import { KernelInputError, KernelLimitError } from '../cpu/errors.ts';
import { groupCounts, mmdFromKernelSums, validateMmdInput, type MmdResult } from '../cpu/mmd.ts';
import { bindBuffers, createPipeline, createStorage, createUniformSlots, grid2d, maxBindingBytes, submitDispatch } from './buffers.ts';

export interface MmdEvaluatorOptions {
  readonly dims: number;
  readonly nGroups: number;
  /** Most rows one call takes; sizes the reused buffers. */
  readonly maxRows: number;
  /** Tiles (16×16 row pairs) per submitted chunk: bounds the work of one submit; default 4,096. */
  readonly tilesPerChunk?: number;
  /**
   * Largest binding of the input matrix, in bytes; default (and at most) the device's storage binding
   * limit. Inputs larger than this are evaluated in row ranges; lower it only to test that splitting.
   */
  readonly maxBindingBytes?: number;
}

export interface MmdRunOptions {
  readonly signal?: AbortSignal;
  /** Called with (tiles done, tiles) after each chunk of tiles. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MmdEvaluator {
  /**
   * MMD of the first `rows` rows of y, a [rows, dims] float32 matrix: a GPU buffer (used in place) or a
   * Float32Array (uploaded into reused buffers). codes: group per row in [0, nGroups), −1 = ignored.
   */
  run(y: GPUBuffer | Float32Array, rows: number, codes: ArrayLike<number>, options?: MmdRunOptions): Promise<MmdResult>;
  destroy(): void;
}

const blockRows = 16;
/** Chunks of tiles per readback window: bounds the tile list and readback buffers for any row count. */
const chunksPerWindow = 8;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export async function createMmdEvaluator(device: GPUDevice, options: MmdEvaluatorOptions): Promise<MmdEvaluator> {
  // Bounded work per submit keeps clear of GPU watchdogs and gives points to report progress and abort.
  const { dims, nGroups, maxRows, tilesPerChunk = 4096 } = options;
  validateMmdInput(0, 0, dims, [], nGroups);
  if (!(Number.isInteger(tilesPerChunk) && tilesPerChunk > 0)) {
    throw new KernelInputError('tilesPerChunk', `must be a positive integer; got ${tilesPerChunk}`);
  }
  if (!(Number.isInteger(maxRows) && maxRows > 0)) throw new KernelInputError('maxRows', `must be a positive integer; got ${maxRows}`);
  const limit = maxBindingBytes(device);
  const bindingBytes = options.maxBindingBytes ?? limit;
  if (!(Number.isInteger(bindingBytes) && bindingBytes > 0 && bindingBytes <= limit)) {
    throw new KernelInputError('maxBindingBytes', `must be a positive integer up to this device's ${limit}-byte binding limit; got ${bindingBytes}`);
  }
  // Row ranges start at offsets aligned for binding, so a GPU buffer input is bound in place.
  const rowBytes = dims * 4;
  const align = device.limits.minStorageBufferOffsetAlignment;
  const rowStep = align / gcd(rowBytes, align);
  const rangeRows = Math.floor(bindingBytes / rowBytes / rowStep) * rowStep;
  if (rangeRows === 0) {
    throw new KernelLimitError(`a ${bindingBytes}-byte storage binding cannot hold ${rowStep} rows × ${dims} dims (aligned to ${align} bytes); reduce dims`);
  }
  const maxRanges = Math.ceil(maxRows / rangeRows);
  const maxBlocks = Math.ceil(maxRows / blockRows) + nGroups * maxRanges;
  const windowTiles = Math.min((maxBlocks * (maxBlocks + 1)) / 2, tilesPerChunk * chunksPerWindow);
  if (maxRows * 4 > limit || maxBlocks * 8 > limit) {
    throw new KernelLimitError(`MMD over ${maxRows} rows exceeds this device's ${limit}-byte storage binding for the row order; evaluate a random subsample of rows`);
  }
  if (windowTiles * 8 > limit) {
    throw new KernelInputError('tilesPerChunk', `${tilesPerChunk} tiles per chunk need more than this device's ${limit}-byte storage binding; use fewer`);
  }
  const pipeline = await createPipeline(device, 'mmd-tiles', mathCode, mmdCode);
  const order = createStorage(device, maxRows * 4, 'mmd row order');
  const blocks = createStorage(device, maxBlocks * 8, 'mmd blocks');
  const tiles = createStorage(device, windowTiles * 8, 'mmd tiles');
  const partials = createStorage(device, windowTiles * 4, 'mmd tile sums');
  const staging = device.createBuffer({ label: 'mmd readback', size: windowTiles * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const params = createUniformSlots(device, 1, 'mmd params');
  // Float32Array inputs go to one buffer per row range (created on first use).
  const uploads: GPUBuffer[] = [];
  const orderHost = new Uint32Array(maxRows);
  const blocksHost = new Uint32Array(maxBlocks * 2);
  const blockGroup = new Int32Array(maxBlocks);
  const tilesHost = new Uint32Array(windowTiles * 2);
  const paramsHost = new Uint32Array(4);
  // Bind groups per pair of row ranges of the last input: repeated calls on the same input create nothing.
  let lastInput: { key: GPUBuffer | undefined; binds: (GPUBindGroup | undefined)[] } | undefined;

  /** Binding of row range r of the input: its own upload buffer, or a slice of a GPU buffer. */
  function rangeBinding(y: GPUBuffer | undefined, r: number): GPUBufferBinding {
    if (!y) return { buffer: uploads[r] };
    const offset = r * rangeRows * rowBytes;
    return { buffer: y, offset, size: Math.min(rangeRows * rowBytes, y.size - offset) };
  }

  function bindGroup(y: GPUBuffer | undefined, a: number, b: number): GPUBindGroup {
    if (!lastInput || lastInput.key !== y) lastInput = { key: y, binds: [] };
    const slot = a * maxRanges + b;
    lastInput.binds[slot] ??= bindBuffers(device, pipeline, [
      rangeBinding(y, a),
      rangeBinding(y, b),
      order,
      blocks,
      tiles,
      partials,
      { buffer: params, offset: 0, size: 16 },
    ]);
    return lastInput.binds[slot];
  }

  function upload(y: Float32Array, rows: number): void {
    for (let r = 0; r * rangeRows < rows; r++) {
      const first = r * rangeRows;
      uploads[r] ??= createStorage(device, Math.min(rangeRows, maxRows - first) * rowBytes, `mmd input rows ${first}+`);
      device.queue.writeBuffer(uploads[r], 0, y, first * dims, Math.min(rangeRows, rows - first) * dims);
    }
  }

  async function run(y: GPUBuffer | Float32Array, rows: number, codes: ArrayLike<number>, options: MmdRunOptions = {}): Promise<MmdResult> {
    const { signal, onProgress } = options;
    validateMmdInput(y instanceof Float32Array ? y : y.size / 4, rows, dims, codes, nGroups);
    if (rows > maxRows) throw new KernelInputError('rows', `${rows} is more than maxRows (${maxRows})`);
    signal?.throwIfAborted();
    const counts = groupCounts(codes, nGroups);
    const nRanges = Math.ceil(rows / rangeRows);
    // Counting sort of rows by (range, group), then blocks of ≤ 16 rows that never straddle a group or
    // a range; rangeBlocks[r] is the first block of range r.
    const keyCounts = new Int32Array(nRanges * nGroups + 1);
    for (let i = 0; i < rows; i++) if (codes[i] >= 0) keyCounts[Math.floor(i / rangeRows) * nGroups + codes[i] + 1]++;
    for (let k = 1; k <= nRanges * nGroups; k++) keyCounts[k] += keyCounts[k - 1];
    const cursor = keyCounts.slice(0, nRanges * nGroups);
    for (let i = 0; i < rows; i++) {
      if (codes[i] >= 0) {
        const range = Math.floor(i / rangeRows);
        orderHost[cursor[range * nGroups + codes[i]]++] = i - range * rangeRows;
      }
    }
    let nBlocks = 0;
    const rangeBlocks = new Int32Array(nRanges + 1);
    for (let r = 0; r < nRanges; r++) {
      rangeBlocks[r] = nBlocks;
      for (let g = 0; g < nGroups; g++) {
        const end = keyCounts[r * nGroups + g + 1];
        for (let s = keyCounts[r * nGroups + g]; s < end; s += blockRows) {
          blocksHost[2 * nBlocks] = s;
          blocksHost[2 * nBlocks + 1] = Math.min(blockRows, end - s);
          blockGroup[nBlocks++] = g;
        }
      }
    }
    rangeBlocks[nRanges] = nBlocks;
    const nTiles = (nBlocks * (nBlocks + 1)) / 2;
    const sums = new Float64Array(nGroups * nGroups);
    if (nTiles === 0) return mmdFromKernelSums(sums, counts);

    let matrix: GPUBuffer | undefined;
    if (y instanceof Float32Array) upload(y, rows);
    else matrix = y;
    device.queue.writeBuffer(order, 0, orderHost, 0, keyCounts[nRanges * nGroups]);
    device.queue.writeBuffer(blocks, 0, blocksHost, 0, 2 * nBlocks);

    // Tiles (i ≤ j) in order of range pair (a ≤ b), listed a window at a time: the next tile is (i, j).
    let a = 0;
    let b = 0;
    let i = rangeBlocks[0];
    let j = i;
    let done = 0;
    /** Skip to the first tile at or after (a, b, i, j) that exists; false when none is left. */
    function settle(): boolean {
      for (;;) {
        if (a >= nRanges) return false;
        if (b >= nRanges) {
          a++;
          b = a;
          i = rangeBlocks[a];
          j = i;
        } else if (i >= rangeBlocks[a + 1]) {
          b++;
          i = rangeBlocks[a];
          j = Math.max(i, rangeBlocks[b]);
        } else if (j >= rangeBlocks[b + 1]) {
          i++;
          j = Math.max(i, rangeBlocks[b]);
        } else {
          return true;
        }
      }
    }
    while (settle()) {
      // Fill a window with tiles, each dispatch covering one range pair and at most tilesPerChunk tiles.
      const dispatches: { first: number; count: number; a: number; b: number }[] = [];
      let filled = 0;
      while (filled < windowTiles && settle()) {
        const first = filled;
        const pairA = a;
        const pairB = b;
        while (filled < windowTiles && filled - first < tilesPerChunk && settle() && a === pairA && b === pairB) {
          tilesHost[2 * filled] = i;
          tilesHost[2 * filled + 1] = j++;
          filled++;
        }
        dispatches.push({ first, count: filled - first, a: pairA, b: pairB });
      }
      device.queue.writeBuffer(tiles, 0, tilesHost, 0, 2 * filled);
      for (const d of dispatches) {
        signal?.throwIfAborted();
        const [gx, gy] = grid2d(device, d.count);
        paramsHost.set([d.count, dims, gx, d.first]);
        device.queue.writeBuffer(params, 0, paramsHost);
        submitDispatch(device, 'mmd tiles', pipeline, bindGroup(matrix, d.a, d.b), gx, gy);
        done += d.count;
        if (onProgress) {
          await device.queue.onSubmittedWorkDone();
          onProgress(done, nTiles);
        }
      }
      const encoder = device.createCommandEncoder({ label: 'mmd readback' });
      encoder.copyBufferToBuffer(partials, 0, staging, 0, filled * 4);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, filled * 4);
      const tileSums = new Float32Array(staging.getMappedRange(0, filled * 4));
      for (let t = 0; t < filled; t++) {
        const g = blockGroup[tilesHost[2 * t]];
        const h = blockGroup[tilesHost[2 * t + 1]];
        const s = tileSums[t];
        if (tilesHost[2 * t] === tilesHost[2 * t + 1]) {
          sums[g * nGroups + g] += s;
        } else if (g === h) {
          sums[g * nGroups + g] += 2 * s; // an off-diagonal tile inside a group stands for its mirror too
        } else {
          sums[g * nGroups + h] += s;
          sums[h * nGroups + g] += s;
        }
      }
      staging.unmap();
    }
    return mmdFromKernelSums(sums, counts);
  }

  return {
    run,
    destroy() {
      for (const buffer of [order, blocks, tiles, partials, staging, params, ...uploads]) buffer.destroy();
      uploads.length = 0;
      lastInput = undefined;
    },
  };
}
