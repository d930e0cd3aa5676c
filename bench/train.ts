// Training-step benchmark (npm run bench:train): one full trVAE train step (forward + backward +
// clipped Adam update) on data already prepared, for the paper-size model (batch 512, 2,000 genes,
// hidden [512, 128], latent 20, dropout 0.2, 2 conditions), and the per-step overhead on a tiny
// model, on onnxruntime-node's CPU EP ('native') and ONNX Runtime Web's WASM EP in Node, the same
// graph. Each backend and thread count runs in its own process (ORT-web fixes the thread count at
// initialisation). Prints a table and writes bench-results/train.json.
//
//   npm run bench:train -- [--threads 1,2] [--steps 10] [--backends native,wasm] [--numpy] [--torch PYTHON]
//
// The reference runs alongside when a Python with torch is found (bench/torch-python.ts;
// --torch PYTHON names one): the same model and step in PyTorch on the same CPU
// (bench/train_torch.py, run by a Python that has torch; PyTorch is not a project dependency), at
// each thread count. --numpy adds a hand-written numpy step (bench/train_numpy.py), for scale.
import { execFileSync, spawnSync } from 'node:child_process';
import { findTorchPython } from './torch-python.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createRng } from '../src/random.ts';
import { resolveBackend, setCpuThreads, type Backend } from '../src/model/runtime.ts';
import { initialModelState } from '../src/model/train/state.ts';
import { createStepRunner } from '../src/model/train/step-runner.ts';
import { denseStepBatch } from '../src/model/train/step-batches.ts';
import { makeConfig, type TrvaeConfig } from '../src/model/trvae/config.ts';
import { buildTrainStep } from '../src/model/trvae/graphs.ts';

interface Measurement {
  readonly model: string;
  readonly backend: Backend;
  readonly threads: number;
  readonly batchSize: number;
  readonly nodes: number;
  readonly sessionSeconds: number;
  readonly steps: number;
  readonly msPerStep: number;
  readonly cellsPerSecond: number;
}

const paper = makeConfig({ nGenes: 2000, nConditions: 2, hidden: [512, 128], latent: 20, dropout: 0.2, batchSize: 512 });
const tiny = makeConfig({ nGenes: 16, nConditions: 2, hidden: [8, 4], latent: 2, dropout: 0.2, batchSize: 8 });

async function measure(name: string, config: TrvaeConfig, backend: Backend, threads: number, steps: number): Promise<Measurement> {
  const t0 = performance.now();
  const runner = await createStepRunner(config, initialModelState(config), backend);
  const sessionSeconds = (performance.now() - t0) / 1000;
  const rng = createRng(1);
  const B = config.batchSize;
  const batch = denseStepBatch(
    config,
    { x: Float32Array.from({ length: B * config.nGenes }, () => Math.max(0, 2 * rng.normal())), conditions: Int32Array.from({ length: B }, (_, i) => i % 2) },
    0,
  );
  const hyper = { learningRate: 1e-3, alpha: config.alpha, beta: config.beta, eta: config.eta };
  for (let i = 0; i < 3; i++) await runner.run(batch, hyper, true);
  const start = performance.now();
  for (let i = 0; i < steps; i++) await runner.run(batch, hyper, (i + 1) % 10 === 0);
  const ms = (performance.now() - start) / steps;
  await runner.release();
  return { model: name, backend: await resolveBackend(backend), threads, batchSize: B, nodes: buildTrainStep(config).graph.nodes.length, sessionSeconds, steps, msPerStep: ms, cellsPerSecond: (B * 1000) / ms };
}

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '10' },
    backends: { type: 'string', default: 'native,wasm' },
    numpy: { type: 'boolean', default: false },
    torch: { type: 'string' },
    child: { type: 'string' },
    backend: { type: 'string' },
  },
});
const steps = Number(values.steps);
const backendNames: Record<string, string> = { native: 'onnxruntime-node CPU EP', wasm: 'ONNX Runtime Web WASM (Node)', webgpu: 'ONNX Runtime Web WebGPU' };

if (values.child !== undefined) {
  const threads = Number(values.child);
  const backend = values.backend as Backend;
  setCpuThreads(threads);
  const results = [await measure('paper [512,128] z20', paper, backend, threads, steps), await measure('tiny [8,4] z2', tiny, backend, threads, steps * 20)];
  process.stdout.write(JSON.stringify(results));
} else {
  const results: Measurement[] = [];
  for (const backend of values.backends.split(',')) {
    if (backend !== 'native' && backend !== 'wasm') throw new Error(`--backends: native and/or wasm, got "${backend}"`);
    for (const threads of values.threads.split(',').map(Number)) {
      const args = [...process.execArgv, process.argv[1], '--child', String(threads), '--backend', backend, '--steps', String(steps)];
      results.push(...(JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Measurement[]));
    }
  }
  let numpy: { msPerStep: number; cellsPerSecond: number; threads: string } | undefined;
  if (values.numpy) {
    const r = spawnSync('/usr/bin/python3', [new URL('./train_numpy.py', import.meta.url).pathname, String(steps)], { encoding: 'utf8' });
    if (r.status === 0) numpy = JSON.parse(r.stdout);
    else console.error(`numpy reference failed: ${r.stderr}`);
  }
  const torch: { msPerStep: number; cellsPerSecond: number; threads: number; torch: string; gemmGflops: number }[] = [];
  const torchPython = findTorchPython(values.torch);
  if ('skipped' in torchPython) console.log(`PyTorch side by side skipped: ${torchPython.skipped}`);
  else {
    for (const threads of values.threads.split(',')) {
      const r = spawnSync(torchPython.python, [new URL('./train_torch.py', import.meta.url).pathname, String(steps), threads], { encoding: 'utf8' });
      if (r.status === 0) torch.push(JSON.parse(r.stdout));
      else console.error(`PyTorch reference failed: ${r.stderr}`);
    }
  }
  const rows = results.map((r) => `| ${r.model} | ${backendNames[r.backend]} | ${r.threads} | ${r.batchSize} | ${r.msPerStep.toFixed(r.msPerStep < 10 ? 2 : 0)} | ${Math.round(r.cellsPerSecond)} | ${r.nodes} | ${r.sessionSeconds.toFixed(1)} |`);
  for (const t of torch) rows.push(`| paper [512,128] z20 | PyTorch ${t.torch} (CPU, reference) | ${t.threads} | 512 | ${t.msPerStep.toFixed(0)} | ${Math.round(t.cellsPerSecond)} | – | – |`);
  if (numpy) rows.push(`| paper [512,128] z20 | numpy reference (hand-written step, for scale) | BLAS ${numpy.threads} | 512 | ${numpy.msPerStep.toFixed(0)} | ${Math.round(numpy.cellsPerSecond)} | – | – |`);
  const table = ['| model | backend | threads | batch | ms/step | cells/s | graph nodes | session s |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
  console.log(table);
  for (const t of torch) console.log(`PyTorch a @ b, 512 × 2,002 × 512, ${t.threads} thread(s): ${t.gemmGflops.toFixed(1)} GFLOP/s (ORT: npm run bench:train-profile)`);
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadavg: loadavg() };
  console.log(`\n${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavg.map((l) => l.toFixed(1)).join(' ')}`);
  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/train.json', JSON.stringify({ date: new Date().toISOString(), machine, results, torch, numpy }, null, 2));
}
