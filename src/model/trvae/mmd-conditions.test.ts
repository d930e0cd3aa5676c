// The MMD term of trVAE's train-step graph for 4 conditions, against an independent float64 CPU
// computation: the forward pass to the MMD layer (encoder blocks with batch-statistics BN, the
// reparameterised z, the first decoder block) and the MMD summed over every pair of conditions
// present in the batch (19-σ kernel, biased V-statistic with the diagonals, empty groups give 0).
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { lossOutput } from '../definition.ts';
import { tensorName, type FloatDType } from '../onnx/ir.ts';
import { serializeGraph } from '../onnx/serialize.ts';
import { createRng, type Rng } from '../../random.ts';
import { makeConfig, type TrvaeConfig } from './config.ts';
import { buildTrainStep } from './graphs.ts';
import { MMD_SIGMAS } from './mmd.ts';
import { initialState, layout } from './params.ts';

ort.env.wasm.numThreads = 1;

const config = makeConfig({ nGenes: 6, nConditions: 4, hidden: [7, 5], latent: 3, dropout: 0.25, batchSize: 16, alpha: 0.5, beta: 1, eta: 1, recon: 'sse', seed: 2 });

/** Everything the graph reads, in float64: parameters (jittered), statistics, x, one-hot c, eps, dropout masks. */
function batchValues(rng: Rng, codes: readonly number[]): Map<string, Float64Array> {
  const B = codes.length;
  const { params, stats } = initialState(config);
  const values = new Map<string, Float64Array>();
  for (const [k, v] of params) values.set(k, Float64Array.from(v, (p) => p + 0.1 * rng.normal()));
  for (const [k, v] of stats) values.set(k, Float64Array.from(v));
  // A condition-dependent input so that the MMD layer's groups differ.
  values.set('x', Float64Array.from({ length: B * config.nGenes }, (_, i) => Math.abs(rng.normal()) * 2 + 0.4 * codes[Math.floor(i / config.nGenes)]));
  values.set('c', Float64Array.from({ length: B * config.nConditions }, (_, i) => (codes[Math.floor(i / config.nConditions)] === i % config.nConditions ? 1 : 0)));
  values.set('eps', Float64Array.from({ length: B * config.latent }, () => rng.normal()));
  for (const m of layout(config).masks) values.set(m.name, Float64Array.from({ length: B * m.width }, () => (rng.next() < config.dropout ? 0 : 1 / (1 - config.dropout))));
  return values;
}

/** x [B, n] · W [n, m] (+ b). */
function dense(x: Float64Array, W: Float64Array, B: number, n: number, m: number, b?: Float64Array): Float64Array {
  const out = new Float64Array(B * m);
  for (let i = 0; i < B; i++) for (let j = 0; j < m; j++) {
    let s = b ? b[j] : 0;
    for (let k = 0; k < n; k++) s += x[i * n + k] * W[k * m + j];
    out[i * m + j] = s;
  }
  return out;
}

const concatColumns = (a: Float64Array, na: number, b: Float64Array, nb: number, B: number) =>
  Float64Array.from({ length: B * (na + nb) }, (_, i) => {
    const r = Math.floor(i / (na + nb));
    const k = i % (na + nb);
    return k < na ? a[r * na + k] : b[r * nb + k - na];
  });

/** Dense → BatchNorm on the batch's own mean and biased variance → LeakyReLU (before dropout). */
function block(h: Float64Array, B: number, n: number, m: number, W: Float64Array, gamma: Float64Array, beta: Float64Array, c: TrvaeConfig): Float64Array {
  const a = dense(h, W, B, n, m);
  const out = new Float64Array(B * m);
  for (let j = 0; j < m; j++) {
    let mean = 0;
    for (let i = 0; i < B; i++) mean += a[i * m + j] / B;
    let variance = 0;
    for (let i = 0; i < B; i++) variance += (a[i * m + j] - mean) ** 2 / B;
    for (let i = 0; i < B; i++) {
      const v = ((a[i * m + j] - mean) / Math.sqrt(variance + c.bnEpsilon)) * gamma[j] + beta[j];
      out[i * m + j] = v > 0 ? v : c.leakySlope * v;
    }
  }
  return out;
}

/** The MMD layer's output y [B, width]: the training-mode forward pass written out in float64. */
function mmdLayerReference(values: Map<string, Float64Array>, B: number): { y: Float64Array; width: number } {
  const v = (name: string) => values.get(name)!;
  const lay = layout(config);
  const C = config.nConditions;
  let h = concatColumns(v('x'), config.nGenes, v('c'), C, B);
  for (const b of lay.encoder) {
    const a = block(h, B, b.inputs, b.width, v(b.weight), v(b.gamma), v(b.beta), config);
    h = a.map((x, i) => x * v(b.mask)[i]);
  }
  const last = config.hidden[config.hidden.length - 1];
  const mu = dense(h, v('enc.mu.w'), B, last, config.latent, v('enc.mu.b'));
  const logvar = dense(h, v('enc.logvar.w'), B, last, config.latent, v('enc.logvar.b')).map((x) => Math.min(config.logvarMax, Math.max(config.logvarMin, x)));
  const z = mu.map((m, i) => m + Math.exp(0.5 * logvar[i]) * v('eps')[i]);
  const first = lay.decoder[0];
  return { y: block(concatColumns(z, config.latent, v('c'), C, B), B, first.inputs, first.width, v(first.weight), v(first.gamma), v(first.beta), config), width: first.width };
}

