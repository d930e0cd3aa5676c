import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { gradCheck } from '../onnx/gradcheck.ts';
import { createGraph, input, output, type FloatDType } from '../onnx/ir.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { createRng } from '../../random.ts';
import { makeConfig } from './config.ts';
import { checkTrainingLossGradients } from './loss-gradcheck.ts';
import { buildInference, buildTrainStep } from './graphs.ts';
import { lgamma, logLibraryShare, negativeBinomialLoss } from './nb.ts';
import { initialState, layout, NB_LOG_THETA } from './params.ts';

ort.env.wasm.numThreads = 1;

/** Independent float64 reference: Lanczos (g = 7, n = 9) with the reflection formula below ½. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
function lgammaReference(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgammaReference(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

async function run(graph: ReturnType<typeof createGraph>, feeds: Record<string, { dtype: FloatDType; data: Float32Array | Float64Array; dims: number[] }>) {
  const session = await ort.InferenceSession.create(serializeGraph(graph));
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.dtype, v.data, v.dims)])));
  await session.release();
  return out;
}

// Log-spaced over [1e-3, 1e5], plus the zeros of lgamma (1 and 2) and integers (count + 1 values).
const xs = [...Array.from({ length: 81 }, (_, i) => 10 ** (-3 + (8 * i) / 80)), 1, 2, 3, 7, 101, 5000];

describe('lgamma from ONNX primitives', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`matches a float64 Lanczos reference over [1e-3, 1e5] (${dtype})`, async () => {
      const g = createGraph('lgamma');
      output('y', lgamma(input(g, 'x', dtype, [xs.length])));
      const data = dtype === 'float64' ? Float64Array.from(xs) : Float32Array.from(xs);
      const y = (await run(g, { x: { dtype, data, dims: [xs.length] } })).y.data as Float32Array | Float64Array;
      // Absolute near the zeros at 1 and 2, relative elsewhere; float32 rounds the inputs themselves.
      const tol = dtype === 'float64' ? 1e-9 : 1e-5;
      xs.forEach((x, i) => {
        const ref = lgammaReference(dtype === 'float64' ? x : Math.fround(x));
        expect(Math.abs(y[i] - ref) / Math.max(1, Math.abs(ref)), `lgamma(${x})`).toBeLessThan(tol);
      });
    });
  }

  it('gradient (digamma) matches finite differences', async () => {
    const { maxError, analytic } = await gradCheck([{ name: 'x', shape: [7], values: [0.01, 0.3, 1, 2.5, 9, 150, 4000] }], lgamma);
    expect(maxError).toBeLessThan(1e-6);
    expect(analytic.x.some((v) => Math.abs(v) > 1e-2)).toBe(true);
  });
});

/** Float64 CPU reference of the NB term: softmax with the extra zero logit, θ by condition. */
function nbReference(counts: Float64Array, sf: Float64Array, logits: Float64Array, codes: number[], logTheta: Float64Array, G: number): number {
  const B = codes.length;
  let total = 0;
  for (let i = 0; i < B; i++) {
    const row = Array.from(logits.subarray(i * G, (i + 1) * G));
    const denom = 1 + row.reduce((s, l) => s + Math.exp(l), 0);
    for (let g = 0; g < G; g++) {
      const mu = (sf[i] * Math.exp(row[g])) / denom;
      const theta = Math.exp(logTheta[codes[i] * G + g]);
      const x = counts[i * G + g];
      total += lgammaReference(x + theta) - lgammaReference(theta) - lgammaReference(x + 1)
        + theta * (Math.log(theta) - Math.log(theta + mu)) + x * (Math.log(mu) - Math.log(theta + mu));
    }
  }
  return -total / B;
}

