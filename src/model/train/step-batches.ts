// A batch → the train step's inputs, as the model declares them (x, c one-hot, eps, dropout masks,
// NB counts and size factors). Noise is Philox keyed by (seed, optimiser step, stream), each input
// naming its stream (trVAE: eps 0, dropout mask k k + 1), the convention of src/cpu/training-batch.ts
// and src/gpu/training-batch.ts. It depends on nothing but the step, so a run resumed from a
// checkpoint draws exactly the noise it would have drawn, and the WebGPU and WASM EPs see identical
// inputs. Pool batches on the WebGPU EP are built by the WGSL kernels on ORT's own device and handed
// over as GPU tensors, unless the model needs raw counts (no kernel makes them: such batches come
// from the CPU twin on every EP); everything else is built by the CPU twin. Every buffer is
// allocated once and rewritten each step.
import { createCpuTrainingBatch, valuesPerCell, type BatchInput, type TrainingBatchLayout } from '../../cpu/training-batch.ts';
import { oneHot } from '../../cpu/onehot.ts';
import { ortWebGpuDevice } from '../../gpu/ort-device.ts';
import { dropoutMask, normalNoise } from '../../cpu/philox.ts';
import { assertRawCounts, countRows, isPoolBatch, type NormalizedBatch, type PoolBatch, type PoolInput, type TrainingBatch } from '../batch.ts';
import type { ModelConfig } from '../definition.ts';
import { modelDefinition } from '../models.ts';
import { ort, type Backend } from '../runtime.ts';
import type { StepFeeds } from './step-runner.ts';

/** Builds each step's inputs; call `build` only after the previous step's run was submitted (buffers are reused). */
export interface StepBatchBuilder {
  build(batch: TrainingBatch, step: number): Promise<StepFeeds>;
  release(): void;
}

/**
 * The declared inputs of rows already normalised in memory, noise keyed by (seed, step, stream);
 * writes into `into` when given. Also the evaluator's builder (with its own noise streams).
 */
export function denseInputs(inputs: readonly BatchInput[], batch: NormalizedBatch, key: { readonly seed: number; readonly step: number }, into?: StepFeeds): Record<string, Float32Array> {
  const b = batch.conditions.length;
  const reuse = (name: string, n: number) => {
    const a = into?.[name];
    return a instanceof Float32Array && a.length === n ? a : new Float32Array(n);
  };
  const out: Record<string, Float32Array> = {};
  for (const input of inputs) {
    const n = b * valuesPerCell(input);
    const { source } = input;
    if (source.kind === 'x') {
      if (batch.x.length !== n) throw new Error(`batch x has ${batch.x.length} values, expected ${b} × ${valuesPerCell(input)}`);
      out[input.name] = batch.x;
    } else if (source.kind === 'onehot') out[input.name] = oneHot(batch.conditions, valuesPerCell(input), reuse(input.name, n));
    else if (source.kind === 'normal') out[input.name] = normalNoise(n, { ...key, stream: source.stream }, reuse(input.name, n));
    else if (source.kind === 'dropout') out[input.name] = dropoutMask(n, source.rate, { ...key, stream: source.stream }, reuse(input.name, n));
    else if (source.kind === 'counts') out[input.name] = countRows(batch).counts;
    else out[input.name] = countRows(batch).sizeFactors;
  }
  return out;
}

/** The train step's inputs of an in-memory batch (see denseInputs). */
export function denseStepBatch(config: ModelConfig, batch: NormalizedBatch, step: number, into?: StepFeeds): StepFeeds {
  return denseInputs(modelDefinition(config).batchInputs('train'), batch, { seed: config.seed, step }, into);
}

function batchLayout(config: ModelConfig, inputs: readonly BatchInput[], input: PoolInput): TrainingBatchLayout {
  if (input.nSelected !== config.nGenes) throw new Error(`the pool batches select ${input.nSelected} genes; the model has ${config.nGenes}`);
  return { nVars: input.nVars, geneMap: input.geneMap, normalize: input.normalize, inputs, batchSize: config.batchSize, seed: config.seed };
}

/**
 * On 'webgpu' the step runner's session must exist already: the kernels run on `ort.env.webgpu.device`,
 * which ORT's JSEP build only settles once a WebGPU session was created.
 */
export function createStepBatchBuilder(config: ModelConfig, backend: Backend): StepBatchBuilder {
  const inputs = modelDefinition(config).batchInputs('train');
  const needsCounts = inputs.some((i) => i.source.kind === 'counts');
  let dense: StepFeeds | undefined;
  // Made on the first pool batch (its PoolInput fixes the gene map the kernels are built for).
  let pools: { readonly input: PoolInput; readonly fill: (batch: PoolBatch, step: number) => StepFeeds; readonly destroy: () => void } | undefined;
  const poolBuilder = async (input: PoolInput) => {
    if (pools) {
      if (pools.input !== input) throw new Error('every pool batch of a run must share one PoolInput (gene map and normalisation)');
      return pools;
    }
    if (needsCounts) assertRawCounts(input);
    const lay = batchLayout(config, inputs, input);
    if (backend !== 'webgpu' || needsCounts) {
      const cpu = createCpuTrainingBatch(lay);
      const fill = (batch: PoolBatch, step: number) => {
        cpu.fill(batch.pool, batch.rowIds, batch.conditions, step);
        return cpu.arrays;
      };
      return (pools = { input, fill, destroy: () => {} });
    }
    const device = await ortWebGpuDevice(ort);
    // Loaded only here: the GPU modules use WebGPU globals (GPUBufferUsage) that Node lacks.
    const { createGpuTrainingBatch } = await import('../../gpu/training-batch.ts');
    const gpu = await createGpuTrainingBatch(ort, device, lay);
    const fill = (batch: PoolBatch, step: number) => {
      gpu.setPool(batch.pool);
      return gpu.fill(batch.rowIds, batch.conditions, step);
    };
    return (pools = { input, fill, destroy: () => gpu.destroy() });
  };
  return {
    async build(batch, step) {
      if (isPoolBatch(batch)) return (await poolBuilder(batch.input)).fill(batch, step);
      return (dense = denseInputs(inputs, batch, { seed: config.seed, step }, dense));
    },
    release() {
      pools?.destroy();
      pools = undefined;
    },
  };
}
