// Where a training step's time goes (npm run bench:train-profile): ONNX Runtime's own profiler over
// the paper-size train step (batch 512, 2,000 genes, [512, 128], z 20) on the WASM EP in Node, per
// op type, with the step time on ORT-web WASM and on onnxruntime-node; and the GEMM rate of both on
// the step's largest product (512 × 2,002 × 512). With --baseline <git rev>, the same step as built
// by that revision's sources runs in the same process, interleaved run by run, and every figure is
// printed before vs after. Writes bench-results/train-profile.json.
//
// On a shared machine wall times swing with the load: per node the fastest of the runs is kept (the
// run least disturbed), and step times are given as the fastest and the median run, wall and CPU.
//
//   npm run bench:train-profile -- [--threads 1] [--runs 8] [--native-runs 30] [--baseline <rev>]
import fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createGraph, input, output, size, type Graph } from '../src/model/onnx/ir.ts';
import { matmul } from '../src/model/onnx/ops.ts';
import { serializeGraph } from '../src/model/onnx/serialize.ts';
import { createRng } from '../src/random.ts';
import { createSession, ort, resolveBackend, setCpuThreads, type Backend } from '../src/model/runtime.ts';
import * as current from '../src/model/trvae/graphs.ts';
import { makeConfig } from '../src/model/trvae/config.ts';
import { baselineSources } from './baseline.ts';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, runs: { type: 'string', default: '8' }, 'native-runs': { type: 'string', default: '30' }, baseline: { type: 'string' } } });
const threads = Number(values.threads);
const runs = Number(values.runs);
const nativeRuns = Number(values['native-runs']);
setCpuThreads(threads);
const rng = createRng(1);
const GEMM_OPS = new Set(['Gemm', 'MatMul', 'FusedGemm', 'FusedMatMul']);

function randomFeeds(graph: Graph): Record<string, ort.Tensor> {
  return Object.fromEntries(
    graph.inputs.map((t) => [graph.names.get(t.id) as string, new ort.Tensor('float32', Float32Array.from({ length: size(t.shape) }, () => rng.next()), [...t.shape])]),
  );
}

type Graphs = typeof current;
const paperConfig = { nGenes: 2000, nConditions: 2, hidden: [512, 128], latent: 20, dropout: 0.2, batchSize: 512 } as const;
const variants: { name: string; graph: Graph }[] = [];
if (values.baseline) {
  const dir = baselineSources(values.baseline);
  const graphs = (await import(path.join(dir, 'src/model/trvae/graphs.ts'))) as Graphs;
  const config = (await import(path.join(dir, 'src/model/trvae/config.ts'))) as { makeConfig: typeof makeConfig };
  variants.push({ name: `before (${values.baseline})`, graph: graphs.buildTrainStep(config.makeConfig(paperConfig)).graph });
}
variants.push({ name: values.baseline ? 'after (working tree)' : 'this tree', graph: current.buildTrainStep(makeConfig(paperConfig)).graph });
// One set of feeds: the step's inputs are the same in every variant (checked).
const feeds = randomFeeds(variants[0].graph);
for (const v of variants) {
  const names = v.graph.inputs.map((t) => v.graph.names.get(t.id) as string);
  const missing = names.filter((n) => !(n in feeds));
  if (missing.length > 0) throw new Error(`${v.name}: inputs ${missing.join(', ')} not in the baseline's step`);
}

interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly ts: number;
  readonly dur: number;
  readonly args: { readonly op_name?: string };
}

/** ORT-web's WASM build writes the profile (Chrome trace JSON) to fd 1 when it ends: capture it. */
function captureStdout(run: () => void): string {
  const writeSync = fs.writeSync;
  let text = '';
  fs.writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (fd !== 1) return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    const chunk = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
    text += chunk;
    return chunk.length;
  }) as typeof fs.writeSync;
  try {
    run();
  } finally {
    fs.writeSync = writeSync;
  }
  return text;
}

interface StepTimes {
  wallMs: number[];
  cpuMs: number[];
}

