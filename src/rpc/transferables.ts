// Results cross a worker boundary by transfer, not copy: every ArrayBuffer under a value's typed
// arrays (plain objects and arrays are walked) moves to the receiving thread, and the sender's views
// on it become empty.
import * as Comlink from 'comlink';

/** Every distinct ArrayBuffer under `value` (a buffer may back several views; shared memory is left out). */
export function transferables(value: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof ArrayBuffer) buffers.add(v);
    else if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) buffers.add(v.buffer);
    } else if (Array.isArray(v)) for (const item of v) walk(item);
    else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) for (const item of Object.values(v)) walk(item);
  };
  walk(value);
  return [...buffers];
}

/** `value`, marked so that comlink transfers its buffers (see transferables). */
export function withTransfer<T>(value: T): T {
  return Comlink.transfer(value, transferables(value));
}
