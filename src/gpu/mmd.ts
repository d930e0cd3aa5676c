// Typed wrapper of shaders/mmd-tiles.wgsl: MMD between groups of rows of a GPU matrix (e.g. the MMD
// layer or latent of a whole dataset, straight from ORT's output buffer). Rows are grouped by code on
// the CPU, cut into blocks of 16, and every pair of blocks is one tile; tiles run in chunks (progress,
// abort) and their f32 partial sums are combined in f64.
import mathCode from '../../shaders/math.wgsl?raw';
import mmdCode from '../../shaders/mmd-tiles.wgsl?raw';
import { KernelInputError, KernelLimitError } from '../cpu/errors.ts';
import { groupCounts, mmdFromKernelSums, validateMmdInput, type MmdResult } from '../cpu/mmd.ts';
import { bindBuffers, createPipeline, createStorage, createUniformSlots, grid2d, maxBindingBytes } from './buffers.ts';

export interface MmdEvaluatorOptions {
  readonly dims: number;
  readonly nGroups: number;
  /** Most rows one call takes; sizes the reused buffers. */
  readonly maxRows: number;
  /** Tiles (16×16 row pairs) per submitted chunk: bounds the work of one submit; default 4,096. */
  readonly tilesPerChunk?: number;
}

export interface MmdRunOptions {
  readonly signal?: AbortSignal;
  /** Called with (tiles done, tiles) after each chunk of tiles. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MmdEvaluator {
  /**
   * MMD of the first `rows` rows of y, a [rows, dims] float32 matrix: a GPU buffer (used in place) or a
   * Float32Array (uploaded into a reused buffer). codes: group per row in [0, nGroups), −1 = ignored.
   */
  run(y: GPUBuffer | Float32Array, rows: number, codes: ArrayLike<number>, options?: MmdRunOptions): Promise<MmdResult>;
  destroy(): void;
}

const blockRows = 16;

