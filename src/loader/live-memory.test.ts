// liveMemory is what the loader benchmark reports as live memory: it must see ArrayBuffers (the
// loader's blocks live outside the JS heap) and, after a forced GC, must not count dropped ones.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { liveMemory } from './read-worker.ts';

const live = (m: { heapUsed: number; external: number }): number => m.heapUsed + m.external;
const MiB = 2 ** 20;

describe('liveMemory', () => {
  it('counts a held ArrayBuffer', () => {
    const before = live(liveMemory());
    const held = new Uint8Array(64 * MiB).fill(1);
    // The GC may free unrelated garbage meanwhile: most of the 64 MiB must show, not every byte.
    expect(live(liveMemory()) - before).toBeGreaterThanOrEqual(56 * MiB);
    expect(held[held.length - 1]).toBe(1);
  });

  it('after a forced GC, does not count a dropped one', () => {
    // what --expose-gc gives the benchmark's processes, obtained inside this test's process
    setFlagsFromString('--expose-gc');
    const runtime = globalThis as { gc?: () => void };
    const previous = runtime.gc;
    runtime.gc ??= runInNewContext('gc') as () => void;
    const before = live(liveMemory(true));
    // allocated and dropped inside a call, so nothing here keeps it reachable
    expect(((): number => new Uint8Array(64 * MiB).fill(1)[0]!)()).toBe(1);
    expect(live(liveMemory(true)) - before).toBeLessThan(16 * MiB);
    runtime.gc = previous;
  });
});
