import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportModel } from './export.ts';
import { modelDefinition } from './models.ts';
import { createRng } from '../random.ts';
import { latentMeans, scgenLatentMeans, scgenPredict } from './scgen.ts';
import { simulateDataset } from './simulate.ts';
import { buildStepGraph } from './train/train-step.ts';
import { memoryBatches, splitRows } from './train/memory-batches.ts';
import { train } from './train/train.ts';
import { makeConfig, type TrvaeConfig } from './trvae/config.ts';
import { checkTrainingLossGradients } from './trvae/loss-gradcheck.ts';
import { adamOf } from './optim/adam.ts';
import type { ModelState } from './train/state.ts';

ort.env.wasm.numThreads = 1;

const data = simulateDataset({ nCells: 640, nGenes: 30, nConditions: 2, seed: 12 });
const G = data.nGenes;
const library = Float32Array.from({ length: data.nCells }, (_, r) => data.counts.subarray(r * G, (r + 1) * G).reduce((a, b) => a + b, 0));
const x = data.counts.map((v, i) => Math.log1p((v * 1e4) / Math.max(1, library[Math.floor(i / G)])));
const dataset = { x, conditions: data.conditions, nGenes: G };
const split = splitRows(data.nCells, 0.1, 3);
const config = makeConfig({ model: 'scgen', nGenes: G, nConditions: 2, hidden: [32, 16], latent: 4, dropout: 0.1, batchSize: 64, recon: 'mse', alpha: 0.1, eta: 1, learningRate: 3e-3, seed: 7 });

const rowsOf = (values: Float32Array, width: number, rows: readonly number[]) => {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, k) => out.set(values.subarray(r * width, (r + 1) * width), k * width));
  return out;
};

/** Independent float64 CPU forward pass of scGen in inference mode (running BN statistics, no dropout). */
function cpuScgen(cfg: TrvaeConfig, state: ModelState) {
  const p = (name: string) => state.params.get(name) ?? (state.stats.get(name) as Float32Array);
  const dense = (h: Float64Array, n: number, w: Float32Array, inputs: number, outputs: number, bias?: Float32Array) => {
    const out = new Float64Array(n * outputs);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < outputs; o++) {
        let s = bias ? bias[o] : 0;
        for (let k = 0; k < inputs; k++) s += h[i * inputs + k] * w[k * outputs + o];
        out[i * outputs + o] = s;
      }
    }
    return out;
  };
  const blocks = (h: Float64Array, n: number, prefix: string, widths: readonly number[], first: number) => {
    let inputs = first;
    widths.forEach((width, b) => {
      const pre = dense(h, n, p(`${prefix}.${b}.w`), inputs, width);
      const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'var'].map((s) => p(`${prefix}.${b}.bn.${s}`));
      h = pre.map((v, i) => {
        const j = i % width;
        const bn = ((v - mean[j]) * gamma[j]) / Math.sqrt(variance[j] + cfg.bnEpsilon) + beta[j];
        return bn > 0 ? bn : bn * cfg.leakySlope;
      });
      inputs = width;
    });
    return { h, width: inputs };
  };
  return {
    mu(values: Float32Array, n: number) {
      const { h, width } = blocks(Float64Array.from(values), n, 'enc', cfg.hidden, cfg.nGenes);
      return dense(h, n, p('enc.mu.w'), width, cfg.latent, p('enc.mu.b'));
    },
    decode(z: Float64Array, n: number) {
      const { h, width } = blocks(z, n, 'dec', [...cfg.hidden].reverse(), cfg.latent);
      return dense(h, n, p('dec.out.w'), width, cfg.nGenes, p('dec.out.b')).map((v) => Math.max(0, v));
    },
  };
}

async function trainScgen() {
  return train({
    config,
    backend: 'wasm',
    schedule: { epochs: 15, lossEvery: 1, earlyStoppingPatience: 0, lrPatience: 0, restoreBest: false },
    batches: (epoch) => memoryBatches(dataset, split.train, 64, { seed: 1, epoch }),
    validation: () => memoryBatches(dataset, split.validation, 64, undefined),
  });
}