export async function createMmdEvaluator(device: GPUDevice, options: MmdEvaluatorOptions): Promise<MmdEvaluator> {
  // Bounded work per submit keeps clear of GPU watchdogs and gives points to report progress and abort.
  const { dims, nGroups, maxRows, tilesPerChunk = 4096 } = options;
  validateMmdInput(0, 0, dims, [], nGroups);
  if (!(Number.isInteger(tilesPerChunk) && tilesPerChunk > 0)) {
    throw new KernelInputError('tilesPerChunk', `must be a positive integer; got ${tilesPerChunk}`);
  }
  if (!(Number.isInteger(maxRows) && maxRows > 0)) throw new KernelInputError('maxRows', `must be a positive integer; got ${maxRows}`);
  const maxBlocks = Math.ceil(maxRows / blockRows) + nGroups;
  const maxTiles = (maxBlocks * (maxBlocks + 1)) / 2;
  const limit = maxBindingBytes(device);
  if (maxTiles * 8 > limit || maxRows * dims * 4 > limit) {
    throw new KernelLimitError(
      `MMD over ${maxRows} rows × ${dims} dims exceeds this device's ${limit}-byte storage binding; evaluate a random subsample of rows`,
    );
  }
  const pipeline = await createPipeline(device, 'mmd-tiles', mathCode, mmdCode);
  const order = createStorage(device, maxRows * 4, 'mmd row order');
  const blocks = createStorage(device, maxBlocks * 8, 'mmd blocks');
  const tiles = createStorage(device, maxTiles * 8, 'mmd tiles');
  const partials = createStorage(device, Math.min(maxTiles, tilesPerChunk) * 4, 'mmd tile sums');
  const staging = device.createBuffer({ label: 'mmd readback', size: maxTiles * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const params = createUniformSlots(device, 1, 'mmd params');
  let upload: GPUBuffer | undefined;
  const orderHost = new Uint32Array(maxRows);
  const blocksHost = new Uint32Array(maxBlocks * 2);
  const blockGroup = new Int32Array(maxBlocks);
  const tilesHost = new Uint32Array(maxTiles * 2);
  const paramsHost = new Uint32Array(4);
  // The bind group of the last input buffer: repeated calls on the same buffer create nothing.
  let lastInput: { buffer: GPUBuffer; bind: GPUBindGroup } | undefined;

  function bindGroup(y: GPUBuffer): GPUBindGroup {
    if (lastInput?.buffer !== y) {
      lastInput = { buffer: y, bind: bindBuffers(device, pipeline, [y, order, blocks, tiles, partials, { buffer: params, offset: 0, size: 16 }]) };
    }
    return lastInput.bind;
  }

  async function run(y: GPUBuffer | Float32Array, rows: number, codes: ArrayLike<number>, options: MmdRunOptions = {}): Promise<MmdResult> {
    const { signal, onProgress } = options;
    validateMmdInput(y instanceof Float32Array ? y : y.size / 4, rows, dims, codes, nGroups);
    if (rows > maxRows) throw new KernelInputError('rows', `${rows} is more than maxRows (${maxRows})`);
    signal?.throwIfAborted();
    const counts = groupCounts(codes, nGroups);
    // Counting sort of rows by group, then blocks of ≤ 16 rows that never straddle two groups.
    const starts = new Int32Array(nGroups + 1);
    for (let g = 0; g < nGroups; g++) starts[g + 1] = starts[g] + counts[g];
    const cursor = starts.slice(0, nGroups);
    for (let i = 0; i < rows; i++) if (codes[i] >= 0) orderHost[cursor[codes[i]]++] = i;
    let nBlocks = 0;
    for (let g = 0; g < nGroups; g++) {
      for (let s = starts[g]; s < starts[g + 1]; s += blockRows) {
        blocksHost[2 * nBlocks] = s;
        blocksHost[2 * nBlocks + 1] = Math.min(blockRows, starts[g + 1] - s);
        blockGroup[nBlocks++] = g;
      }
    }
    let nTiles = 0;
    for (let i = 0; i < nBlocks; i++) {
      for (let j = i; j < nBlocks; j++) {
        tilesHost[2 * nTiles] = i;
        tilesHost[2 * nTiles + 1] = j;
        nTiles++;
      }
    }
    const sums = new Float64Array(nGroups * nGroups);
    if (nTiles === 0) return mmdFromKernelSums(sums, counts);

    let matrix: GPUBuffer;
    if (y instanceof Float32Array) {
      if (!upload) upload = createStorage(device, maxRows * dims * 4, 'mmd input');
      device.queue.writeBuffer(upload, 0, y, 0, rows * dims);
      matrix = upload;
    } else {
      matrix = y;
    }
    device.queue.writeBuffer(order, 0, orderHost, 0, starts[nGroups]);
    device.queue.writeBuffer(blocks, 0, blocksHost, 0, 2 * nBlocks);
    device.queue.writeBuffer(tiles, 0, tilesHost, 0, 2 * nTiles);
    const bind = bindGroup(matrix);
    for (let first = 0; first < nTiles; first += tilesPerChunk) {
      signal?.throwIfAborted();
      const count = Math.min(tilesPerChunk, nTiles - first);
      const [gx, gy] = grid2d(device, count);
      paramsHost.set([count, dims, gx, first]);
      device.queue.writeBuffer(params, 0, paramsHost);
      const encoder = device.createCommandEncoder({ label: 'mmd' });
      const pass = encoder.beginComputePass({ label: 'mmd tiles' });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind, []);
      pass.dispatchWorkgroups(gx, gy);
      pass.end();
      // Each chunk's tile sums land at their place in the readback buffer.
      encoder.copyBufferToBuffer(partials, 0, staging, first * 4, count * 4);
      device.queue.submit([encoder.finish()]);
      if (onProgress) {
        await device.queue.onSubmittedWorkDone();
        onProgress(first + count, nTiles);
      }
    }
    await staging.mapAsync(GPUMapMode.READ, 0, nTiles * 4);
    const tileSums = new Float32Array(staging.getMappedRange(0, nTiles * 4));
    for (let t = 0; t < nTiles; t++) {
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
    return mmdFromKernelSums(sums, counts);
  }

  return {
    run,
    destroy() {
      for (const b of [order, blocks, tiles, partials, staging, params, upload]) b?.destroy();
      lastInput = undefined;
    },
  };
}
