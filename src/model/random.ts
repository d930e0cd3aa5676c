// Seeded pseudo-random numbers (xoshiro128**, seeded by splitmix32) for initialisation, shuffles and
// simulated data. The training noise (eps, dropout masks) is Philox (src/cpu/philox.ts), keyed by step.

import { splitmix32 } from '../loader/prng.ts';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}


export function createRng(seed: number): Rng {
  const mix = splitmix32(seed);
  const s = Uint32Array.from([mix(), mix(), mix(), mix()]);
  let spare = Number.NaN;
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const next = () => nextU32() / 4294967296;
  return {
    next,
    normal() {
      if (!Number.isNaN(spare)) {
        const v = spare;
        spare = Number.NaN;
        return v;
      }
      let u = 0;
      while (u === 0) u = next();
      const r = Math.sqrt(-2 * Math.log(u));
      const theta = 2 * Math.PI * next();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
  };
}
