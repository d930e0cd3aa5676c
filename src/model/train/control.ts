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

/**
 * Lets queued messages (e.g. a comlink cancel() from the page) run: ONNX Runtime's WASM run resolves
 * without giving the worker's event loop a turn, so a loop of awaits alone would never see them.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
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