describe('scGen (WASM EP)', () => {
  it('is a VAE without condition inputs: its graphs take no one-hot c, its loss has no MMD term', () => {
    const model = modelDefinition(config);
    expect(model.name).toBe('scgen');
    expect(model.batchInputs('train').map((i) => i.name)).toEqual(['x', 'eps', 'mask.enc.0', 'mask.enc.1', 'mask.dec.0', 'mask.dec.1']);
    const { graph } = buildStepGraph(model, adamOf(config));
    const inputs = graph.inputs.map((t) => graph.names.get(t.id) as string);
    expect(inputs).not.toContain('c');
    expect(inputs).not.toContain('beta');
    expect(model.params.find((p) => p.name === 'enc.0.w')?.shape).toEqual([G, 32]);
    expect(model.params.find((p) => p.name === 'dec.0.w')?.shape).toEqual([4, 16]);
    expect(graph.outputs.map((o) => o.name).filter((n) => n.startsWith('loss.'))).toEqual(['loss.recon', 'loss.kl', 'loss.total']);
    expect(() => makeConfig({ ...config, recon: 'nb' })).toThrow(/scGen has no condition inputs/);
  });

  it('gradient of the whole loss (recon + KL, BN, dropout) matches finite differences', async () => {
    const tiny = makeConfig({ model: 'scgen', nGenes: 5, nConditions: 2, hidden: [6, 4], latent: 3, dropout: 0.25, batchSize: 8, alpha: 0.5, eta: 1, recon: 'sse', seed: 3 });
    const { maxError, analytic, params } = await checkTrainingLossGradients(tiny, 11, (rng) => [['x', Float64Array.from({ length: 40 }, () => Math.abs(rng.normal()) * 2)]]);
    expect(maxError).toBeLessThan(1e-5);
    for (const p of params) expect(analytic[p.name].some((g) => Math.abs(g) > 1e-8), p.name).toBe(true);
  });

  it('trains through the step runner (losses decrease), and predicts by latent arithmetic as an independent CPU computation does', async () => {
    const result = await trainScgen();
    expect(result.stopReason).toBe('completed');
    const history = result.checkpoint.history;
    const [first, last] = [history[0], history[history.length - 1]];
    expect(Object.keys(last.train).sort()).toEqual(['kl', 'recon', 'total']);
    expect(last.train.total).toBeLessThan(0.7 * first.train.total);
    expect(last.train.recon).toBeLessThan(first.train.recon);
    expect(last.validation!.total).toBeLessThan(first.validation!.total);
    expect(result.checkpoint.config.model).toBe('scgen');

    const state = result.checkpoint.state;
    const trainX = rowsOf(x, G, split.train);
    const trainConditions = Int32Array.from(split.train, (r) => data.conditions[r]);
    const means = await scgenLatentMeans(config, { state }, trainX, trainConditions, 'wasm');
    // Source cells: condition 0 of cell type 0 (as a held-out pair would be).
    const sourceRows = split.validation.filter((r) => data.conditions[r] === 0 && data.cellTypes[r] === 0);
    expect(sourceRows.length).toBeGreaterThan(3);
    const sourceX = rowsOf(x, G, sourceRows);
    const predicted = await scgenPredict(config, { state }, means, { x: sourceX, source: 0, target: 1 }, 'wasm');

    const cpu = cpuScgen(config, state);
    const muTrain = cpu.mu(trainX, split.train.length);
    const sums = [new Float64Array(4), new Float64Array(4)];
    const counts = [0, 0];
    trainConditions.forEach((c, i) => {
      counts[c]++;
      for (let d = 0; d < 4; d++) sums[c][d] += muTrain[i * 4 + d];
    });
    const delta = Array.from({ length: 4 }, (_, d) => sums[1][d] / counts[1] - sums[0][d] / counts[0]);
    expect([...means.cells]).toEqual(counts);
    delta.forEach((v, d) => expect(predicted.delta[d]).toBeCloseTo(v, 4));
    expect(delta.some((v) => Math.abs(v) > 1e-2)).toBe(true);
    const z = cpu.mu(sourceX, sourceRows.length).map((v, i) => v + delta[i % 4]);
    const expected = cpu.decode(z, sourceRows.length);
    expect(predicted.xhat).toHaveLength(expected.length);
    let worst = 0;
    expected.forEach((v, i) => (worst = Math.max(worst, Math.abs(predicted.xhat[i] - v) / (1 + Math.abs(v)))));
    expect(worst).toBeLessThan(1e-4);

    // The exported encode/decode graphs (weights embedded) predict the same.
    const files = exportModel(config, state, { genes: Array.from({ length: G }, (_, i) => `g${i}`), conditions: ['ctrl', 'stim'] });
    expect([...files.keys()].sort()).toEqual(['model.json', 'scgen_decode.onnx', 'scgen_encode.onnx']);
    const exported = { encode: files.get('scgen_encode.onnx') as Uint8Array, decode: files.get('scgen_decode.onnx') as Uint8Array };
    const fromExport = await scgenPredict(config, exported, means, { x: sourceX, source: 0, target: 1 }, 'wasm');
    fromExport.xhat.forEach((v, i) => expect(v).toBeCloseTo(predicted.xhat[i], 5));
  });

  it('latentMeans: per-condition means, and a condition without cells cannot be a source or target', async () => {
    const means = latentMeans(Float32Array.of(1, 2, 3, 4, 5, 6), Int32Array.of(0, 2, 0), 3, 2);
    expect([...means.means]).toEqual([3, 4, 0, 0, 3, 4]);
    expect([...means.cells]).toEqual([2, 0, 1]);
    const rng = createRng(1);
    const state = { params: new Map(), stats: new Map(), adamM: new Map(), adamV: new Map(), step: 0 };
    await expect(scgenPredict(makeConfig({ ...config, nConditions: 3 }), { state }, means, { x: Float32Array.from({ length: G }, () => rng.normal()), source: 0, target: 1 })).rejects.toThrow(/target condition 1 has no cells/);
  });
});
