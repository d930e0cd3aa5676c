// Prediction quality (npx tsx bench/evaluate.ts; part of npm run bench): the paper's held-out protocol on the project's
// simulator, every cell type held out in turn, several seeds, trVAE / CVAE (β = 0) / scGen trained to
// convergence with the default schedule through the one pipeline, next to the baselines (control
// cells as they are, population-average shift, mean of the stimulated training cells). Native CPU
// path (onnxruntime-node; TRVAE_ORT_NODE=off → WASM). Prints tables and writes
// bench-results/evaluate.json.
//
//   npx tsx bench/evaluate.ts [--quick] [--cells 4000] [--genes 500] [--seeds 3] [--types NK,B,...]
//                             [--methods trVAE,CVAE,scGen] [--out bench-results/evaluate.json] [--steps N]
//                             [--seed S] [--threads N] [--jobs N] [--backend native|webgpu [--allow-software]]
//
// --backend webgpu runs the same protocol in headless Chromium (bench/evaluate-webgpu.ts), training
// and predicting on its WebGPU adapter; without a real adapter it prints why and writes only the
// reason (--allow-software runs it on SwiftShader anyway, a smoke test). Its JSON goes to
// bench-results/evaluate-webgpu.json.
//
// --jobs N (native only): the units (one seed × one held-out type) run N at a time, each in a child
// process on one ONNX Runtime thread (bench/unit-jobs.ts); the full run uses 2 on 2 cores.
// --seed S: that one seed instead of 1..--seeds (how a unit is run).
// --steps N replaces the default target of optimiser steps (a smoke test, not the protocol).
// --quick: 2,000 cells × 200 genes, 1 seed, NK held out (about 5 minutes on 2 shared cores).
// Full: 4,000 cells × 500 genes, 3 seeds, every cell type held out (6 × 3 × 3 = 54 trainings).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { cpuBackend, resolveBackend, setCpuThreads } from '../src/model/runtime.ts';
import { defaultTrainingOptions } from '../src/model/options.ts';
import { heldOutTypes, methodNames, runProtocol, scoreKeys, summarize, verdicts, type MethodName, type ProtocolOptions, type RunRecord, type ScoreKey, type SummaryRow } from './evaluate-protocol.ts';
import { withBenchPage } from './bench-page.ts';
import { temporaryStores } from './evaluate-stores.ts';
import type { WebGpuEvaluation } from './evaluate-webgpu.ts';
import { machineDescription } from './report-machine.ts';
import { runUnitsInChildren } from './unit-jobs.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const nCells = Number(flag('--cells') ?? (quick ? 2000 : 4000));
const nGenes = Number(flag('--genes') ?? (quick ? 200 : 500));
const nSeeds = Number(flag('--seeds') ?? (quick ? 1 : 3));
const oneSeed = flag('--seed') === undefined ? undefined : Number(flag('--seed'));
const jobs = Number(flag('--jobs') ?? 1);
const cellTypes = flag('--types')?.split(',') ?? (quick ? ['NK'] : undefined);
const methods = (flag('--methods')?.split(',') ?? methodNames) as MethodName[];
const backendFlag = flag('--backend') ?? 'native';
if (!['native', 'webgpu'].includes(backendFlag)) throw new Error(`--backend: native or webgpu, got "${backendFlag}"`);
const webgpu = backendFlag === 'webgpu';
if (webgpu && jobs > 1) throw new Error('--jobs runs units in Node processes; the WebGPU evaluation runs in one page');
const out = flag('--out') ?? (webgpu ? 'bench-results/evaluate-webgpu.json' : 'bench-results/evaluate.json');
const steps = flag('--steps') === undefined ? defaultTrainingOptions.steps : Number(flag('--steps'));
for (const m of methods) if (!methodNames.includes(m)) throw new Error(`--methods: unknown method "${m}" (${methodNames.join(', ')})`);

// --threads N: ONNX Runtime's intra-op threads (default: its own choice, every core).
if (flag('--threads') !== undefined) setCpuThreads(Number(flag('--threads')));
/** The protocol in headless Chromium on its WebGPU adapter (bench/evaluate-webgpu.ts). */
function evaluateInChromium(options: Omit<ProtocolOptions, 'stores' | 'backend' | 'onLog'>, allowSoftware: boolean): Promise<WebGpuEvaluation> {
  return withBenchPage('bench/evaluate-webgpu.ts', 63407, (page) => {
    page.on('console', (message) => void (message.text().startsWith('evaluate: ') && console.log(`  ${message.text().slice(10)}`)));
    return page.evaluate(
      async ({ path, options, allowSoftware }) => (await import(/* @vite-ignore */ path)).runWebGpuProtocol(options, allowSoftware),
      { path: '/bench/evaluate-webgpu.ts', options, allowSoftware },
    );
  });
}