/** Σ over pairs i < j of conditions with cells in the batch of the V-statistic MMD², with trVAE's 19-σ kernel. */
function mmdReference(y: Float64Array, width: number, codes: readonly number[], nConditions: number): number {
  const kernel = (a: number, b: number) => {
    let d = 0;
    for (let h = 0; h < width; h++) d += (y[a * width + h] - y[b * width + h]) ** 2;
    return MMD_SIGMAS.reduce((s, sigma) => s + Math.exp(-d / (2 * sigma)), 0) / MMD_SIGMAS.length;
  };
  const meanKernel = (p: number[], q: number[]) => p.reduce((s, a) => s + q.reduce((t, b) => t + kernel(a, b), 0), 0) / (p.length * q.length);
  const groups = Array.from({ length: nConditions }, (_, c) => codes.flatMap((code, i) => (code === c ? [i] : [])));
  let total = 0;
  for (let i = 0; i < nConditions; i++) {
    for (let j = i + 1; j < nConditions; j++) {
      if (groups[i].length === 0 || groups[j].length === 0) continue; // an absent condition contributes 0
      total += meanKernel(groups[i], groups[i]) + meanKernel(groups[j], groups[j]) - 2 * meanKernel(groups[i], groups[j]);
    }
  }
  return total;
}

/** loss.mmd of the train-step graph (buildTrainStep, as training runs it) for one batch. */
async function trainStepMmd(values: Map<string, Float64Array>, B: number, dtype: FloatDType): Promise<number> {
  const { graph } = buildTrainStep(config, B, dtype);
  const session = await ort.InferenceSession.create(serializeGraph(graph));
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of graph.inputs) {
    const name = tensorName(t);
    const n = t.shape.reduce((a, b) => a * b, 1);
    // The optimiser's state (moments, step, lr) and the loss weights do not enter the MMD term.
    const value = values.get(name) ?? new Float64Array(n).fill(name === 'step' ? 1 : 0.5);
    if (value.length !== n) throw new Error(`input ${name}: ${value.length} values for shape [${t.shape.join(', ')}]`);
    if (t.dtype === 'float64') feeds[name] = new ort.Tensor('float64', value, [...t.shape]);
    else if (t.dtype === 'float32') feeds[name] = new ort.Tensor('float32', Float32Array.from(value), [...t.shape]);
    else if (t.dtype === 'int64') feeds[name] = new ort.Tensor('int64', BigInt64Array.from(value, (x) => BigInt(Math.round(x))), [...t.shape]);
    else throw new Error(`input ${name}: unexpected dtype ${t.dtype}`);
  }
  const out = await session.run(feeds, [lossOutput('mmd')]);
  await session.release();
  return Number(out[lossOutput('mmd')].data[0]);
}

describe('MMD over every pair of 4 conditions in the train-step graph', () => {
  const cases: [string, number[]][] = [
    ['all 4 conditions, uneven groups', [0, 1, 2, 3, 0, 0, 1, 3, 2, 0, 1, 3, 0, 2, 3, 1]],
    ['condition 2 absent', [0, 1, 3, 3, 0, 0, 1, 3, 1, 0, 1, 3, 0, 3, 3, 1]],
    ['one cell of condition 3', [0, 1, 2, 2, 0, 0, 1, 3, 2, 0, 1, 2, 0, 2, 1, 1]],
  ];
  for (const [name, codes] of cases) {
    it(`equals the float64 CPU computation: ${name}`, async () => {
      const values = batchValues(createRng(codes.reduce((a, c) => a * 5 + c, 1) % 10007), codes);
      const { y, width } = mmdLayerReference(values, codes.length);
      const expected = mmdReference(y, width, codes, config.nConditions);
      expect(expected).toBeGreaterThan(1e-3);
      const got64 = await trainStepMmd(values, codes.length, 'float64');
      // The estimator cancels ~3 digits (kernel means ≈ 1, differences ≈ 1e-3), hence 1e-7 relative.
      expect(Math.abs(got64 - expected)).toBeLessThan(1e-7 * expected);
      // Training runs in float32: the same term within f32 rounding.
      const got32 = await trainStepMmd(values, codes.length, 'float32');
      expect(Math.abs(got32 - expected)).toBeLessThan(1e-3 * expected);
    });
  }

  it('is the sum of the pairs present: dropping a condition removes exactly its pairs', () => {
    // The reference itself: with condition 2 absent, the 3 pairs with it add nothing, and the rest is
    // the 3-condition MMD of the same cells (codes 0, 1, 3 renumbered 0, 1, 2).
    const codes = [0, 1, 3, 3, 0, 0, 1, 3, 1, 0, 1, 3, 0, 3, 3, 1];
    const values = batchValues(createRng(4), codes);
    const { y, width } = mmdLayerReference(values, codes.length);
    expect(mmdReference(y, width, codes, 4)).toBeCloseTo(mmdReference(y, width, codes.map((c) => (c === 3 ? 2 : c)), 3), 12);
  });

  it('a batch of a single condition has MMD exactly 0', async () => {
    const codes = new Array<number>(16).fill(1);
    expect(await trainStepMmd(batchValues(createRng(6), codes), codes.length, 'float64')).toBe(0);
  });
});
