// The step runner in a thread of its own (Node's native CPU path): onnxruntime-node runs a session
// synchronously on the thread that calls it, so a runner on the training thread leaves the loader
// no time to deliver the next batch while a step runs. Here the training thread keeps the loop,
// the loader and the batch building; each step's batch crosses as a copy (structured clone), so
// the next one is built into the same buffers while this thread runs the step. Chosen with
// `train --steps-in worker`: on 2 cores the step then shares the cores with that work (less
// waiting for data, a few per cent fewer cells/s trained: bench:loader-wait).
import type { RemoteWorker } from '../../rpc/expose.ts';
import type { ModelConfig } from '../definition.ts';
import { cpuThreadSetting, setCpuThreads, type Backend } from '../runtime.ts';
import type { ModelState } from './state.ts';
import { createStepRunner, NonFiniteLossError, type LossValues, type StepFeeds, type StepHyperparameters, type StepRunner } from './step-runner.ts';

export interface StepWorkerApi {
  /** Creates the runner (its sessions with `threads` CPU threads, when given); returns its step. */
  open(config: ModelConfig, initial: ModelState, backend: Backend, threads?: number): Promise<number>;
  run(batch: Readonly<Record<string, Float32Array>>, hyper: StepHyperparameters, readLosses: boolean): Promise<LossValues | undefined>;
  state(): Promise<ModelState>;
  release(): Promise<void>;
}

/** The worker's side: one runner, created by `open`. */
export function createStepWorkerApi(): StepWorkerApi {
  let runner: StepRunner | undefined;
  const opened = (): StepRunner => {
    if (!runner) throw new Error('step worker: open() first');
    return runner;
  };
  return {
    async open(config, initial, backend, threads) {
      if (threads !== undefined) setCpuThreads(threads);
      runner = await createStepRunner(config, initial, backend);
      return runner.step;
    },
    run: (batch, hyper, readLosses) => opened().run(batch, hyper, readLosses),
    state: () => opened().state(),
    async release() {
      await runner?.release();
      runner = undefined;
    },
  };
}

/** The training thread's side: a StepRunner whose steps run in `worker`. */
export async function stepRunnerInWorker(worker: RemoteWorker<StepWorkerApi>, config: ModelConfig, initial: ModelState, backend: Backend): Promise<StepRunner> {
  let step: number;
  try {
    step = await worker.api.open(config, initial, backend, cpuThreadSetting());
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return {
    backend,
    copiesBatch: true,
    get step() {
      return step;
    },
    async run(batch: StepFeeds, hyper, readLosses) {
      const arrays: Record<string, Float32Array> = {};
      for (const [name, value] of Object.entries(batch)) {
        if (!(value instanceof Float32Array)) throw new Error(`the step worker takes CPU batches; input "${name}" is a tensor`);
        arrays[name] = value;
      }
      try {
        const losses = await worker.api.run(arrays, hyper, readLosses);
        step += 1;
        return losses;
      } catch (error) {
        // the worker's runner rolled its state back to the last step with finite losses
        if (error instanceof NonFiniteLossError) step = error.lastGoodStep;
        throw error;
      }
    },
    // the worker runs CPU backends only ('native', or 'wasm' where onnxruntime-node cannot load)
    stateLocations: () => new Set(['cpu']),
    state: () => worker.api.state(),
    async release() {
      try {
        await worker.api.release();
      } finally {
        worker.terminate();
      }
    },
  };
}
