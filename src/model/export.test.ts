import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportModel, parseModelJson } from './export.ts';
import { createInferenceRunner } from './inference.ts';
import { createRng } from './random.ts';
import { initialModelState, type ModelState } from './train/state.ts';
import { makeConfig } from './trvae/config.ts';

ort.env.wasm.numThreads = 1;

const config = makeConfig({ nGenes: 12, nConditions: 3, hidden: [10, 6], latent: 4, batchSize: 16 });

/** A state that is not the initial one (non-trivial BN statistics and biases). */
function perturbedState(): ModelState {
  const rng = createRng(4);
  const s = initialModelState(config);
  const jitter = (m: Map<string, Float32Array>, positive = false) =>
    new Map([...m].map(([k, v]) => [k, Float32Array.from(v, (x) => (positive && k.endsWith('.var') ? x * (0.5 + rng.next()) : x + 0.2 * rng.normal()))]));
  return { ...s, params: jitter(s.params), stats: jitter(s.stats, true) };
}

describe('export', () => {
  it('standalone .onnx files with embedded weights reproduce in-process predictions in a fresh session', async () => {
    const state = perturbedState();
    const genes = Array.from({ length: 12 }, (_, i) => `gene${i}`);
    const files = exportModel(config, state, { genes, conditions: ['ctrl', 'a', 'b'], metrics: { note: 'test' } });
    expect([...files.keys()].sort()).toEqual(['model.json', 'trvae_encode.onnx', 'trvae_mmd.onnx', 'trvae_predict.onnx']);
    const json = parseModelJson(files.get('model.json') as string);
    expect(json.genes).toEqual(genes);
    expect(json.config.hidden).toEqual([10, 6]);
    expect(json.graphs.predict.outputs).toEqual(['xhat']);

    const rng = createRng(9);
    const n = 37; // not a multiple of anything: the batch dimension is symbolic
    const inputs = {
      x: Float32Array.from({ length: n * 12 }, () => Math.abs(rng.normal())),
      conditions: Int32Array.from({ length: n }, (_, i) => i % 3),
      target: 2,
      eps: Float32Array.from({ length: n * 4 }, () => rng.normal()),
    };
    for (const kind of ['encode', 'mmd', 'predict'] as const) {
      const inProcess = await createInferenceRunner(kind, config, { state }, 'wasm', 16);
      const exported = await createInferenceRunner(kind, config, { model: files.get(`trvae_${kind}.onnx`) as Uint8Array });
      const a = await inProcess.run(inputs);
      const b = await exported.run(inputs);
      for (const name of Object.keys(a)) {
        expect(b[name].length).toBe(a[name].length);
        expect(a[name].some((v) => v !== 0)).toBe(true);
        for (let i = 0; i < a[name].length; i++) expect(b[name][i]).toBeCloseTo(a[name][i], 5);
      }
      await inProcess.release();
      await exported.release();
    }
    // The exported session needs only the data inputs.
    const session = await ort.InferenceSession.create(files.get('trvae_predict.onnx') as Uint8Array);
    expect([...session.inputNames].sort()).toEqual(['c', 'c_target', 'eps', 'x']);
  });

  it('rejects metadata that does not match the model', () => {
    expect(() => exportModel(config, initialModelState(config), { genes: ['a'], conditions: ['x', 'y', 'z'] })).toThrow(/1 gene names for a model of 12 genes/);
  });
});
