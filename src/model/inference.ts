// Running a model's inference graphs (trVAE: encode, MMD layer, predict; scGen: encode, decode)
// in-process, in chunks of cells, with the model state either fed as inputs or embedded (exported
// graphs). The feeds are the graph's declared cell inputs.

import { oneHot } from '../cpu/onehot.ts';
import { buildInferenceGraph, inferenceSpec, type CellInput, type ModelConfig, type ModelDefinition } from './definition.ts';
import { modelDefinition } from './models.ts';
import { serializeGraph } from './onnx/serialize.ts';
import { cpuBackend, createSession, ort, readTensor, type Backend } from './runtime.ts';
import type { ModelState } from './train/state.ts';

/** An inference graph's kind (the model's `inference` keys). */
export type InferenceKind = string;

/** The output names of a model's inference graph. */
export const inferenceOutputs = (config: ModelConfig, kind: InferenceKind): readonly string[] => inferenceSpec(modelDefinition(config), kind).outputs;

/** The graph's weights (parameters and statistics) by input name. */
export function stateWeights(model: ModelDefinition, state: ModelState): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of model.params) out.set(p.name, state.params.get(p.name) as Float32Array);
  for (const s of model.stats) out.set(s.name, state.stats.get(s.name) as Float32Array);
  return out;
}

/** Standalone ONNX bytes of an inference graph with the weights embedded and a symbolic batch dimension. */
export function inferenceModelBytes(kind: InferenceKind, config: ModelConfig, state?: ModelState): Uint8Array {
  const model = modelDefinition(config);
  return serializeGraph(buildInferenceGraph(model, kind), {
    batch: { size: 1, name: 'cells' },
    embed: state ? stateWeights(model, state) : undefined,
  });
}

export interface CellInputs {
  /** Log-normalised expression [n, nGenes]. */
  readonly x?: Float32Array;
  /** Condition code of each cell for the encoder (trVAE). */
  readonly conditions?: Int32Array;
  /** Condition code for the decoder (trVAE's mmd, predict); one code for all cells or one per cell. */
  readonly target?: number | Int32Array;
  /** Latent noise [n, latent]; omitted: zeros (z = mu). */
  readonly eps?: Float32Array;
  /** Latent codes [n, latent] (scGen's decode). */
  readonly z?: Float32Array;
}

export interface InferenceRunner {
  run(inputs: CellInputs): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

const width = (input: CellInput) => input.perCell.reduce((a, b) => a * b, 1);

const arrayNames: Readonly<Record<CellInput['source'], keyof CellInputs>> = { x: 'x', latent: 'z', noise: 'eps', condition: 'conditions', target: 'target' };

/** The number of cells of `inputs` (from the conditions, x or z), checking every array the graph takes against it. */
function cellCount(inputs: CellInputs, declared: readonly CellInput[], kind: string): number {
  const rows = declared.find((i) => i.source === 'x' || i.source === 'latent');
  const values = rows && (inputs[arrayNames[rows.source]] as Float32Array | undefined);
  const n = inputs.conditions?.length ?? (rows && values ? values.length / width(rows) : undefined);
  if (n === undefined || !Number.isInteger(n)) throw new Error(`${kind}: cannot tell the number of cells (it takes ${declared.map((i) => i.name).join(', ')})`);
  for (const i of declared) {
    const value = inputs[arrayNames[i.source]];
    if (value === undefined) {
      if (i.source === 'target') throw new Error(`${kind} needs a target condition`);
      if (i.source !== 'noise') throw new Error(`${kind} needs ${arrayNames[i.source]}`);
      continue;
    }
    if (typeof value === 'number') continue;
    const [perCell, what] = i.source === 'condition' || i.source === 'target' ? [1, 'codes'] : [width(i), i.source === 'x' ? 'genes' : 'latent dimensions'];
    if (value.length !== n * perCell) throw new Error(`${arrayNames[i.source]} has ${value.length} values for ${n} cells × ${perCell} ${what}`);
  }
  return n;
}

/**
 * An inference session for `kind`. With `state`, the weights are fed as inputs (in-process); with
 * `model` bytes (an exported graph), they are already inside.
 */
export async function createInferenceRunner(
  kind: InferenceKind,
  config: ModelConfig,
  source: { readonly state: ModelState } | { readonly model: Uint8Array },
  backend: Backend = cpuBackend,
  chunkSize = 1024,
): Promise<InferenceRunner> {
  const model = modelDefinition(config);
  const spec = inferenceSpec(model, kind);
  const bytes = 'model' in source ? source.model : inferenceModelBytes(kind, config);
  const session = await createSession(bytes, backend);
  const weights: Record<string, ort.Tensor> = {};
  if ('state' in source) {
    const shapes = new Map([...model.params, ...model.stats].map((p) => [p.name, p.shape]));
    for (const [name, v] of stateWeights(model, source.state)) weights[name] = new ort.Tensor('float32', v, [...(shapes.get(name) as readonly number[])]);
  }
  return {
    async run(inputs) {
      const n = cellCount(inputs, spec.inputs, kind);
      const parts: Record<string, Float32Array[]> = Object.fromEntries(spec.outputs.map((o) => [o, []]));
      for (let start = 0; start < n; start += chunkSize) {
        const end = Math.min(n, start + chunkSize);
        const b = end - start;
        const feeds: Record<string, ort.Tensor> = { ...weights };
        for (const i of spec.inputs) {
          const w = width(i);
          const rows = (a: Float32Array) => a.subarray(start * w, end * w);
          let values: Float32Array;
          if (i.source === 'x') values = rows(inputs.x as Float32Array);
          else if (i.source === 'latent') values = rows(inputs.z as Float32Array);
          else if (i.source === 'noise') values = inputs.eps ? rows(inputs.eps) : new Float32Array(b * w);
          else if (i.source === 'condition') values = oneHot((inputs.conditions as Int32Array).subarray(start, end), w);
          else {
            const target = inputs.target as number | Int32Array;
            values = oneHot(typeof target === 'number' ? new Int32Array(b).fill(target) : target.subarray(start, end), w);
          }
          feeds[i.name] = new ort.Tensor('float32', values, [b, ...i.perCell]);
        }
        const out = await session.run(feeds);
        for (const name of spec.outputs) parts[name].push(Float32Array.from(await readTensor(out[name])));
      }
      const result: Record<string, Float32Array> = {};
      for (const name of spec.outputs) {
        const joined = new Float32Array(parts[name].reduce((s, p) => s + p.length, 0));
        let offset = 0;
        for (const p of parts[name]) {
          joined.set(p, offset);
          offset += p.length;
        }
        result[name] = joined;
      }
      return result;
    },
    release: () => session.release(),
  };
}
