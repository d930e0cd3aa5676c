import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import type { NormalizedBatch } from '../batch.ts';
import { normalizedRows, poolInput } from '../dataset.ts';
import { createRng } from '../../random.ts';
import { simulateDataset } from '../simulate.ts';
import { makeConfig } from '../trvae/config.ts';
import { createTrainingControl } from './control.ts';
import type { LossValues } from './step-runner.ts';
import { train, type TrainingEvent } from './train.ts';

ort.env.wasm.numThreads = 1;

const data = simulateDataset({ nCells: 640, nGenes: 40, seed: 5 });
const all = normalizedRows({ format: 'dense', nRows: data.nCells, nCols: data.nGenes, values: data.counts }, poolInput(data.nGenes, Array.from({ length: data.nGenes }, (_, i) => i), 'counts'));

function batchesOf(rows: number[], batchSize: number, seed: number): AsyncIterable<NormalizedBatch> {
  const order = [...rows];
  const rng = createRng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return (async function* () {
    for (let s = 0; s + batchSize <= order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const x = new Float32Array(batchSize * data.nGenes);
      idx.forEach((r, k) => x.set(all.subarray(r * data.nGenes, (r + 1) * data.nGenes), k * data.nGenes));
      yield { x, conditions: Int32Array.from(idx, (r) => data.conditions[r]) };
    }
  })();
}

const trainRows = Array.from({ length: 576 }, (_, i) => i);
const validationRows = Array.from({ length: 64 }, (_, i) => 576 + i);
const config = makeConfig({ nGenes: 40, nConditions: 2, hidden: [32, 16], latent: 4, dropout: 0.1, batchSize: 64, recon: 'mse', alpha: 0.5, beta: 10, eta: 1, learningRate: 3e-3, seed: 2 });

describe('training loop (WASM EP)', () => {
  it('a few hundred steps on simulated data lower every loss term', async () => {
    const events: TrainingEvent[] = [];
    const result = await train({
      config,
      schedule: { epochs: 24, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0 },
      batches: (epoch) => batchesOf(trainRows, 64, epoch),
      validation: () => batchesOf(validationRows, 64, 0),
      onEvent: (e) => events.push(e),
    });
    expect(result.stopReason).toBe('completed');
    const history = result.checkpoint.history;
    expect(result.checkpoint.state.step).toBe(24 * 9);
    const first = history[0].train;
    const last = history[history.length - 1].train;
    const firstValidation = history[0].validation!;
    const lastValidation = history[history.length - 1].validation!;
    for (const term of ['recon', 'kl', 'mmd', 'total'] as const) {
      expect(last[term], term).toBeLessThan(first[term]);
      expect(lastValidation[term], `validation ${term}`).toBeLessThan(firstValidation[term]);
    }
    expect(events.filter((e) => e.kind === 'step').length).toBe(24 * 9);
  });
});

describe('CVAE: trVAE with beta = 0 (a configuration, not a model)', () => {
  it('trains, the MMD term reported but not weighted into the total', async () => {
    const cvae = makeConfig({ ...config, beta: 0 });
    const losses: LossValues[] = [];
    const result = await train({
      config: cvae,
      schedule: { epochs: 6, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0 },
      batches: (epoch) => batchesOf(trainRows, 64, epoch),
      onEvent: (e) => {
        if (e.kind === 'step' && e.losses) losses.push(e.losses);
      },
    });
    expect(result.stopReason).toBe('completed');
    for (const l of losses) expect(l.total).toBeCloseTo(cvae.eta * l.recon + cvae.alpha * l.kl, 4);
    expect(losses.some((l) => l.mmd > 1e-4)).toBe(true);
    const history = result.checkpoint.history;
    expect(history[history.length - 1].train.total).toBeLessThan(history[0].train.total);
  });
});

