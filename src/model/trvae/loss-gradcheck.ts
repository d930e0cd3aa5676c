// Test kit: finite-difference check of the whole trVAE training loss (float64 in ONNX Runtime) for a
// small config, with jittered parameters, random noise, inverted-dropout masks and alternating
// conditions; the caller supplies the data inputs (x, or counts and size factors for NB).
import { checkGraphGradients, type GradCheckResult } from '../onnx/gradcheck.ts';
import { createGraph } from '../onnx/ir.ts';
import { createRng, type Rng } from '../random.ts';
import type { TrvaeConfig } from './config.ts';
import { trainingLoss } from './graphs.ts';
import { initialState, type Layout } from './params.ts';

export async function checkTrainingLossGradients(
  config: TrvaeConfig,
  seed: number,
  data: (rng: Rng) => readonly (readonly [string, Float64Array])[],
): Promise<GradCheckResult & { readonly lay: Layout }> {
  const graph = createGraph('trvae_loss');
  const B = config.batchSize;
  const { lay, state, loss } = trainingLoss(graph, config, 'float64', B);
  const rng = createRng(seed);
  const { params, stats } = initialState(config);
  const values = new Map<string, Float64Array>();
  for (const [k, v] of params) values.set(k, Float64Array.from(v, (x) => x + 0.05 * rng.normal()));
  for (const [k, v] of stats) values.set(k, Float64Array.from(v));
  for (const [k, v] of data(rng)) values.set(k, v);
  const codes = Array.from({ length: B }, (_, i) => i % 2);
  values.set('c', Float64Array.from({ length: B * 2 }, (_, i) => (codes[Math.floor(i / 2)] === i % 2 ? 1 : 0)));
  values.set('eps', Float64Array.from({ length: B * config.latent }, () => rng.normal()));
  for (const m of lay.masks) values.set(m.name, Float64Array.from({ length: B * m.width }, () => (rng.next() < config.dropout ? 0 : 1 / (1 - config.dropout))));
  values.set('alpha', Float64Array.of(config.alpha));
  values.set('beta', Float64Array.of(config.beta));
  values.set('eta', Float64Array.of(config.eta));
  const wrt = lay.params.map((p) => state.params.get(p.name)!);
  return { ...(await checkGraphGradients(graph, loss.total, wrt, values)), lay };
}