describe('NB reconstruction term', () => {
  it('equals an independent float64 CPU computation on a small batch', async () => {
    const B = 6;
    const G = 5;
    const C = 2;
    const rng = createRng(21);
    const codes = [0, 1, 1, 0, 1, 0];
    const counts = Float64Array.from({ length: B * G }, () => Math.floor(rng.next() * 30));
    const sf = Float64Array.from({ length: B }, (_, i) => 200 + 50 * i);
    const logits = Float64Array.from({ length: B * G }, () => rng.normal() - 1);
    const logTheta = Float64Array.from({ length: C * G }, () => rng.normal());
    const onehot = Float64Array.from({ length: B * C }, (_, k) => (codes[Math.floor(k / C)] === k % C ? 1 : 0));
    const expected = nbReference(counts, sf, logits, codes, logTheta, G);
    for (const dtype of ['float64', 'float32'] as const) {
      const g = createGraph('nb');
      const t = (name: string, shape: number[]) => input(g, name, dtype, shape);
      const logShare = logLibraryShare(t('logits', [B, G]));
      output('loss', negativeBinomialLoss(t('counts', [B, G]), t('size_factors', [B]), logShare, t('c', [B, C]), t('log_theta', [C, G])));
      const arr = (a: Float64Array) => (dtype === 'float64' ? a : Float32Array.from(a));
      const out = await run(g, {
        counts: { dtype, data: arr(counts), dims: [B, G] },
        size_factors: { dtype, data: arr(sf), dims: [B] },
        logits: { dtype, data: arr(logits), dims: [B, G] },
        c: { dtype, data: arr(onehot), dims: [B, C] },
        log_theta: { dtype, data: arr(logTheta), dims: [C, G] },
      });
      const got = (out.loss.data as Float64Array | Float32Array)[0];
      expect(Math.abs(got - expected) / Math.abs(expected), dtype).toBeLessThan(dtype === 'float64' ? 1e-8 : 1e-5);
    }
  });

  it('stays finite for huge logits (the log-sum-exp is shifted)', async () => {
    const g = createGraph('share');
    output('share', logLibraryShare(input(g, 'logits', 'float32', [1, 3])));
    const out = await run(g, { logits: { dtype: 'float32', data: Float32Array.of(200, 199, -300), dims: [1, 3] } });
    const share = [...(out.share.data as Float32Array)];
    expect(share.every(Number.isFinite)).toBe(true);
    expect(share[0]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 5);
  });
});

const tiny = makeConfig({ nGenes: 5, nConditions: 2, hidden: [6, 4], latent: 3, dropout: 0.25, batchSize: 8, alpha: 0.5, beta: 1, eta: 1, recon: 'nb', seed: 3 });

describe("trVAE with recon 'nb'", () => {
  it('gradient of the whole loss (NB + KL + MMD, BN, dropout) matches finite differences', async () => {
    const B = tiny.batchSize;
    const { maxError, analytic, params } = await checkTrainingLossGradients(tiny, 13, (rng) => {
      const counts = Float64Array.from({ length: B * tiny.nGenes }, () => Math.floor(rng.next() * 12));
      return [
        ['counts', counts],
        ['size_factors', Float64Array.from({ length: B }, (_, i) => 60 + i)],
        ['x', Float64Array.from(counts, (v) => Math.log1p(v))],
      ];
    });
    expect(maxError).toBeLessThan(1e-5);
    for (const p of params) expect(analytic[p.name].some((g) => Math.abs(g) > 1e-8), p.name).toBe(true);
    expect(params.some((p) => p.name === NB_LOG_THETA)).toBe(true);
  });

  it('train-step graph takes counts and size factors; the predict graph keeps the MSE inputs and outputs log1p(1e4 · share)', async () => {
    const step = buildTrainStep(tiny).graph;
    const names = new Set(step.inputs.map((t) => step.names.get(t.id)));
    expect(names.has('counts') && names.has('size_factors')).toBe(true);
    expect(step.outputs.some((o) => o.name === `${NB_LOG_THETA}.next`)).toBe(true);
    const predict = buildInference('predict', tiny, 2).graph;
    const mse = buildInference('predict', { ...tiny, recon: 'mse' }, 2).graph;
    const inputNames = (g: typeof predict) => g.inputs.map((t) => g.names.get(t.id)).filter((n) => n !== NB_LOG_THETA);
    expect(inputNames(predict)).toEqual(inputNames(mse));
    const { params, stats } = initialState(tiny);
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of [...layout(tiny).params, ...layout(tiny).stats]) {
      feeds[p.name] = new ort.Tensor('float32', (params.get(p.name) ?? stats.get(p.name))!, [...p.shape]);
    }
    const rng = createRng(4);
    feeds.x = new ort.Tensor('float32', Float32Array.from({ length: 10 }, () => Math.abs(rng.normal())), [2, 5]);
    feeds.c = new ort.Tensor('float32', Float32Array.of(1, 0, 0, 1), [2, 2]);
    feeds.c_target = new ort.Tensor('float32', Float32Array.of(0, 1, 1, 0), [2, 2]);
    feeds.eps = new ort.Tensor('float32', new Float32Array(6), [2, 3]);
    const session = await ort.InferenceSession.create(serializeGraph(predict));
    const xhat = (await session.run(feeds)).xhat.data as Float32Array;
    await session.release();
    // Each row is log1p of a share of 1e4 over the model genes: non-negative, summing (in expm1) below 1e4.
    for (let r = 0; r < 2; r++) {
      const row = [...xhat.subarray(r * 5, r * 5 + 5)];
      expect(row.every((v) => v > 0)).toBe(true);
      expect(row.reduce((s, v) => s + Math.expm1(v), 0)).toBeLessThan(1e4);
    }
  });
});
