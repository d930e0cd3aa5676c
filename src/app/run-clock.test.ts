import { describe, expect, it } from 'vitest';
import { createRunClock, formatDuration, runRate } from './run-clock.ts';

describe('run clock', () => {
  it('leaves pauses out of the rate and the ETA', () => {
    const clock = createRunClock(0);
    // 10 steps in the first second.
    expect(runRate(clock, 1000, 10, 90, 100)).toEqual({ cellsPerSecond: 1000, etaSeconds: 9 });
    clock.pause(1000);
    expect(clock.paused).toBe(true);
    // While paused the clock stands still: the ETA shown during a pause does not grow.
    expect(clock.seconds(30_000)).toBe(1);
    clock.resume(61_000);
    // 10 more steps one second after a minute's pause: 20 steps in 2 s of running.
    expect(runRate(clock, 62_000, 20, 80, 100)).toEqual({ cellsPerSecond: 1000, etaSeconds: 8 });
    // A second pause (and a repeated pause/resume) counts once.
    clock.pause(62_000);
    clock.pause(63_000);
    clock.resume(70_000);
    clock.resume(71_000);
    expect(clock.seconds(71_000)).toBe(3);
  });

  it('has no ETA before a step is timed', () => {
    expect(runRate(createRunClock(5), 5, 0, 100, 64)).toEqual({ cellsPerSecond: 0 });
  });

  it('formats durations', () => {
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(59)).toBe('59 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(3900)).toBe('1 h 05 min');
  });
});
