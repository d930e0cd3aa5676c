// Test support for the runtime tests: the losses of a few train steps on fixed data, and the state after them.
import { createRng } from '../random.ts';
import type { Backend } from './runtime.ts';
import { initialModelState, type ModelState } from './train/state.ts';
import { createStepRunner, type LossValues } from './train/step-runner.ts';
import { denseStepBatch } from './train/step-batches.ts';
import type { TrvaeConfig } from './trvae/config.ts';

export async function trajectory(config: TrvaeConfig, backend: Backend, steps: number): Promise<{ losses: LossValues[]; state: ModelState }> {
  const runner = await createStepRunner(config, initialModelState(config), backend);
  const rng = createRng(11);
  const B = config.batchSize;
  const x = Float32Array.from({ length: B * config.nGenes }, () => Math.max(0, 1.5 * rng.normal()));
  const conditions = Int32Array.from({ length: B }, (_, i) => i % config.nConditions);
  const hyper = { learningRate: config.learningRate, alpha: config.alpha, beta: config.beta, eta: config.eta };
  const losses: LossValues[] = [];
  for (let s = 0; s < steps; s++) losses.push((await runner.run(denseStepBatch(config, { x, conditions }, s), hyper, true)) as LossValues);
  const state = await runner.state();
  await runner.release();
  return { losses, state };
}
