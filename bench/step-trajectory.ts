// Same trajectory before vs after a change to the train-step graph (npx tsx bench/step-trajectory.ts
// --baseline <rev>): the train step as built by git revision <rev>'s sources and by the working tree,
// from the same initial state, on the same seeded batches, for --steps steps on ORT-web WASM and
// onnxruntime-node; prints, per backend, the largest difference of every loss term and of the final
// parameters and optimiser state (0 = bit-identical). Writes bench-results/step-trajectory.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Graph } from '../src/model/onnx/ir.ts';
import { size } from '../src/model/onnx/ir.ts';
import { serializeGraph } from '../src/model/onnx/serialize.ts';
import { createRng } from '../src/random.ts';
import { createSession, ort, resolveBackend, setCpuThreads, type Backend } from '../src/model/runtime.ts';
import * as current from '../src/model/trvae/graphs.ts';
import { makeConfig } from '../src/model/trvae/config.ts';
import { initialState } from '../src/model/trvae/params.ts';
import { baselineSources } from './baseline.ts';

const { values } = parseArgs({ options: { baseline: { type: 'string', default: 'HEAD' }, steps: { type: 'string', default: '40' }, batch: { type: 'string', default: '128' } } });
const steps = Number(values.steps);
setCpuThreads(1);
const config = makeConfig({ nGenes: 300, nConditions: 2, hidden: [128, 32], latent: 10, dropout: 0.2, batchSize: Number(values.batch), seed: 3 });
const dir = baselineSources(values.baseline);
const before = (await import(`${dir}/src/model/trvae/graphs.ts`)) as typeof current;
const graphs: [string, Graph][] = [
  [`before (${values.baseline})`, before.buildTrainStep(config).graph],
  ['after (working tree)', current.buildTrainStep(config).graph],
];

/** Batch and hyperparameter feeds of step `k`: seeded, the same for every variant. */
function batchFeeds(graph: Graph, k: number): Map<string, Float32Array> {
  const rng = createRng(1000 + k);
  const b = config.batchSize;
  const feeds = new Map<string, Float32Array>();
  for (const t of graph.inputs) {
    const name = graph.names.get(t.id) as string;
    const n = size(t.shape);
    if (name === 'x') feeds.set(name, Float32Array.from({ length: n }, (_, i) => Math.log1p(rng.next() * 4 * (1 + (Math.floor(i / config.nGenes) % 2) * ((i % 7) / 7)))));
    else if (name === 'c') feeds.set(name, Float32Array.from({ length: n }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)));
    else if (name === 'eps') feeds.set(name, Float32Array.from({ length: n }, () => rng.normal()));
    else if (name.startsWith('mask.')) feeds.set(name, Float32Array.from({ length: n }, () => (rng.next() < config.dropout ? 0 : 1 / (1 - config.dropout))));
    else if (name === 'lr') feeds.set(name, Float32Array.of(1e-3));
    else if (name === 'alpha') feeds.set(name, Float32Array.of(1e-3));
    else if (name === 'beta') feeds.set(name, Float32Array.of(10));
    else if (name === 'eta') feeds.set(name, Float32Array.of(1));
  }
  if (feeds.get('c')?.length !== b * 2) throw new Error('unexpected condition input');
  return feeds;
}

async function trajectory(graph: Graph, backend: Backend) {
  const session = await createSession(serializeGraph(graph), backend);
  const init = initialState(config);
  const state = new Map<string, Float32Array>();
  for (const t of graph.inputs) {
    const name = graph.names.get(t.id) as string;
    const v = init.params.get(name) ?? init.stats.get(name);
    if (v) state.set(name, Float32Array.from(v));
    else if (name.startsWith('adam.') || name === 'step') state.set(name, new Float32Array(size(t.shape)));
  }
  const losses: Record<string, number[]> = {};
  for (let k = 0; k < steps; k++) {
    const all = new Map([...state, ...batchFeeds(graph, k)]);
    const feeds = Object.fromEntries(graph.inputs.map((t) => { const name = graph.names.get(t.id) as string; return [name, new ort.Tensor('float32', all.get(name) as Float32Array, [...t.shape])]; }));
    const out = await session.run(feeds);
    for (const [name, tensor] of Object.entries(out)) {
      if (name.endsWith('.next')) state.set(name.slice(0, -'.next'.length), tensor.data as Float32Array);
      else (losses[name] ??= []).push((tensor.data as Float32Array)[0]);
    }
  }
  await session.release();
  return { losses, state };
}

const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-30));
  return m;
};
const report: Record<string, unknown> = {};
console.log(`train step, batch ${config.batchSize}, ${config.nGenes} genes, [${config.hidden}], ${steps} steps: largest relative difference before vs after (0 = bit-identical)\n`);
console.log('| backend | ' + ['loss.recon', 'loss.kl', 'loss.mmd', 'loss.total'].join(' | ') + ' | final state |\n| --- | ---: | ---: | ---: | ---: | ---: |');
for (const backend of ['wasm', 'native'] as Backend[]) {
  if (backend === 'native' && (await resolveBackend('native')) !== 'native') continue;
  const [a, b] = [await trajectory(graphs[0][1], backend), await trajectory(graphs[1][1], backend)];
  const terms = Object.fromEntries(Object.keys(a.losses).map((k) => [k, maxRelDiff(a.losses[k], b.losses[k])]));
  const stateDiff = Math.max(...[...a.state.keys()].map((k) => maxRelDiff(a.state.get(k) as Float32Array, b.state.get(k) as Float32Array)));
  const first = Object.fromEntries(Object.entries(a.losses).map(([k, v]) => [k, [v[0], v[v.length - 1]]]));
  report[backend] = { terms, stateDiff, firstAndLast: first };
  console.log(`| ${backend} | ${['loss.recon', 'loss.kl', 'loss.mmd', 'loss.total'].map((k) => terms[k].toExponential(1)).join(' | ')} | ${stateDiff.toExponential(1)} |`);
  console.log(`|   (loss.total step 1 → ${steps}: ${first['loss.total'].map((v) => v.toFixed(4)).join(' → ')}; loss.mmd ${first['loss.mmd'].map((v) => v.toExponential(3)).join(' → ')}) |`);
}
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/step-trajectory.json', JSON.stringify({ date: new Date().toISOString(), baseline: values.baseline, steps, batch: config.batchSize, ...report }, null, 2));
