// The step worker as a Node worker thread (CLI, benchmarks, Node-side training on the native EP).
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { wrapWorkerApi } from '../../rpc/expose.ts';
import { registerErrorClasses } from '../../rpc/errors.ts';
import { startNodeThread } from '../../rpc/node-thread.ts';
import type { ModelConfig } from '../definition.ts';
import type { Backend } from '../runtime.ts';
import type { ModelState } from './state.ts';
import { NonFiniteLossError, type StepRunner } from './step-runner.ts';
import { stepRunnerInWorker, type StepWorkerApi } from './step-worker.ts';

registerErrorClasses({ NonFiniteLossError });

/** A StepRunner whose steps run in a new worker thread (closed by its `release`). */
export function createNodeStepRunner(config: ModelConfig, initial: ModelState, backend: Backend): Promise<StepRunner> {
  const worker = startNodeThread(new URL('../../../workers/step-runner.node.ts', import.meta.url));
  return stepRunnerInWorker({ api: wrapWorkerApi<StepWorkerApi>(nodeEndpoint(worker)), terminate: () => void worker.terminate() }, config, initial, backend);
}
