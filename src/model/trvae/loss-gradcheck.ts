// Test kit: finite-difference check of a model's whole training loss (float64 in ONNX Runtime) for a
// small config, with jittered parameters, random noise, inverted-dropout masks and alternating
// conditions; the caller supplies the data inputs (x, or counts and size factors for NB).
import { declareLoss, type ModelConfig, type ParamSpec } from '../definition.ts';
import { modelDefinition } from '../models.ts';
import { checkGraphGradients, type GradCheckResult } from '../onnx/gradcheck.ts';
import { createGraph } from '../onnx/ir.ts';
import { createRng, type Rng } from '../../random.ts';

export async function checkTrainingLossGradients(
  config: ModelConfig,
  seed: number,
  data: (rng: Rng) => readonly (readonly [string, Float64Array])[],
): Promise<GradCheckResult & { readonly params: readonly ParamSpec[] }> {
  const model = modelDefinition(config);
  const graph = createGraph(`${model.name}_loss`);
  const B = config.batchSize;
  const { inputs, loss } = declareLoss(graph, model, 'train', 'float64', B);
  const rng = createRng(seed);
  const { params, stats } = model.initialState();
  const values = new Map<string, Float64Array>();
  for (const [k, v] of params) values.set(k, Float64Array.from(v, (x) => x + 0.05 * rng.normal()));
  for (const [k, v] of stats) values.set(k, Float64Array.from(v));
  for (const [k, v] of data(rng)) values.set(k, v);
  const codes = Array.from({ length: B }, (_, i) => i % 2);
  for (const input of model.batchInputs('train')) {
    const n = B * input.perCell.reduce((a, b) => a * b, 1);
    const { source } = input;
    if (source.kind === 'onehot') values.set(input.name, Float64Array.from({ length: n }, (_, i) => (codes[Math.floor(i / 2)] === i % 2 ? 1 : 0)));
    else if (source.kind === 'normal') values.set(input.name, Float64Array.from({ length: n }, () => rng.normal()));
    else if (source.kind === 'dropout') values.set(input.name, Float64Array.from({ length: n }, () => (rng.next() < source.rate ? 0 : 1 / (1 - source.rate))));
  }
  for (const w of model.lossWeights) values.set(w, Float64Array.of(config[w as 'alpha' | 'beta' | 'eta']));
  const wrt = model.params.map((p) => inputs.params.get(p.name)!);
  return { ...(await checkGraphGradients(graph, loss.terms.total, wrt, values)), params: model.params };
}
