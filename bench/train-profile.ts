// Where a training step's time goes (npm run bench:train-profile): ONNX Runtime's own profiler over
// the paper-size train step (batch 512, 2,000 genes, [512, 128], z 20) on the WASM EP in Node, and
// the GEMM rate of ORT-web's WASM build and of onnxruntime-node on the step's largest product
// (512 × 2,002 × 512). Prints milliseconds per op type for one step (after warm-up) and writes
// bench-results/train-profile.json.
//
//   npm run bench:train-profile -- [--threads 1]
import fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createGraph, input, output, size } from '../src/model/onnx/ir.ts';
import { matmul } from '../src/model/onnx/ops.ts';
import { serializeGraph } from '../src/model/onnx/serialize.ts';
import { createRng } from '../src/random.ts';
import { createSession, ort, resolveBackend, setCpuThreads, type Backend } from '../src/model/runtime.ts';
import { makeConfig } from '../src/model/trvae/config.ts';
import { buildTrainStep } from '../src/model/trvae/graphs.ts';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' } } });
setCpuThreads(Number(values.threads));
const rng = createRng(1);

function randomFeeds(graph: ReturnType<typeof createGraph>): Record<string, ort.Tensor> {
  return Object.fromEntries(
    graph.inputs.map((t) => [graph.names.get(t.id) as string, new ort.Tensor('float32', Float32Array.from({ length: size(t.shape) }, () => rng.next()), [...t.shape])]),
  );
}

interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly ts: number;
  readonly dur: number;
  readonly args: { readonly op_name?: string };
}

/** ORT-web's WASM build writes the profile (Chrome trace JSON) to fd 1 when it ends: capture it. */
async function captureStdout(run: () => Promise<void>): Promise<string> {
  const writeSync = fs.writeSync;
  let text = '';
  fs.writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (fd !== 1) return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    const chunk = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
    text += chunk;
    return chunk.length;
  }) as typeof fs.writeSync;
  try {
    await run();
  } finally {
    fs.writeSync = writeSync;
  }
  return text;
}

const paper = makeConfig({ nGenes: 2000, nConditions: 2, hidden: [512, 128], latent: 20, dropout: 0.2, batchSize: 512 });
const { graph } = buildTrainStep(paper);
const session = await ort.InferenceSession.create(serializeGraph(graph), { executionProviders: ['wasm'], enableProfiling: true });
const feeds = randomFeeds(graph);
const text = await captureStdout(async () => {
  for (let i = 0; i < 3; i++) await session.run(feeds);
  session.endProfiling();
});
const events = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(']') + 1)) as ProfileEvent[];
const last = events.filter((e) => e.name === 'model_run').at(-1);
if (!last) throw new Error('no model_run event in the profile');
const byOp = new Map<string, { nodes: number; ms: number }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < last.ts || e.ts > last.ts + last.dur) continue;
  const op = e.args.op_name ?? '?';
  const r = byOp.get(op) ?? { nodes: 0, ms: 0 };
  byOp.set(op, { nodes: r.nodes + 1, ms: r.ms + e.dur / 1000 });
}
const ops = [...byOp].sort((a, b) => b[1].ms - a[1].ms);

// GEMM rate on the step's largest product shape, on ORT-web's WASM build and on onnxruntime-node.
const g = createGraph('gemm');
output('y', matmul(input(g, 'a', 'float32', [512, 2002]), input(g, 'b', 'float32', [2002, 512])));
const gemmFeeds = randomFeeds(g);
async function gemmMs(backend: Backend): Promise<number> {
  const gemm = await createSession(serializeGraph(g), backend);
  for (let i = 0; i < 2; i++) await gemm.run(gemmFeeds);
  const reps = 10;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await gemm.run(gemmFeeds);
  await gemm.release();
  return (performance.now() - t0) / reps;
}
const gflopsOf = (ms: number) => (2 * 512 * 2002 * 512) / (ms * 1e6);
const gemm = { wasm: await gemmMs('wasm'), native: (await resolveBackend('native')) === 'native' ? await gemmMs('native') : undefined };

console.log(`train step (profiled run): ${(last.dur / 1000).toFixed(0)} ms, ${ort.env.wasm.numThreads} thread(s)\n`);
console.log('| op | nodes | ms | share |\n| --- | ---: | ---: | ---: |');
for (const [op, r] of ops.slice(0, 12)) console.log(`| ${op} | ${r.nodes} | ${r.ms.toFixed(1)} | ${((100 * r.ms * 1000) / last.dur).toFixed(0)}% |`);
console.log(`\nMatMul 512 × 2,002 × 512 on ORT-web WASM: ${gemm.wasm.toFixed(1)} ms, ${gflopsOf(gemm.wasm).toFixed(1)} GFLOP/s`);
if (gemm.native !== undefined) console.log(`MatMul 512 × 2,002 × 512 on onnxruntime-node (CPU EP, ${values.threads} thread(s)): ${gemm.native.toFixed(1)} ms, ${gflopsOf(gemm.native).toFixed(1)} GFLOP/s`);
await mkdir('bench-results', { recursive: true });
await writeFile(
  'bench-results/train-profile.json',
  JSON.stringify({ date: new Date().toISOString(), threads: ort.env.wasm.numThreads, stepMs: last.dur / 1000, ops: Object.fromEntries(ops), gemm: Object.fromEntries(Object.entries(gemm).map(([k, ms]) => [k, ms === undefined ? null : { ms, gflops: gflopsOf(ms) }])) }, null, 2),
);
