import { describe, expect, it } from 'vitest';
import { dropoutMask, normalNoise, philox4x32 } from './philox.ts';
import { KernelInputError } from './errors.ts';

describe('Philox 4×32-10 (CPU)', () => {
  it('reproduces the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(Array.from(out)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    const f = 0xffffffff;
    philox4x32(f, f, f, f, f, f, out);
    expect(Array.from(out)).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(Array.from(out)).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it('gives identical streams for identical keys and different ones otherwise', () => {
    const key = { seed: 2 ** 40 + 5, step: 3, stream: 1 };
    expect(normalNoise(10, key)).toEqual(normalNoise(10, key));
    expect(normalNoise(10, key)).not.toEqual(normalNoise(10, { ...key, step: 4 }));
    expect(normalNoise(10, key)).not.toEqual(normalNoise(10, { ...key, stream: 2 }));
    expect(normalNoise(10, key)).not.toEqual(normalNoise(10, { ...key, seed: 5 }));
    // A prefix of a longer stream is the shorter stream.
    expect(normalNoise(7, key)).toEqual(normalNoise(12, key).subarray(0, 7));
  });

  it('has normal moments and dropout rates', () => {
    const n = 200_000;
    const z = normalNoise(n, { seed: 1, step: 0, stream: 0 });
    let s = 0;
    let s2 = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
    const m = dropoutMask(n, 0.2, { seed: 1, step: 0, stream: 1 });
    const kept = m.filter((v) => v > 0);
    expect(Math.abs(kept.length / n - 0.8)).toBeLessThan(0.01);
    expect(kept[0]).toBe(Math.fround(1.25));
    expect(dropoutMask(100, 0, { seed: 1, step: 0, stream: 1 }).every((v) => v === 1)).toBe(true);
    expect(() => dropoutMask(4, 1, { seed: 1, step: 0, stream: 1 })).toThrow(KernelInputError);
    expect(() => normalNoise(4, { seed: -1, step: 0, stream: 0 })).toThrow(/seed/);
  });

  it('makes the same dropout masks in wasm as in TypeScript, for seeds past 2^32, late steps, any count', () => {
    const keys = [
      { seed: 0, step: 0, stream: 0 },
      { seed: 1, step: 3, stream: 2 },
      { seed: 2 ** 40 + 12345, step: 2 ** 32 - 1, stream: 7 },
      { seed: Number.MAX_SAFE_INTEGER, step: 99_999, stream: 2 ** 31 + 5 },
    ];
    for (const key of keys) {
      for (const count of [1, 3, 4, 5, 1023, 65_537]) {
        for (const p of [0, 0.1, 0.5, 0.95]) {
          const js = dropoutMask(count, p, key, undefined, 'js');
          const into = new Float32Array(count).fill(7);
          expect(dropoutMask(count, p, key, into, 'wasm'), `${JSON.stringify(key)} ${count} ${p}`).toEqual(js);
        }
      }
    }
    expect(() => dropoutMask(4, 0.1, { seed: -1, step: 0, stream: 0 }, undefined, 'wasm')).toThrow(/seed/);
  });
});
