// A batch → the train step's inputs (x, c one-hot, eps, dropout masks). Noise is Philox keyed by
// (seed, optimiser step, stream): eps is stream 0 and dropout mask k stream k + 1, the convention of
// src/cpu/training-batch.ts and src/gpu/training-batch.ts. It depends on nothing but the step, so a
// run resumed from a checkpoint draws exactly the noise it would have drawn, and the WebGPU and WASM
// EPs see identical inputs. Pool batches on the WebGPU EP are built by the WGSL kernels on ORT's own
// device and handed over as GPU tensors (MSE/SSE; recon 'nb' also needs the raw counts, so its batches
// come from the CPU twin on every EP); everything else is built by the CPU twin. Every buffer is
// allocated once and rewritten each step.
import { createCpuTrainingBatch, type TrainingBatchLayout } from '../../cpu/training-batch.ts';
import { oneHot } from '../../cpu/onehot.ts';
import { ortWebGpuDevice } from '../../gpu/ort-device.ts';
import { dropoutMask, normalNoise } from '../../cpu/philox.ts';
import { countRows, isPoolBatch, type CountRows, type DenseBatch, type PoolBatch, type PoolInput, type RawBatch } from '../batch.ts';
import { ort, type Backend } from '../runtime.ts';
import type { TrvaeConfig } from '../trvae/config.ts';
import { layout } from '../trvae/params.ts';
import type { StepBatch } from './step-runner.ts';

/** Builds each step's inputs; call `build` only after the previous step's run was submitted (buffers are reused). */
export interface StepBatchBuilder {
  build(batch: RawBatch, step: number): Promise<StepBatch>;
  release(): void;
}

/** The dropout masks the train-step graph takes (none without dropout). */
function graphMasks(config: TrvaeConfig): readonly { readonly name: string; readonly width: number }[] {
  return config.dropout > 0 ? layout(config).masks : [];
}

/** Inputs of a step from rows already normalised in memory; writes into `into` when given. */
export function denseStepBatch(config: TrvaeConfig, batch: DenseBatch, step: number, into?: StepBatch): StepBatch {
  const b = batch.conditions.length;
  if (batch.x.length !== b * config.nGenes) throw new Error(`batch x has ${batch.x.length} values, expected ${b} × ${config.nGenes}`);
  const reuse = (a: StepBatch['x'] | undefined, n: number) => (a instanceof Float32Array && a.length === n ? a : new Float32Array(n));
  const key = { seed: config.seed, step };
  const c = oneHot(batch.conditions, config.nConditions, reuse(into?.c, b * config.nConditions));
  const eps = normalNoise(b * config.latent, { ...key, stream: 0 }, reuse(into?.eps, b * config.latent));
  const masks = new Map<string, Float32Array>();
  graphMasks(config).forEach((m, k) => {
    masks.set(m.name, dropoutMask(b * m.width, config.dropout, { ...key, stream: k + 1 }, reuse(into?.masks.get(m.name), b * m.width)));
  });
  return { x: batch.x, c, eps, masks, ...(config.recon === 'nb' ? nbInputs(countRows(batch)) : {}) };
}

const nbInputs = (rows: CountRows) => ({ counts: rows.counts, sizeFactors: rows.sizeFactors });

function batchLayout(config: TrvaeConfig, input: PoolInput): TrainingBatchLayout {
  if (input.nSelected !== config.nGenes) throw new Error(`the pool batches select ${input.nSelected} genes; the model has ${config.nGenes}`);
  return {
    nVars: input.nVars,
    geneMap: input.geneMap,
    normalize: input.normalize,
    nConditions: config.nConditions,
    latent: config.latent,
    masks: graphMasks(config),
    dropout: config.dropout,
    batchSize: config.batchSize,
    seed: config.seed,
  };
}

function fromArrays(arrays: Readonly<Record<string, Float32Array | ort.Tensor>>, config: TrvaeConfig): StepBatch {
  return { x: arrays.x, c: arrays.c, eps: arrays.eps, masks: new Map(graphMasks(config).map((m) => [m.name, arrays[m.name]])) };
}

/**
 * On 'webgpu' the step runner's session must exist already: the kernels run on `ort.env.webgpu.device`,
 * which ORT's JSEP build only settles once a WebGPU session was created.
 */
export function createStepBatchBuilder(config: TrvaeConfig, backend: Backend): StepBatchBuilder {
  let dense: StepBatch | undefined;
  // Made on the first pool batch (its PoolInput fixes the gene map the kernels are built for).
  let pools: { readonly input: PoolInput; readonly fill: (batch: PoolBatch, step: number) => StepBatch; readonly destroy: () => void } | undefined;
  const poolBuilder = async (input: PoolInput) => {
    if (pools) {
      if (pools.input !== input) throw new Error('every pool batch of a run must share one PoolInput (gene map and normalisation)');
      return pools;
    }
    const lay = batchLayout(config, input);
    // The WGSL batch kernels produce normalised rows only, so NB batches (which also need the raw
    // counts) are built on the CPU on every EP; ORT uploads them with the other feeds.
    if (backend !== 'webgpu' || config.recon === 'nb') {
      const cpu = createCpuTrainingBatch(lay);
      const counts: CountRows | undefined = config.recon === 'nb' ? { counts: new Float32Array(config.batchSize * config.nGenes), sizeFactors: new Float32Array(config.batchSize) } : undefined;
      const fill = (batch: PoolBatch, step: number) => {
        cpu.fill(batch.pool, batch.rowIds, batch.conditions, step);
        const arrays = fromArrays(cpu.arrays, config);
        return counts ? { ...arrays, ...nbInputs(countRows(batch, counts)) } : arrays;
      };
      return (pools = { input, fill, destroy: () => {} });
    }
    const device = await ortWebGpuDevice(ort);
    // Loaded only here: the GPU modules use WebGPU globals (GPUBufferUsage) that Node lacks.
    const { createGpuTrainingBatch } = await import('../../gpu/training-batch.ts');
    const gpu = await createGpuTrainingBatch(ort, device, lay);
    const fill = (batch: PoolBatch, step: number) => {
      gpu.setPool(batch.pool);
      return fromArrays(gpu.fill(batch.rowIds, batch.conditions, step), config);
    };
    return (pools = { input, fill, destroy: () => gpu.destroy() });
  };
  return {
    async build(batch, step) {
      if (isPoolBatch(batch)) return (await poolBuilder(batch.input)).fill(batch, step);
      return (dense = denseStepBatch(config, batch, step, dense));
    },
    release() {
      pools?.destroy();
      pools = undefined;
    },
  };
}
