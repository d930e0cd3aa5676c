// Pause / resume / cancel for a running training loop (checked between steps).

export interface TrainingControl {
  readonly signal: AbortSignal;
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  cancel(reason?: string): void;
  /** Resolves immediately when running; otherwise when resumed or cancelled. */
  whilePaused(): Promise<void>;
}

export function createTrainingControl(parent?: AbortSignal): TrainingControl {
  const controller = new AbortController();
  if (parent) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  }
  let paused = false;
  let wake: (() => void) | undefined;
  const release = () => {
    wake?.();
    wake = undefined;
  };
  controller.signal.addEventListener('abort', release, { once: true });
  return {
    signal: controller.signal,
    get paused() {
      return paused;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      release();
    },
    cancel(reason = 'cancelled') {
      controller.abort(new DOMException(reason, 'AbortError'));
    },
    whilePaused() {
      if (!paused || controller.signal.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const previous = wake;
        wake = () => {
          previous?.();
          resolve();
        };
      });
    },
  };
}
