// The progress detail <trvae-trainer> derives from the training worker's events.
import { describe, expect, it } from 'vitest';
import type { TrainWorkerEvent } from '../model/train/worker-api.ts';
import { progressTracker } from './trainer-events.ts';

const plan: TrainWorkerEvent = { kind: 'plan', epochs: 4, stepsPerEpoch: 10, batchSize: 100, cells: { train: 1000, validation: 100, heldOut: 50 }, inMemory: true, genes: 20, log: [], lossWeights: {} };

describe('progressTracker', () => {
  it('passes preparation phases on, then epoch/step of all with rate and ETA from the timed steps', () => {
    let now = 0;
    const track = progressTracker(() => now);
    expect(track({ kind: 'phase', phase: 'selecting genes', done: 300, total: 1000 })).toEqual({ phase: 'selecting genes', done: 300, total: 1000 });
    // Steps before the plan belong to no run this tracker knows.
    expect(track({ kind: 'step', epoch: 0, step: 1 })).toBeUndefined();
    expect(track(plan)).toEqual({ phase: 'training', epoch: 1, epochs: 4, step: 0, steps: 40 });
    now = 5000; // building the graph: not part of the rate
    expect(track({ kind: 'step', epoch: 0, step: 1 })).toEqual({ phase: 'training', epoch: 1, epochs: 4, step: 1, steps: 40 });
    now = 7000; // 10 more steps in 2 s: 500 cells/s, 29 steps left at 0.2 s
    const p = track({ kind: 'step', epoch: 1, step: 11 });
    expect(p).toMatchObject({ phase: 'training', epoch: 2, epochs: 4, step: 11, steps: 40 });
    expect(p?.cellsPerSecond).toBeCloseTo(500);
    expect(p?.etaSeconds).toBeCloseTo(5.8);
    expect(track({ kind: 'lr', epoch: 1, learningRate: 1e-4 })).toBeUndefined();
  });

  it('a resumed run times only its own steps', () => {
    let now = 0;
    const track = progressTracker(() => now);
    track(plan);
    track({ kind: 'step', epoch: 2, step: 21 });
    now = 1000;
    const p = track({ kind: 'step', epoch: 2, step: 26 });
    expect(p?.cellsPerSecond).toBeCloseTo(500);
    expect(p?.etaSeconds).toBeCloseTo(2.8);
  });
});