const backend = webgpu ? 'webgpu' : await resolveBackend(cpuBackend);
const seeds = oneSeed !== undefined ? [oneSeed] : Array.from({ length: nSeeds }, (_, i) => i + 1);
const started = performance.now();
console.log(`evaluation: ${nCells} cells × ${nGenes} genes, seeds ${seeds.join(', ')}, held out ${cellTypes?.join(', ') ?? 'every cell type'} × stimulated; ${methods.join(', ')} on ${backend}`);
const protocol = { nCells, nGenes, seeds, cellTypes, methods, training: { steps } };
const command = `npx tsx bench/evaluate.ts ${argv.join(' ')}`.trim();
/** Writes the run's JSON (NaN, an undefined metric, as null). */
async function writeResult(result: object): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, (_k, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
  console.log(`wrote ${out}`);
}
let records: RunRecord[];
let adapter: string | undefined;
if (webgpu) {
  const result = await evaluateInChromium(protocol, argv.includes('--allow-software'));
  adapter = result.adapter;
  if (result.skipped) {
    console.log(`WebGPU evaluation skipped: ${result.skipped}`);
    await writeResult({ date: new Date().toISOString(), command, machine: { ...machineDescription(), backend, adapter }, skipped: result.skipped });
    process.exit(0);
  }
  records = result.records;
} else if (jobs > 1) {
  const units = seeds.flatMap((seed) => heldOutTypes(cellTypes).map((type) => ['--cells', String(nCells), '--genes', String(nGenes), '--seed', String(seed), '--types', type, '--methods', methods.join(','), '--steps', String(steps)]));
  records = (await runUnitsInChildren('bench/evaluate.ts', units, jobs)).flatMap((unit) => unit.records as unknown as RunRecord[]);
} else {
  records = await runProtocol({ ...protocol, stores: await temporaryStores(), onLog: (line) => console.log(`  ${line}`) });
}
const seconds = (performance.now() - started) / 1000;
const summary = summarize(records);

const labels: Record<ScoreKey, string> = {
  meanAll: 'R² mean (all)',
  varianceAll: 'R² var (all)',
  meanTop: 'R² mean (DEG)',
  varianceTop: 'R² var (DEG)',
  deltaPearsonTop: 'r delta (DEG)',
  energyTop: 'energy (DEG)',
};
const fmt = (m: number, sd: number) => (Number.isFinite(m) ? `${m.toFixed(3)} ± ${sd.toFixed(3)}` : 'n/a');
const table = (rows: readonly SummaryRow[]) => {
  const header = ['held out', 'method', ...scoreKeys.map((k) => labels[k])];
  const body = rows.map((r) => [r.cellType, r.method, ...scoreKeys.map((k) => fmt(r.mean[k], r.sd[k]))]);
  const width = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [header, ...body].map((cells) => cells.map((c, i) => c.padEnd(width[i])).join('  ')).join('\n');
};
console.log(`\n${table(summary)}\n`);
const v = verdicts(summary);
for (const x of v) {
  console.log(`${x.cellType}: trVAE ${x.beats ? 'beats' : 'does not beat'} ${x.baseline} (R² top-DEG means ${x.margin >= 0 ? '+' : ''}${x.margin.toFixed(3)}${x.withinNoise ? ', within the sd over seeds' : ''})`);
}
console.log(`\n${records.filter((r) => r.training).length} trainings in ${seconds.toFixed(0)} s`);

const ortVersion = JSON.parse(await readFile('node_modules/onnxruntime-node/package.json', 'utf8')).version as string;
const settings = {
  nCells, nGenes, seeds, cellTypes: cellTypes ?? [...new Set(records.map((r) => r.cellType))], methods, quick, jobs,
  training: { steps, defaultSteps: steps === defaultTrainingOptions.steps, patience: defaultTrainingOptions.patience, batchSize: defaultTrainingOptions.batchSize, hidden: defaultTrainingOptions.hidden, latent: defaultTrainingOptions.latent },
  bootstrap: 100, nDegs: Math.min(100, nGenes), energyCells: 500,
};
await writeResult({ date: new Date().toISOString(), command, machine: { ...machineDescription(), loadAverage: loadavg(), backend, ...(adapter ? { adapter } : { onnxruntimeNode: ortVersion }) }, seconds, settings, summary, verdicts: v, records });
