import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportModel, parseModelJson } from './export.ts';
import { createInferenceRunner } from './inference.ts';
import { createRng } from '../random.ts';
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

// Python with onnxruntime (not a project dependency): TRVAE_PYTHON, default python3.
const python = process.env.TRVAE_PYTHON ?? 'python3';
const pythonHasOrt = spawnSync(python, ['-c', 'import numpy, onnxruntime'], { stdio: 'ignore' }).status === 0;

function oneHotRows(codes: readonly number[], width: number): number[] {
  return codes.flatMap((c) => Array.from({ length: width }, (_, j) => (j === c ? 1 : 0)));
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

  it.skipIf(!pythonHasOrt)(`loads in Python onnxruntime (${python}) and gives the same outputs as ONNX Runtime Web`, async () => {
    const state = perturbedState();
    const files = exportModel(config, state, { genes: Array.from({ length: 12 }, (_, i) => `g${i}`), conditions: ['ctrl', 'a', 'b'] });
    const rng = createRng(5);
    const n = 9;
    const codes = Array.from({ length: n }, (_, i) => i % 3);
    const x = Float32Array.from({ length: n * 12 }, () => Math.abs(rng.normal()));
    const eps = Float32Array.from({ length: n * 4 }, () => rng.normal());
    const feeds = {
      x: { dims: [n, 12], data: [...x] },
      c: { dims: [n, 3], data: oneHotRows(codes, 3) },
      eps: { dims: [n, 4], data: [...eps] },
      c_target: { dims: [n, 3], data: oneHotRows(codes.map(() => 1), 3) },
    };
    const dir = await mkdtemp(join(tmpdir(), 'trvae-export-'));
    try {
      for (const kind of ['encode', 'mmd', 'predict'] as const) {
        const file = join(dir, `trvae_${kind}.onnx`);
        await writeFile(file, files.get(`trvae_${kind}.onnx`) as Uint8Array);
        const inputs = kind === 'encode' ? { x: feeds.x, c: feeds.c, eps: feeds.eps } : feeds;
        await writeFile(join(dir, 'feeds.json'), JSON.stringify(inputs));
        const r = spawnSync(python, [new URL('../../scripts/run-onnx.py', import.meta.url).pathname, file, join(dir, 'feeds.json')], { encoding: 'utf8' });
        expect(r.stderr).not.toMatch(/Error/);
        const fromPython = JSON.parse(r.stdout).outputs as Record<string, number[]>;
        const runner = await createInferenceRunner(kind, config, { model: files.get(`trvae_${kind}.onnx`) as Uint8Array });
        const fromWeb = await runner.run({ x, conditions: Int32Array.from(codes), target: 1, eps });
        await runner.release();
        expect(Object.keys(fromPython).sort()).toEqual(Object.keys(fromWeb).sort());
        for (const [name, values] of Object.entries(fromWeb)) {
          expect(fromPython[name]).toHaveLength(values.length);
          values.forEach((v, i) => expect(fromPython[name][i]).toBeCloseTo(v, 4));
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects metadata that does not match the model', () => {
    expect(() => exportModel(config, initialModelState(config), { genes: ['a'], conditions: ['x', 'y', 'z'] })).toThrow(/1 gene names for a model of 12 genes/);
  });
});