async function timedRun(session: ort.InferenceSession, times: StepTimes): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await session.run(feeds);
  times.wallMs.push(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  times.cpuMs.push((cpu.user + cpu.system) / 1000);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const summary = (xs: number[]) => ({ min: sorted(xs)[0], median: sorted(xs)[Math.floor(xs.length / 2)] });

// WASM: all variants' sessions profiled, runs interleaved; the first run of each is warm-up.
const wasm = await Promise.all(variants.map(async (v) => ({ ...v, session: await ort.InferenceSession.create(serializeGraph(v.graph), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', enableProfiling: true }), times: { wallMs: [], cpuMs: [] } as StepTimes })));
for (const w of wasm) await w.session.run(feeds);
for (let i = 0; i < runs; i++) for (const w of wasm) await timedRun(w.session, w.times);
const perVariant = wasm.map((w) => {
  const events = JSON.parse(((t) => t.slice(t.indexOf('['), t.lastIndexOf(']') + 1))(captureStdout(() => w.session.endProfiling()))) as ProfileEvent[];
  const modelRuns = events.filter((e) => e.name === 'model_run').slice(1);
  // Per node, its fastest run; per op type, the sum over its nodes.
  const fastest = new Map<string, { op: string; ms: number }>();
  for (const r of modelRuns) {
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < r.ts || e.ts > r.ts + r.dur) continue;
      const prev = fastest.get(e.name);
      if (!prev || e.dur / 1000 < prev.ms) fastest.set(e.name, { op: e.args.op_name ?? '?', ms: e.dur / 1000 });
    }
  }
  const ops = new Map<string, { nodes: number; ms: number }>();
  for (const { op, ms } of fastest.values()) {
    const r = ops.get(op) ?? { nodes: 0, ms: 0 };
    ops.set(op, { nodes: r.nodes + 1, ms: r.ms + ms });
  }
  const kernelMs = [...ops.values()].reduce((s, r) => s + r.ms, 0);
  const gemmMs = [...ops].filter(([op]) => GEMM_OPS.has(op)).reduce((s, [, r]) => s + r.ms, 0);
  return { name: w.name, ops, kernelMs, gemmMs, nonGemmShare: (kernelMs - gemmMs) / kernelMs, wasm: { wall: summary(w.times.wallMs), cpu: summary(w.times.cpuMs) } };
});
await Promise.all(wasm.map((w) => w.session.release()));

// onnxruntime-node: the same graphs, interleaved, wall time.
const nativeAvailable = (await resolveBackend('native')) === 'native';
const native = new Map<string, ReturnType<typeof summary>>();
if (nativeAvailable) {
  const sessions = await Promise.all(variants.map(async (v) => ({ name: v.name, session: await createSession(serializeGraph(v.graph), 'native'), times: { wallMs: [], cpuMs: [] } as StepTimes })));
  for (const s of sessions) await s.session.run(feeds);
  for (let i = 0; i < nativeRuns; i++) for (const s of sessions) await timedRun(s.session, s.times);
  for (const s of sessions) native.set(s.name, summary(s.times.wallMs));
  await Promise.all(sessions.map((s) => s.session.release()));
}

// GEMM rate on the step's largest product shape, on ORT-web's WASM build and on onnxruntime-node.
const g = createGraph('gemm');
output('y', matmul(input(g, 'a', 'float32', [512, 2002]), input(g, 'b', 'float32', [2002, 512])));
const gemmFeeds = randomFeeds(g);
async function gemmMs(backend: Backend): Promise<number> {
  const gemm = await createSession(serializeGraph(g), backend);
  for (let i = 0; i < 2; i++) await gemm.run(gemmFeeds);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await gemm.run(gemmFeeds);
    times.push(performance.now() - t0);
  }
  await gemm.release();
  return sorted(times)[0];
}
const gflopsOf = (ms: number) => (2 * 512 * 2002 * 512) / (ms * 1e6);
const gemm = { wasm: await gemmMs('wasm'), native: nativeAvailable ? await gemmMs('native') : undefined };

const f1 = (x: number) => x.toFixed(1);
const cols = perVariant.map((v) => v.name);
console.log(`paper-size train step, ${threads} thread(s), ${runs} WASM and ${nativeRuns} native runs per variant (interleaved); ms, fastest run per node\n`);
console.log(`| op (ORT-web WASM) | ${cols.map((c) => `${c}: nodes | ms`).join(' | ')} |\n| --- |${cols.map(() => ' ---: | ---: |').join('')}`);
const opNames = [...new Set(perVariant.flatMap((v) => [...v.ops.keys()]))].sort((a, b) => Math.max(...perVariant.map((v) => v.ops.get(b)?.ms ?? 0)) - Math.max(...perVariant.map((v) => v.ops.get(a)?.ms ?? 0)));
for (const op of opNames) console.log(`| ${op} | ${perVariant.map((v) => `${v.ops.get(op)?.nodes ?? 0} | ${f1(v.ops.get(op)?.ms ?? 0)}`).join(' | ')} |`);
const row = (label: string, cell: (v: (typeof perVariant)[number]) => string) => console.log(`| ${label} | ${perVariant.map((v) => ` | ${cell(v)}`).join(' | ')} |`);
row('**all kernels**', (v) => f1(v.kernelMs));
row('**GEMM (Gemm + MatMul)**', (v) => f1(v.gemmMs));
row('**non-GEMM**', (v) => `${f1(v.kernelMs - v.gemmMs)} (${(100 * v.nonGemmShare).toFixed(0)}%)`);
console.log('\n| step (ms) | ' + cols.join(' | ') + ' |\n| --- |' + cols.map(() => ' ---: |').join(''));
console.log(`| ORT-web WASM wall, fastest / median | ${perVariant.map((v) => `${f1(v.wasm.wall.min)} / ${f1(v.wasm.wall.median)}`).join(' | ')} |`);
console.log(`| ORT-web WASM CPU, fastest / median | ${perVariant.map((v) => `${f1(v.wasm.cpu.min)} / ${f1(v.wasm.cpu.median)}`).join(' | ')} |`);
if (nativeAvailable) console.log(`| onnxruntime-node wall, fastest / median | ${perVariant.map((v) => `${f1(native.get(v.name)!.min)} / ${f1(native.get(v.name)!.median)}`).join(' | ')} |`);
console.log(`\nMatMul 512 × 2,002 × 512 on ORT-web WASM: ${f1(gemm.wasm)} ms, ${f1(gflopsOf(gemm.wasm))} GFLOP/s`);
if (gemm.native !== undefined) console.log(`MatMul 512 × 2,002 × 512 on onnxruntime-node (CPU EP, ${threads} thread(s)): ${f1(gemm.native)} ms, ${f1(gflopsOf(gemm.native))} GFLOP/s`);
await mkdir('bench-results', { recursive: true });
await writeFile(
  'bench-results/train-profile.json',
  JSON.stringify(
    {
      date: new Date().toISOString(),
      threads,
      runs,
      nativeRuns,
      variants: perVariant.map((v) => ({ name: v.name, ops: Object.fromEntries(v.ops), kernelMs: v.kernelMs, gemmMs: v.gemmMs, nonGemmShare: v.nonGemmShare, wasmStepMs: v.wasm, nativeStepMs: native.get(v.name) ?? null })),
      gemm: Object.fromEntries(Object.entries(gemm).map(([k, ms]) => [k, ms === undefined ? null : { ms, gflops: gflopsOf(ms) }])),
    },
    null,
    2,
  ),
);
