import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { checkGraphGradients } from '../onnx/gradcheck.ts';
import { checkTrainingLossGradients } from './loss-gradcheck.ts';
import { createGraph, input, output } from '../onnx/ir.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { createRng } from '../../random.ts';
import { makeConfig } from './config.ts';
import { buildTrainStep } from './graphs.ts';
import { MMD_SIGMAS, mmdAllPairs } from './mmd.ts';
import { layout } from './params.ts';

ort.env.wasm.numThreads = 1;

const tiny = makeConfig({ nGenes: 5, nConditions: 2, hidden: [6, 4], latent: 3, dropout: 0.25, batchSize: 8, alpha: 0.5, beta: 1, eta: 1, recon: 'sse', seed: 3 });

function randomArray(rng: ReturnType<typeof createRng>, n: number, f: () => number = () => rng.normal()) {
  return Float64Array.from({ length: n }, f);
}

/** Independent CPU reference: the textbook V-statistic with the raw kernel, float64. */
function mmdReference(y: Float64Array, codes: readonly number[], width: number, nConditions: number): number {
  const k = (a: number, b: number) => {
    let d = 0;
    for (let h = 0; h < width; h++) d += (y[a * width + h] - y[b * width + h]) ** 2;
    return MMD_SIGMAS.reduce((s, sigma) => s + Math.exp(-d / (2 * sigma)), 0) / MMD_SIGMAS.length;
  };
  const mean = (p: number[], q: number[]) => p.reduce((s, a) => s + q.reduce((t, b) => t + k(a, b), 0), 0) / (p.length * q.length);
  const groups = Array.from({ length: nConditions }, (_, c) => codes.flatMap((code, i) => (code === c ? [i] : [])));
  let total = 0;
  for (let i = 0; i < nConditions; i++) {
    for (let j = i + 1; j < nConditions; j++) {
      if (groups[i].length === 0 || groups[j].length === 0) continue;
      total += mean(groups[i], groups[i]) + mean(groups[j], groups[j]) - 2 * mean(groups[i], groups[j]);
    }
  }
  return total;
}

async function runMmd(y: Float64Array, codes: readonly number[], width: number, nConditions: number) {
  const b = codes.length;
  const g = createGraph('mmd');
  const yt = input(g, 'y', 'float32', [b, width]);
  const ct = input(g, 'c', 'float32', [b, nConditions]);
  output('mmd', mmdAllPairs(yt, ct));
  const s = await ort.InferenceSession.create(serializeGraph(g));
  const onehot = new Float32Array(b * nConditions);
  codes.forEach((c, i) => (onehot[i * nConditions + c] = 1));
  const r = await s.run({ y: new ort.Tensor('float32', Float32Array.from(y), [b, width]), c: new ort.Tensor('float32', onehot, [b, nConditions]) });
  return (r.mmd.data as Float32Array)[0];
}

describe('MMD term', () => {
  it('equals an independent float64 CPU computation, over all pairs of 3 conditions', async () => {
    const rng = createRng(7);
    const codes = [0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2, 1];
    // Group-dependent shift so that the MMD is far from 0; spread so that every σ matters.
    const y = Float64Array.from({ length: codes.length * 4 }, (_, i) => rng.normal() * 0.7 + codes[Math.floor(i / 4)] * 0.5);
    const expected = mmdReference(y, codes, 4, 3);
    expect(expected).toBeGreaterThan(0.01);
    expect(await runMmd(y, codes, 4, 3)).toBeCloseTo(expected, 5);
  });

  it('an empty condition contributes exactly 0, a single condition gives exactly 0, never NaN', async () => {
    const rng = createRng(8);
    const y = randomArray(rng, 6 * 3);
    const codes = [0, 2, 0, 2, 2, 0]; // condition 1 absent
    const got = await runMmd(y, codes, 3, 3);
    expect(got).toBeCloseTo(mmdReference(y, codes, 3, 3), 5);
    expect(await runMmd(y, [1, 1, 1, 1, 1, 1], 3, 3)).toBe(0);
  });

  it('gradient with respect to y matches finite differences (float64, 3 conditions, every σ active)', async () => {
    const rng = createRng(10);
    const codes = [0, 1, 2, 0, 1, 2, 0, 1];
    const g = createGraph('mmd_grad');
    const y = input(g, 'y', 'float64', [codes.length, 3]);
    const c = input(g, 'c', 'float64', [codes.length, 3]);
    const values = new Map([
      ['y', Float64Array.from({ length: codes.length * 3 }, (_, i) => rng.normal() * 0.8 + codes[Math.floor(i / 3)] * 0.3)],
      ['c', Float64Array.from({ length: codes.length * 3 }, (_, i) => (codes[Math.floor(i / 3)] === i % 3 ? 1 : 0))],
    ]);
    const { maxError, analytic } = await checkGraphGradients(g, mmdAllPairs(y, c), [y], values);
    expect(maxError).toBeLessThan(1e-6);
    expect(analytic.y.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('is 0 for identical groups and resolves a small shift that large-σ terms would drown in f32', async () => {
    const same = Float64Array.from([0.1, 2, -1, 0.3, 0.1, 2, -1, 0.3]);
    expect(Math.abs(await runMmd(same, [0, 0, 1, 1], 2, 2))).toBeLessThan(1e-9);
    const rng = createRng(9);
    const codes = Array.from({ length: 16 }, (_, i) => i % 2);
    const y = Float64Array.from({ length: 16 * 3 }, (_, i) => 3 * rng.normal() + 0.02 * codes[Math.floor(i / 3)]);
    const expected = mmdReference(y, codes, 3, 2);
    const got = await runMmd(y, codes, 3, 2);
    expect(Math.abs(got - expected)).toBeLessThan(2e-3 * Math.abs(expected) + 1e-7);
  });
});

describe('trVAE loss', () => {
  it('gradient of the whole loss (recon + KL + MMD, BN, dropout, clamp) matches finite differences', async () => {
    const { maxError, analytic, params } = await checkTrainingLossGradients(tiny, 11, (rng) => [['x', randomArray(rng, tiny.batchSize * tiny.nGenes, () => Math.abs(rng.normal()) * 2)]]);
    expect(maxError).toBeLessThan(1e-5);
    // Every parameter receives a gradient (nothing is cut off from the loss).
    for (const p of params) expect(analytic[p.name].some((g) => Math.abs(g) > 1e-8), p.name).toBe(true);
  });

  it('builds a train-step graph with an output for every state input', () => {
    const { graph } = buildTrainStep(tiny);
    const lay = layout(tiny);
    const outputs = new Set(graph.outputs.map((o) => o.name));
    for (const p of lay.params) for (const n of [p.name, `adam.m.${p.name}`, `adam.v.${p.name}`]) expect(outputs.has(`${n}.next`), n).toBe(true);
    for (const s of lay.stats) expect(outputs.has(`${s.name}.next`)).toBe(true);
    for (const t of ['recon', 'kl', 'mmd', 'total']) expect(outputs.has(`loss.${t}`)).toBe(true);
  });
});
