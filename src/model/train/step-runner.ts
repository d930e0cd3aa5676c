// Runs the train-step graph repeatedly with ONNX Runtime, feeding each step's updated state back as
// the next step's input. On WebGPU the state stays in GPU buffers (outputs with location
// 'gpu-buffer'); on WASM it lives in CPU tensors. Loss scalars are read only when asked for. The
// feeds are the graph's declared inputs: the model's batch inputs and loss weights, the optimiser's
// step and learning rate, and the state.

import { TrvaeError } from '../../errors.ts';
import { batchInputShape } from '../../cpu/training-batch.ts';
import { lossOutput, type ModelConfig } from '../definition.ts';
import { modelDefinition } from '../models.ts';
import { adamOf, next } from '../optim/adam.ts';
import { createSession, ort, readTensor, type Backend } from '../runtime.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { stateFeeds, stateFromFeeds, validateState, type ModelState } from './state.ts';
import { buildStepGraph } from './train-step.ts';

/** A loss term's name (the model's lossTerms: recon, kl, mmd, total for trVAE). */
export type LossTerm = string;
export type LossValues = Readonly<Record<LossTerm, number>>;

/** Batch tensors of one step by graph input name: CPU arrays, or ORT tensors (e.g. GPU buffers from the WGSL kernels). */
export type StepFeeds = Readonly<Record<string, Float32Array | ort.Tensor>>;

/** The learning rate and the model's loss weights by name (alpha, beta, eta for trVAE). */
export interface StepHyperparameters {
  readonly learningRate: number;
  readonly [weight: string]: number;
}

export class NonFiniteLossError extends TrvaeError {
  override readonly name = 'NonFiniteLossError';
  readonly code = 'non-finite-loss';
  constructor(
    readonly term: LossTerm,
    readonly step: number,
    readonly value: number,
    readonly lastGoodStep: number,
  ) {
    super(`the ${term} loss became ${value} at step ${step}; parameters were restored to those of step ${lastGoodStep}, the last step with finite losses`);
  }
}

export interface StepRunner {
  readonly backend: Backend;
  /** Updates done so far. */
  readonly step: number;
  /**
   * Whether `run` has copied the batch when it returns (a runner in another thread): the next batch
   * may then be built into the same buffers while the step runs.
   */
  readonly copiesBatch: boolean;
  /**
   * One optimiser update. With `readLosses`, returns the losses of this batch (before the update)
   * and throws NonFiniteLossError — with the state rolled back to the last checked step — if any is
   * NaN or ±Inf.
   */
  run(batch: StepFeeds, hyper: StepHyperparameters, readLosses: boolean): Promise<LossValues | undefined>;
  /** Where the current state tensors live ('cpu' on WASM, 'gpu-buffer' on WebGPU). */
  stateLocations(): Set<string>;
  /** Current state as CPU arrays (downloads from the GPU on WebGPU). */
  state(): Promise<ModelState>;
  release(): Promise<void>;
}

function feed(name: string, value: Float32Array | ort.Tensor | undefined, dims: readonly number[]): ort.Tensor {
  if (value === undefined) throw new Error(`the step batch has no input "${name}"`);
  if (!(value instanceof Float32Array)) return value;
  if (value.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`batch input "${name}" has ${value.length} values, expected [${dims.join(', ')}]`);
  return new ort.Tensor('float32', value, [...dims]);
}

/** Makes a step runner: createStepRunner in this thread, or one in a worker (step-worker.ts). */
export type StepRunnerFactory = (config: ModelConfig, initial: ModelState, backend: Backend) => Promise<StepRunner>;

export async function createStepRunner(config: ModelConfig, initial: ModelState, backend: Backend): Promise<StepRunner> {
  const model = modelDefinition(config);
  validateState(model, initial);
  const { graph, batchSize } = buildStepGraph(model, adamOf(config));
  const session = await createSession(serializeGraph(graph), backend, { outputsOnGpu: backend === 'webgpu' });
  const shapes = new Map(graph.inputs.map((t) => [graph.names.get(t.id) as string, t.shape]));
  const batchInputs = model.batchInputs('train');
  const stateNames = [...stateFeeds(initial).keys()];
  // Every graph input is fed: state, the optimiser's step and lr, the loss weights, the batch inputs.
  const fed = new Set([...stateNames, 'step', 'lr', ...model.lossWeights, ...batchInputs.map((i) => i.name)]);
  const unfed = [...shapes.keys()].filter((name) => !fed.has(name));
  if (unfed.length > 0) throw new Error(`${model.name}: the train-step graph has inputs nothing feeds (${unfed.join(', ')})`);
  let current = new Map<string, ort.Tensor>();
  for (const [name, v] of stateFeeds(initial)) current.set(name, new ort.Tensor('float32', v, [...(shapes.get(name) as readonly number[])]));
  let step = initial.step;
  // The state fed to the last step whose losses were read and finite.
  let good = current;
  let goodStep = step;

  const dispose = (tensors: Iterable<ort.Tensor>, keep: ReadonlyMap<string, ort.Tensor>[]) => {
    const kept = new Set(keep.flatMap((m) => [...m.values()]));
    for (const t of tensors) if (!kept.has(t) && t.location === 'gpu-buffer') t.dispose();
  };

  const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);

  return {
    backend,
    copiesBatch: false,
    get step() {
      return step;
    },
    async run(batch, hyper, readLosses) {
      const feeds: Record<string, ort.Tensor> = Object.fromEntries(current);
      feeds.step = scalar(step);
      feeds.lr = scalar(hyper.learningRate);
      for (const name of model.lossWeights) {
        if (hyper[name] === undefined) throw new Error(`the step hyperparameters have no loss weight "${name}"`);
        feeds[name] = scalar(hyper[name]);
      }
      for (const input of batchInputs) feeds[input.name] = feed(input.name, batch[input.name], batchInputShape(input, batchSize));
      const out = await session.run(feeds);
      const updated = new Map(stateNames.map((name) => [name, out[next(name)]]));
      const lossTensors = model.lossTerms.map((t) => out[lossOutput(t)]);
      dispose([out[next('step')]], []);
      const previous = current;
      current = updated;
      const stepOfBatch = step;
      step += 1;
      if (!readLosses) {
        dispose(previous.values(), [good, current]);
        dispose(lossTensors, []);
        return undefined;
      }
      const values = await Promise.all(lossTensors.map(async (t) => (await readTensor(t))[0]));
      dispose(lossTensors, []);
      const losses: LossValues = Object.fromEntries(model.lossTerms.map((t, i) => [t, values[i]]));
      const bad = model.lossTerms.find((t) => !Number.isFinite(losses[t]));
      if (bad) {
        dispose([...previous.values(), ...current.values()], [good]);
        current = good;
        step = goodStep;
        throw new NonFiniteLossError(bad, stepOfBatch, losses[bad], goodStep);
      }
      dispose(good.values(), [previous, current]);
      good = previous;
      goodStep = stepOfBatch;
      return losses;
    },
    stateLocations: () => new Set([...current.values()].map((t) => t.location)),
    async state() {
      const arrays = new Map<string, Float32Array>();
      for (const [name, t] of current) arrays.set(name, Float32Array.from(await readTensor(t)));
      return stateFromFeeds(model, arrays, step);
    },
    async release() {
      dispose([...current.values(), ...good.values()], []);
      await session.release();
    },
  };
}
