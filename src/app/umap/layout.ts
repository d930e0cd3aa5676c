// UMAP's layout: stochastic gradient descent of the fuzzy cross-entropy in 2-D (umap-learn's
// optimize_layout_euclidean): each edge is sampled in proportion to its weight, pulls its two
// points together, and pushes its head from a few random points. One epoch per call, so the worker
// reports progress between epochs.
import type { FuzzyGraph } from './graph.ts';

/** a, b of the low-dimensional similarity 1 / (1 + a d^2b), fitted to UMAP's offset exponential for `minDist` (umap-learn's find_ab_params, by Gauss–Newton). */
export function abParams(minDist: number, spread = 1): { a: number; b: number } {
  const xs = Array.from({ length: 300 }, (_, i) => (i * 3 * spread) / 299);
  const ys = xs.map((x) => (x < minDist ? 1 : Math.exp(-(x - minDist) / spread)));
  let a = 1;
  let b = 1;
  for (let iter = 0; iter < 200; iter++) {
    // Normal equations of the residuals' Jacobian in (a, b), with a little damping.
    let jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
    xs.forEach((x, i) => {
      if (x <= 0) return;
      const p = Math.pow(x, 2 * b);
      const f = 1 / (1 + a * p);
      const r = f - ys[i];
      const da = -p * f * f;
      const db = -a * p * 2 * Math.log(x) * f * f;
      jaa += da * da; jab += da * db; jbb += db * db; ga += da * r; gb += db * r;
    });
    const damp = 1e-6 * (jaa + jbb);
    const det = (jaa + damp) * (jbb + damp) - jab * jab;
    const stepA = ((jbb + damp) * ga - jab * gb) / det;
    const stepB = ((jaa + damp) * gb - jab * ga) / det;
    a = Math.max(1e-3, a - stepA);
    b = Math.max(1e-3, b - stepB);
    if (Math.abs(stepA) < 1e-9 && Math.abs(stepB) < 1e-9) break;
  }
  return { a, b };
}

/** umap-learn's epochs by size when none is asked for: 500 for small sets, 200 above 10,000 cells. */
export const defaultEpochs = (n: number) => (n <= 10_000 ? 500 : 200);

export interface LayoutState {
  readonly epochs: number;
  /** Runs epoch `epoch` (0-based). */
  step(epoch: number): void;
  /** The positions now, [n, 2] interleaved x, y. */
  positions(): Float32Array;
}

const negativeSampleRate = 5;

// x^b for the layout's gradients as 2^(b·log2 x), log2 and 2^t by degree-6 polynomials on the
// float's mantissa (least-squares fits; relative error under 1e-5 for x in 1e-8 … 1e4, float32
// rounding included): V8's Math.pow with a fractional exponent was the layout's largest cost.
// x must be a positive normal float32.
const bits = new Float32Array(1);
const word = new Int32Array(bits.buffer);
export function powApprox(x: number, b: number): number {
  bits[0] = x;
  const w = word[0];
  const m = (w & 0x7fffff) * (1 / 8388608);
  const log2 = ((w >> 23) - 127) + (0.000005066073348 + m * (1.442395467 + m * (-0.7169867692 + m * (0.4538559403 + m * (-0.2723527466 + m * (0.1179049226 - m * 0.02482554718))))));
  const y = b * log2;
  const whole = Math.floor(y);
  const t = y - whole;
  word[0] = (whole + 127) << 23;
  return bits[0] * (1.000000006 + t * (0.6931468375 + t * (0.2402310979 + t * (0.05547890888 + t * (0.009686191575 + t * (0.001238237912 + t * 0.0002187135495))))));
}
const clip = (v: number) => (v > 4 ? 4 : v < -4 ? -4 : v);

/** The edges' sampling schedule: edges too weak to be sampled once in `epochs` are dropped, the rest come every max/w epochs. */
function schedule(graph: FuzzyGraph, epochs: number) {
  const { head, tail, weights } = graph;
  let max = 0;
  for (const w of weights) if (w > max) max = w;
  const kept: number[] = [];
  weights.forEach((w, e) => w >= max / epochs && kept.push(e));
  const epochsPerSample = Float32Array.from(kept, (e) => max / weights[e]);
  return {
    m: kept.length,
    from: Int32Array.from(kept, (e) => head[e]),
    to: Int32Array.from(kept, (e) => tail[e]),
    epochsPerSample,
    epochsPerNegative: epochsPerSample.map((v) => v / negativeSampleRate),
  };
}

/** The layout's SGD from `initial` positions ([n, 2], scaled into ±10 as umap-learn's), seeded. */
export function createLayout(graph: FuzzyGraph, initial: Float32Array, epochs: number, minDist: number, seed: number): LayoutState {
  const { n } = graph;
  const { a, b } = abParams(minDist);
  const { m, from, to, epochsPerSample, epochsPerNegative } = schedule(graph, epochs);
  const positions = initial.slice();
  const nextSample = epochsPerSample.slice();
  const nextNegative = epochsPerNegative.slice();
  // xorshift32 for the negative samples: the inner loop's one random draw.
  let state = (seed ^ 0x9e3779b9) | 0 || 1;
  // A float multiply, not `%`: a uint32 modulo runs in doubles in V8.
  const toPoint = n / 4294967296;
  const randomPoint = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return Math.floor((state >>> 0) * toPoint);
  };
  const twoAB = 2 * a * b;
  return {
    epochs,
    positions: () => positions.slice(),
    step(epoch) {
      const alpha = 1 - epoch / epochs;
      for (let e = 0; e < m; e++) {
        if (nextSample[e] > epoch) continue;
        const j = from[e];
        const k = to[e];
        let dx = positions[2 * j] - positions[2 * k];
        let dy = positions[2 * j + 1] - positions[2 * k + 1];
        let d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const pb = powApprox(d2 > 1e-30 ? d2 : 1e-30, b);
          const coeff = (-twoAB * pb) / d2 / (a * pb + 1);
          const gx = clip(coeff * dx) * alpha;
          const gy = clip(coeff * dy) * alpha;
          positions[2 * j] += gx;
          positions[2 * j + 1] += gy;
          positions[2 * k] -= gx;
          positions[2 * k + 1] -= gy;
        }
        nextSample[e] += epochsPerSample[e];
        const negatives = Math.max(0, Math.floor((epoch - nextNegative[e]) / epochsPerNegative[e]));
        for (let p = 0; p < negatives; p++) {
          const o = randomPoint();
          if (o === j) continue;
          dx = positions[2 * j] - positions[2 * o];
          dy = positions[2 * j + 1] - positions[2 * o + 1];
          d2 = dx * dx + dy * dy;
          if (d2 > 0) {
            const coeff = (2 * b) / ((0.001 + d2) * (a * powApprox(d2 > 1e-30 ? d2 : 1e-30, b) + 1));
            positions[2 * j] += clip(coeff * dx) * alpha;
            positions[2 * j + 1] += clip(coeff * dy) * alpha;
          } else {
            positions[2 * j] += 4 * alpha;
            positions[2 * j + 1] += 4 * alpha;
          }
        }
        nextNegative[e] += negatives * epochsPerNegative[e];
      }
    },
  };
}
