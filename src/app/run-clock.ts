// Training time without the pauses: the rate (cells/s) and the ETA come from the steps done over the
// time spent running, so a paused run's ETA is as right after the pause as before it.

export interface RunClock {
  readonly paused: boolean;
  pause(now: number): void;
  resume(now: number): void;
  /** Seconds since the start, pauses left out. */
  seconds(now: number): number;
}

export function createRunClock(start: number): RunClock {
  let pausedMs = 0;
  let pausedAt: number | undefined;
  return {
    get paused() {
      return pausedAt !== undefined;
    },
    pause(now) {
      pausedAt ??= now;
    },
    resume(now) {
      if (pausedAt === undefined) return;
      pausedMs += now - pausedAt;
      pausedAt = undefined;
    },
    seconds: (now) => Math.max(0, (pausedAt ?? now) - start - pausedMs) / 1000,
  };
}

export interface RunRate {
  readonly cellsPerSecond: number;
  /** Undefined until a step has been timed. */
  readonly etaSeconds?: number;
}

/** `steps` done since the clock started, `left` still to do. */
export function runRate(clock: RunClock, now: number, steps: number, left: number, batchSize: number): RunRate {
  const seconds = clock.seconds(now);
  if (steps <= 0 || seconds <= 0) return { cellsPerSecond: 0 };
  return { cellsPerSecond: (steps * batchSize) / seconds, etaSeconds: (left * seconds) / steps };
}

/** "45 s", "3 min 20 s", "1 h 05 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
