// Steps in a worker thread (Node's native path, as the CLI runs them) against steps in the training
// thread: the same trajectory bit for bit, although the loop builds each next batch into the same
// buffers while the worker runs the step; a NaN loss and a cancel end the run the same way.
import { describe, expect, it } from 'vitest';
import type { NormalizedBatch } from '../batch.ts';
import { normalizedRows, poolInput } from '../dataset.ts';
import { createRng } from '../../random.ts';
import { simulateDataset } from '../simulate.ts';
import { makeConfig } from '../trvae/config.ts';
import { createTrainingControl } from './control.ts';
import { createNodeStepRunner } from './node-step-worker.ts';
import { train, type TrainOptions } from './train.ts';

const data = simulateDataset({ nCells: 256, nGenes: 24, seed: 8 });
const all = normalizedRows({ format: 'dense', nRows: data.nCells, nCols: data.nGenes, values: data.counts }, poolInput(data.nGenes, Array.from({ length: data.nGenes }, (_, i) => i), 'counts'));
const config = makeConfig({ nGenes: 24, nConditions: 2, hidden: [16, 8], latent: 4, dropout: 0.1, batchSize: 32, recon: 'mse', alpha: 0.5, beta: 10, eta: 1, learningRate: 3e-3, seed: 4 });
const schedule = { epochs: 3, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0 };

/** One epoch's batches in a seeded order; `poison` puts a NaN in one batch; `delayMs` before each. */
function batches(epoch: number, { poison, delayMs = 0 }: { poison?: { epoch: number; batch: number }; delayMs?: number } = {}): AsyncIterable<NormalizedBatch> {
  const order = Array.from({ length: data.nCells }, (_, i) => i);
  const rng = createRng(epoch + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return (async function* () {
    for (let s = 0, k = 0; s + 32 <= order.length; s += 32, k++) {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const rows = order.slice(s, s + 32);
      const x = new Float32Array(32 * data.nGenes);
      rows.forEach((r, i) => x.set(all.subarray(r * data.nGenes, (r + 1) * data.nGenes), i * data.nGenes));
      if (poison?.epoch === epoch && poison.batch === k) x[3] = Number.NaN;
      yield { x, conditions: Int32Array.from(rows, (r) => data.conditions[r]!) };
    }
  })();
}

const both = (options: Omit<TrainOptions, 'config'>) => Promise.all([train({ config, ...options }), train({ config, ...options, stepRunner: createNodeStepRunner })]);

describe('steps in a worker thread', () => {
  it('follow the same trajectory as steps in the training thread, with validation and checkpoints', async () => {
    const [here, there] = await both({ schedule, batches: (e) => batches(e), validation: () => batches(99) });
    expect(there.stopReason).toBe('completed');
    expect(there.checkpoint.state.step).toBe(3 * 8);
    expect(there.checkpoint.history.map((h) => [h.train, h.validation])).toEqual(here.checkpoint.history.map((h) => [h.train, h.validation]));
    for (const [name, v] of here.checkpoint.state.params) expect(there.checkpoint.state.params.get(name), name).toEqual(v);
  });

  it('stop on a NaN loss at the same step, with the parameters of the last good one', async () => {
    const [here, there] = await both({ schedule, batches: (e) => batches(e, { poison: { epoch: 1, batch: 2 } }) });
    expect(there.stopReason).toBe('non-finite');
    expect(there.message).toBe(here.message);
    expect(there.message).toMatch(/loss became NaN at step 10; parameters were restored to those of step 9/);
    expect(there.checkpoint.state.step).toBe(9);
    for (const [name, v] of here.checkpoint.state.params) expect(there.checkpoint.state.params.get(name), name).toEqual(v);
  });

  it('cancel between steps, the step in flight finished first', async () => {
    const control = createTrainingControl();
    const result = await train({ config, schedule, batches: (e) => batches(e), control, stepRunner: createNodeStepRunner, onEvent: (e) => void (e.kind === 'step' && e.step === 5 && control.cancel()) });
    expect(result.stopReason).toBe('cancelled');
    // the cancel is seen at the next batch: the step submitted before it has run
    expect(result.checkpoint.state.step).toBeGreaterThanOrEqual(5);
    expect(result.checkpoint.state.step).toBeLessThanOrEqual(6);
  });

  it('count as waiting only the time the worker had no step to run', async () => {
    const delayMs = 40;
    const result = await train({ config, schedule: { ...schedule, epochs: 1 }, batches: (e) => batches(e, { delayMs }), stepRunner: createNodeStepRunner });
    // a step of this model takes a few ms: the worker idles for most of each 40 ms delay
    expect(result.waitSeconds).toBeGreaterThan((8 * delayMs * 0.5) / 1000);
    expect(result.waitSeconds).toBeLessThan(result.seconds);
  });
});
