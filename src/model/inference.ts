// Running the inference graphs (encode, MMD layer, predict) in-process, in chunks of cells, with
// the model state either fed as inputs or embedded (exported graphs).

import { oneHot } from '../cpu/onehot.ts';
import { serializeGraph } from './onnx/serialize.ts';
import { cpuBackend, createSession, ort, readTensor, type Backend } from './runtime.ts';
import type { ModelState } from './train/state.ts';
import type { TrvaeConfig } from './trvae/config.ts';
import { buildInference, type InferenceKind } from './trvae/graphs.ts';
import { layout } from './trvae/params.ts';

export const INFERENCE_OUTPUTS: Readonly<Record<InferenceKind, readonly string[]>> = {
  encode: ['mu', 'logvar', 'z'],
  mmd: ['y'],
  predict: ['xhat'],
};

/** The graph's weights (parameters and BN running statistics) by input name. */
export function stateWeights(config: TrvaeConfig, state: ModelState): Map<string, Float32Array> {
  const lay = layout(config);
  const out = new Map<string, Float32Array>();
  for (const p of lay.params) out.set(p.name, state.params.get(p.name) as Float32Array);
  for (const s of lay.stats) out.set(s.name, state.stats.get(s.name) as Float32Array);
  return out;
}

/** Standalone ONNX bytes of an inference graph with the weights embedded and a symbolic batch dimension. */
export function inferenceModelBytes(kind: InferenceKind, config: TrvaeConfig, state?: ModelState): Uint8Array {
  const { graph, batchSize } = buildInference(kind, config);
  return serializeGraph(graph, {
    batch: { size: batchSize, name: 'cells' },
    embed: state ? stateWeights(config, state) : undefined,
  });
}

export interface CellInputs {
  /** Log-normalised expression [n, nGenes]. */
  readonly x: Float32Array;
  /** Condition code of each cell for the encoder. */
  readonly conditions: Int32Array;
  /** Condition code for the decoder (mmd, predict); one code for all cells or one per cell. */
  readonly target?: number | Int32Array;
  /** Latent noise [n, latent]; omitted: zeros (z = mu). */
  readonly eps?: Float32Array;
}

export interface InferenceRunner {
  run(inputs: CellInputs): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

/**
 * An inference session for `kind`. With `state`, the weights are fed as inputs (in-process); with
 * `model` bytes (an exported graph), they are already inside.
 */
export async function createInferenceRunner(
  kind: InferenceKind,
  config: TrvaeConfig,
  source: { readonly state: ModelState } | { readonly model: Uint8Array },
  backend: Backend = cpuBackend,
  chunkSize = 1024,
): Promise<InferenceRunner> {
  const bytes = 'model' in source ? source.model : inferenceModelBytes(kind, config);
  const session = await createSession(bytes, backend);
  const weights: Record<string, ort.Tensor> = {};
  if ('state' in source) {
    const shapes = new Map([...layout(config).params, ...layout(config).stats].map((p) => [p.name, p.shape]));
    for (const [name, v] of stateWeights(config, source.state)) weights[name] = new ort.Tensor('float32', v, [...(shapes.get(name) as readonly number[])]);
  }
  const { nGenes: G, nConditions: C, latent: Z } = config;
  return {
    async run({ x, conditions, target, eps }) {
      const n = conditions.length;
      if (x.length !== n * G) throw new Error(`x has ${x.length} values for ${n} cells × ${G} genes`);
      if (eps && eps.length !== n * Z) throw new Error(`eps has ${eps.length} values for ${n} cells × ${Z} latent dimensions`);
      if (kind !== 'encode' && target === undefined) throw new Error(`${kind} needs a target condition`);
      const outputs = INFERENCE_OUTPUTS[kind];
      const result: Record<string, Float32Array> = {};
      const parts: Record<string, Float32Array[]> = Object.fromEntries(outputs.map((o) => [o, []]));
      for (let start = 0; start < n; start += chunkSize) {
        const end = Math.min(n, start + chunkSize);
        const b = end - start;
        const codes = conditions.subarray(start, end);
        const feeds: Record<string, ort.Tensor> = {
          ...weights,
          x: new ort.Tensor('float32', x.subarray(start * G, end * G), [b, G]),
          c: new ort.Tensor('float32', oneHot(codes, C), [b, C]),
          eps: new ort.Tensor('float32', eps ? eps.subarray(start * Z, end * Z) : new Float32Array(b * Z), [b, Z]),
        };
        if (kind !== 'encode') {
          const targets = typeof target === 'number' ? new Int32Array(b).fill(target) : (target as Int32Array).subarray(start, end);
          feeds.c_target = new ort.Tensor('float32', oneHot(targets, C), [b, C]);
        }
        const out = await session.run(feeds);
        for (const name of outputs) parts[name].push(Float32Array.from(await readTensor(out[name])));
      }
      for (const name of outputs) {
        const total = parts[name].reduce((s, p) => s + p.length, 0);
        const joined = new Float32Array(total);
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
