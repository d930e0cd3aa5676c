// The project's one seeded PRNG (sfc32, seeded through splitmix32): parameter initialisation,
// shuffles, samplers, splits and simulated data. Same seed and stream → same sequence on every
// platform, so an epoch's batch order is reproducible without storing it. The training noise (eps,
// dropout masks) is counter-based Philox (src/cpu/philox.ts, and its WGSL twin), keyed by step.

export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller, the second value of each pair kept for the next call). */
  normal(): number;
}

/** splitmix32: expands one 32-bit seed into a stream of well-mixed words (for seeding other generators). */
export function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A generator for `seed` and an independent `stream` (e.g. the epoch number). */
export function createRng(seed: number, stream = 0): Rng {
  const mix = splitmix32(hash32(seed >>> 0, stream >>> 0));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix() | 1;
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextU32();
  const next = (): number => nextU32() / 4294967296;
  let spare = Number.NaN;
  const normal = (): number => {
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
  };
  return { nextU32, next, int: (n) => Math.floor(next() * n), normal };
}

/** A stateless 32-bit hash of two integers (for per-row decisions that must not depend on order). */
export function hash32(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ 0x27d4eb2f, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15) ^ (b >>> 0), 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ Math.floor(b / 4294967296), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(values: T, rng: Rng): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  return values;
}

/** 0..n-1 in random order. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rng);
}

/** A Poisson draw: Knuth's product of uniforms, a rounded normal past λ = 40 (where the product gets slow). */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