describe('training control, failures and checkpoints', () => {
  const small = makeConfig({ ...config, hidden: [16, 8], batchSize: 32 });
  const rows = Array.from({ length: 192 }, (_, i) => i);
  const schedule = { epochs: 4, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0 };

  it('stops on a NaN loss naming the term and the step, keeping the last good parameters', async () => {
    const poisoned = (epoch: number): AsyncIterable<NormalizedBatch> =>
      (async function* () {
        let k = 0;
        for await (const b of batchesOf(rows, 32, epoch)) {
          if (epoch === 1 && k === 2) b.x[5] = Number.NaN;
          k++;
          yield b;
        }
      })();
    const result = await train({ config: small, schedule, batches: poisoned });
    expect(result.stopReason).toBe('non-finite');
    expect(result.message).toMatch(/the recon loss became NaN at step 8; parameters were restored to those of step 7/);
    // Step 7's losses were the last ones checked finite: its input state is what is kept.
    expect(result.checkpoint.state.step).toBe(7);
    for (const v of result.checkpoint.state.params.values()) expect(v.every(Number.isFinite)).toBe(true);
  });

  it('pauses, resumes and cancels between steps', async () => {
    const control = createTrainingControl();
    let pausedAt = -1;
    const result = await train({
      config: small,
      schedule,
      batches: (epoch) => batchesOf(rows, 32, epoch),
      control,
      onEvent: (e) => {
        if (e.kind !== 'step') return;
        if (e.step === 3) {
          control.pause();
          pausedAt = performance.now();
          setTimeout(() => control.resume(), 150);
        }
        if (e.step === 10) control.cancel();
      },
    });
    expect(pausedAt).toBeGreaterThan(0);
    expect(result.stopReason).toBe('cancelled');
    expect(result.checkpoint.state.step).toBe(10);
  });

  it('resuming from an epoch checkpoint continues the exact same trajectory', async () => {
    const checkpoints: Awaited<ReturnType<typeof train>>['checkpoint'][] = [];
    const straight = await train({ config: small, schedule, batches: (e) => batchesOf(rows, 32, e), onCheckpoint: (c) => void checkpoints.push(c) });
    expect(checkpoints.map((c) => c.epoch)).toEqual([1, 2, 3, 4]);
    // Round-trip through JSON-like structured clone, as a checkpoint file would.
    const saved = structuredClone(checkpoints[1]);
    const resumed = await train({ config: small, batches: (e) => batchesOf(rows, 32, e), resume: saved });
    expect(resumed.checkpoint.history.map((h) => h.train)).toEqual(straight.checkpoint.history.map((h) => h.train));
    for (const [name, v] of straight.checkpoint.state.params) expect(resumed.checkpoint.state.params.get(name), name).toEqual(v);
  });

  it('measures the time spent waiting for batches, per epoch and for the run', async () => {
    const delayMs = 40;
    const slow = (epoch: number): AsyncIterable<NormalizedBatch> =>
      (async function* () {
        for await (const b of batchesOf(rows, 32, epoch)) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          yield b;
        }
      })();
    const events: TrainingEvent[] = [];
    const result = await train({ config: small, schedule: { ...schedule, epochs: 2 }, batches: slow, onEvent: (e) => events.push(e) });
    const records = result.checkpoint.history;
    for (const r of records) {
      // Six batches, each awaited for at least the delay; the wait is part of the epoch's wall time.
      expect(r.waitSeconds).toBeGreaterThanOrEqual((6 * delayMs * 0.9) / 1000);
      expect(r.waitSeconds).toBeLessThan(r.seconds);
    }
    expect(events.flatMap((e) => (e.kind === 'epoch' ? [e.record.waitSeconds] : []))).toEqual(records.map((r) => r.waitSeconds));
    expect(result.waitSeconds).toBeCloseTo(records[0].waitSeconds + records[1].waitSeconds, 9);
    expect(result.waitSeconds).toBeLessThan(result.seconds);
  });

  it('reduces the LR on a plateau, stops early, and warms the KL weight up', async () => {
    const events: TrainingEvent[] = [];
    // (Almost) no learning and frozen BN statistics: the validation loss only grows (with the KL weight), so
    // every epoch after the first is a plateau.
    const frozen = makeConfig({ ...small, learningRate: 1e-12, bnMomentum: 1 });
    const result = await train({
      config: frozen,
      schedule: { epochs: 20, lossEvery: 3, earlyStoppingPatience: 3, lrPatience: 2, lrFactor: 0.5, minLearningRate: 0, klWarmupEpochs: 4 },
      batches: (epoch) => batchesOf(rows, 32, epoch),
      validation: () => batchesOf(rows.slice(0, 64), 32, 0),
      onEvent: (e) => events.push(e),
    });
    expect(result.stopReason).toBe('early-stopping');
    expect(result.checkpoint.history).toHaveLength(4);
    expect(events.filter((e) => e.kind === 'lr')).toHaveLength(1);
    expect(result.checkpoint.history.map((h) => h.alpha / frozen.alpha)).toEqual([0.25, 0.5, 0.75, 1]);
  });
});
