// `npm run bench [-- --quick]`: runs the benchmarks (each its own process, each writing its JSON
// under bench-results/) and writes BENCHMARKS.md and docs/bench/prediction-r2.svg from that JSON,
// with the command, date and machine. No figure in the report is typed by hand.
//
//   npm run bench -- [--quick] [--only evaluate,train,...] [--render-only]
//
// --quick: the prediction evaluation's quick mode and small sizes of the training-step and source
// benchmarks (under 10 minutes on 2 cores); without it every benchmark at its default sizes.
// --render-only: rewrite the report from the JSON already in bench-results/.
// Benchmarks not run this time but with JSON from an earlier run are shown as such, with its date.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { cpuBackend, resolveBackend } from '../src/model/runtime.ts';
import { scoreKeys, type ScoreKey } from './evaluate-protocol.ts';
import { machineDescription } from './report-machine.ts';
import { barChartSvg, formatNumber, genericSection, markdownTable, niceMax, tableOfRows, type Json } from './report-render.ts';

interface Bench {
  readonly name: string;
  readonly script: string;
  readonly json: string;
  /** Arguments in quick mode; undefined: not run by --quick. */
  readonly quick?: readonly string[];
  readonly full: readonly string[];
  readonly what: string;
  /** Its figures are scores, not times: it runs after the timed benchmarks (see the run loop). */
  readonly quality?: true;
}

const benches: readonly Bench[] = [
  { name: 'evaluate', script: 'bench/evaluate.ts', json: 'bench-results/evaluate.json', quick: ['--quick'], full: ['--jobs', '2'], what: 'Prediction quality: the paper\'s held-out protocol on the simulator', quality: true },
  { name: 'evaluate-webgpu', script: 'bench/evaluate.ts', json: 'bench-results/evaluate-webgpu.json', quick: ['--quick', '--backend', 'webgpu'], full: ['--backend', 'webgpu'], what: 'Prediction quality, the same protocol with every model on WebGPU (headless Chromium; a real adapter only)', quality: true },
  { name: 'haber', script: 'bench/haber.ts', json: 'bench-results/haber.json', quick: ['--quick'], full: ['--jobs', '2'], what: 'Prediction quality with 4 conditions: the Haber protocol (Tuft × Hpoly.Day10 held out, predicted from each other condition)', quality: true },
  { name: 'train', script: 'bench/train.ts', json: 'bench-results/train.json', quick: ['--steps', '3', '--threads', '1', '--backends', 'native,wasm'], full: [], what: 'One training step (paper-size model), native vs WASM' },
  { name: 'source', script: 'bench/source.ts', json: 'bench-results/source.json', quick: ['--cells', '2000', '--genes', '2000', '--calls', '2'], full: [], what: 'Source layer: annbatch-style reads, local and over HTTP' },
  { name: 'codecs', script: 'bench/codecs.ts', json: 'bench-results/codecs.json', quick: ['--cells', '2000', '--rounds', '1'], full: [], what: 'Blosc-lz4 decoding of the loader benchmark\'s chunks: wasm kernels vs TypeScript vs numcodecs' },
  { name: 'kernels', script: 'bench/kernels.ts', json: 'bench-results/kernels.json', full: [], what: 'Gather/normalise and gene-moment kernels, WebGPU vs CPU' },
  { name: 'loader', script: 'bench/loader.ts', json: 'bench-results/loader.json', full: ['--cells', '50000,200000,1000000', '--latency', '20', '--variants', 'a,b,c,e,f', '--workers', '2'], what: 'Out-of-core loader variants, scaling 50k / 200k / 1M cells (generated on demand)' },
  { name: 'loader-wait', script: 'bench/loader-wait.ts', json: 'bench-results/loader-wait.json', full: [], what: 'Fraction of training time spent waiting for batches, per loader variant' },
  { name: 'train-200k', script: 'bench/loader-wait.ts', json: 'bench-results/train-200k.json', full: ['--cells', '200000', '--hvg', '--workers', '2', '--out', 'bench-results/train-200k.json'], what: 'Training on a 200k-cell × 20k-gene store out of core (HVG 2,000): one epoch cold, warm and in memory, and the time waiting for data' },
  { name: 'loader-browser', script: 'bench/loader-browser.ts', json: 'bench-results/loader-browser.json', full: [], what: 'The loader in headless Chromium with the OPFS cache' },
  { name: 'train-e2e', script: 'bench/train-e2e.ts', json: 'bench-results/train-e2e.json', full: [], what: 'End-to-end `trvae-web train`, next to PyTorch when found' },
  { name: 'train-profile', script: 'bench/train-profile.ts', json: 'bench-results/train-profile.json', full: [], what: 'Where a training step\'s time goes (ORT profiler)' },
];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const renderOnly = argv.includes('--render-only');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1]?.split(',') : undefined;
for (const name of only ?? []) if (!benches.some((b) => b.name === name)) throw new Error(`--only: unknown benchmark "${name}" (${benches.map((b) => b.name).join(', ')})`);
const svgPath = 'docs/bench/prediction-r2.svg';
const loaderSvgPath = 'docs/bench/loader-throughput.svg';

interface StepRun {
  readonly name: string;
  readonly command: string;
  readonly seconds: number;
  /** The exit code, or the signal that ended it (e.g. SIGTERM for a run stopped by hand). */
  readonly exit: string;
  readonly date: string;
  /** The commit it ran (with "+changes" when the work tree's code differed from it; results do not count). */
  readonly commit: string;
  /** The `npm run bench` invocation it was part of. */
  readonly invocation: string;
}

const invocation = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim() ?? '';
const commit = `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench-results', ':!BENCHMARKS.md', ':!docs/bench') ? '+changes' : ''}`;

function runBench(bench: Bench, args: readonly string[]): Promise<StepRun> {
  const command = `npx tsx ${bench.script} ${args.join(' ')}`.trim();
  console.log(`\n=== ${bench.name}: ${command}`);
  const date = new Date().toISOString();
  const started = performance.now();
  const run = (exit: string): StepRun => ({ name: bench.name, command, seconds: (performance.now() - started) / 1000, exit, date, commit, invocation });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bench.script, ...args], { stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(run(code === null ? String(signal) : String(code))));
    child.on('error', (error) => resolve(run(`not started (${error.message})`)));
  });
}

// Each benchmark's latest run by this runner, kept across invocations, so that a partial re-run
// (--only) keeps the record of what the full run measured.
const runsLogPath = 'bench-results/bench-runs.json';
const runsLog: Record<string, StepRun> = existsSync(runsLogPath) ? (JSON.parse(await readFile(runsLogPath, 'utf8')) as Record<string, StepRun>) : {};

const startedAt = new Date();
const loadAtStart = loadavg();
const runs: StepRun[] = [];
if (!renderOnly) {
  // The timed benchmarks first, on the machine as idle as it was at the start; the long quality
  // runs (an hour and more in the full run), whose figures do not depend on speed, last.
  for (const bench of [...benches.filter((b) => !b.quality), ...benches.filter((b) => b.quality)]) {
    if (only && !only.includes(bench.name)) continue;
    const args = quick ? bench.quick : bench.full;
    if (!args) continue;
    const run = await runBench(bench, args);
    runs.push(run);
    runsLog[bench.name] = run;
    await mkdir('bench-results', { recursive: true });
    await writeFile(runsLogPath, `${JSON.stringify(runsLog, null, 2)}\n`);
  }
}
const totalSeconds = runs.reduce((a, r) => a + r.seconds, 0);

const readJson = async (path: string): Promise<{ [key: string]: Json } | undefined> => (existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as { [key: string]: Json }) : undefined);

// ---- Prediction quality -------------------------------------------------------------------------
const labels: Record<ScoreKey, string> = {
  meanAll: 'R² means, all genes',
  varianceAll: 'R² variances, all genes',
  meanTop: 'R² means, top DEGs',
  varianceTop: 'R² variances, top DEGs',
  deltaPearsonTop: 'Pearson r of the change, top DEGs',
  energyTop: 'energy distance, top DEGs (lower is better)',
};
interface SummaryJson { cellType: string; method: string; kind: string; seeds: number; mean: Record<ScoreKey, number | null>; sd: Record<ScoreKey, number | null>; seconds?: number }
interface VerdictJson { cellType: string; baseline: string; margin: number; beats: boolean; withinNoise: boolean }
interface RecordJson { cellType: string; seed: number; method: string; training?: { steps: number; epochs: number; bestEpoch: number; stopReason: string; seconds: number } }

const pm = (m: number | null, sd: number | null) => (m === null ? 'n/a' : `${m.toFixed(3)} ± ${(sd ?? 0).toFixed(3)}`);

function evaluationSection(data: { [key: string]: Json }, svgWritten: boolean): string {
  const summary = data.summary as unknown as SummaryJson[];
  const verdicts = data.verdicts as unknown as VerdictJson[];
  const records = data.records as unknown as RecordJson[];
  const settings = data.settings as unknown as { nCells: number; nGenes: number; seeds: number[]; cellTypes: string[]; methods: string[]; quick: boolean; training: { steps: number; defaultSteps: boolean; patience: number }; bootstrap: number; nDegs: number; energyCells: number };
  const types = [...new Set(summary.map((s) => s.cellType))];
  const methods = [...new Set(summary.map((s) => s.method))];
  const parts: string[] = [];
  parts.push(
    `Command \`${String(data.command)}\`, ${String(data.date)}, ${formatNumber(data.seconds as number)} s. Simulator (src/model/perturbation-sim.ts): ${settings.nCells} cells × ${settings.nGenes} genes, seeds ${settings.seeds.join(', ')} (one simulation and one training seed each); held out: ${settings.cellTypes.join(', ')} × stimulated. ` +
      `Every model trained through prepareTraining/runTraining with the default options (auto epochs for ~${settings.training.steps} steps${settings.training.defaultSteps ? '' : ' — NOT the default target: a smoke run, not the protocol'}, early stopping patience ${settings.training.patience} epochs, best epoch restored); CVAE = trVAE with β = 0; scGen = model 'scgen'. ` +
      `Metrics: R² (squared Pearson r) of per-gene means and variances, means over ${settings.bootstrap} bootstrap resamples; top ${settings.nDegs} DEGs by Wilcoxon (stimulated vs control within the held-out type); Pearson r of predicted vs real change from the control cells; energy distance on at most ${settings.energyCells} cells per side. Mean ± sd over seeds (sd 0 with one seed).`,
  );
  parts.push(`\n### R² of the top-DEG means (the paper's main figure)\n`);
  parts.push(markdownTable(['method', ...types], methods.map((m) => [m, ...types.map((t) => {
    const row = summary.find((s) => s.method === m && s.cellType === t);
    return row ? pm(row.mean.meanTop, row.sd.meanTop) : '–';
  })])));
  if (svgWritten) parts.push(`\n![R² of the top-DEG means per method and held-out cell type](${svgPath})`);
  parts.push(`\n### Where trVAE beats the baselines, and where not\n`);
  parts.push(verdicts.map((v) => `- ${v.cellType}: trVAE **${v.beats ? 'beats' : 'does not beat'}** ${v.baseline} (R² top-DEG means ${v.margin >= 0 ? '+' : ''}${v.margin.toFixed(3)}${v.withinNoise ? '; the difference is within the sd over seeds' : ''}).`).join('\n'));
  for (const model of ['trVAE']) {
    for (const key of ['deltaPearsonTop', 'energyTop'] as const) {
      const lines = types.map((t) => {
        const m = summary.find((s) => s.method === model && s.cellType === t);
        const better = summary.filter((s) => s.kind === 'baseline' && s.cellType === t && m && m.mean[key] !== null && s.mean[key] !== null && (key === 'energyTop' ? s.mean[key]! < m.mean[key]! : s.mean[key]! > m.mean[key]!));
        return `${t}: ${better.length === 0 ? 'no baseline does better' : `worse than ${better.map((b) => b.method).join(', ')}`}`;
      });
      parts.push(`- ${labels[key]}, ${model}: ${lines.join('; ')}.`);
    }
  }
  parts.push(`\n### All metrics (mean ± sd over seeds)\n`);
  parts.push(markdownTable(['held out', 'method', ...scoreKeys.map((k) => labels[k])], summary.map((s) => [s.cellType, s.method, ...scoreKeys.map((k) => pm(s.mean[k], s.sd[k]))])));
  parts.push(`\n### Training runs\n`);
  const trained = records.filter((r) => r.training);
  parts.push(tableOfRows(trained.map((r) => ({ cellType: r.cellType, seed: r.seed, method: r.method, steps: r.training!.steps, epochs: r.training!.epochs, bestEpoch: r.training!.bestEpoch, stopReason: r.training!.stopReason, seconds: r.training!.seconds }))));
  if (settings.quick && trained.length > 0) {
    const perTraining = trained.reduce((a, r) => a + r.training!.seconds, 0) / trained.length;
    const fullRuns = 6 * 3 * 3;
    parts.push(
      `\nThe full run (\`npm run bench\`: every one of the 6 cell types × 3 seeds × 3 models = ${fullRuns} trainings, larger simulation) was not run for this report. ` +
        `At this run's ${perTraining.toFixed(0)} s per training it would take at least ${((fullRuns * perTraining) / 60).toFixed(0)} minutes on this machine (an estimate from the quick run, not a measurement; the larger simulation costs more per step).`,
    );
  }
  return parts.join('\n');
}

function evaluationSvg(data: { [key: string]: Json }): string {
  const summary = data.summary as unknown as SummaryJson[];
  const types = [...new Set(summary.map((s) => s.cellType))];
  return barChartSvg(
    'R² of top-DEG means, held-out cell type × stimulated (mean ± sd over seeds)',
    types.map((t) => ({ label: t, bars: summary.filter((s) => s.cellType === t).map((s) => ({ series: s.method, value: s.mean.meanTop ?? Number.NaN, sd: s.sd.meanTop ?? 0 })) })),
  );
}

interface LoaderRowJson { dataset: number; latencyMs: number; variant: string; workers: number | null; tree: string; cellsPerSecond: number }

/** Cells/s per loader variant, grouped by dataset size (this tree's rows of bench:loader). */
function loaderSvg(data: { [key: string]: Json }): string | undefined {
  const rows = (data.results as unknown as LoaderRowJson[] | undefined)?.filter((r) => r.tree === 'this tree');
  if (!rows?.length) return undefined;
  const manyLatencies = new Set(rows.map((x) => x.latencyMs)).size > 1;
  const manyWorkers = new Set(rows.map((x) => x.workers)).size > 1;
  const key = (r: LoaderRowJson) => `${r.dataset.toLocaleString('en')} cells${manyLatencies ? `, ${r.latencyMs} ms` : ''}`;
  const label = (r: LoaderRowJson) => `${r.variant}${manyWorkers && r.workers !== null ? `, ${r.workers} workers` : ''}`;
  const groups = [...new Set(rows.map(key))].map((g) => ({ label: g, bars: rows.filter((r) => key(r) === g).map((r) => ({ series: label(r), value: r.cellsPerSecond, sd: 0 })) }));
  const max = niceMax(Math.max(...rows.map((r) => r.cellsPerSecond)));
  return barChartSvg('Loader throughput (cells/s) per variant and dataset size', groups, { max, format: (v) => (v >= 1000 ? `${v / 1000}k` : String(v)), value: formatNumber });
}

// ---- The report ------------------------------------------------------------------------------
const machine = machineDescription();
const backend = await resolveBackend(cpuBackend);
const ortVersion = (JSON.parse(await readFile('node_modules/onnxruntime-node/package.json', 'utf8')) as { version: string }).version;
// The adapter as the WebGPU evaluation saw it (it probes Chromium's adapter every run, also to skip).
const webgpuRun = await readJson('bench-results/evaluate-webgpu.json');
const probedAdapter = (webgpuRun?.machine as { adapter?: string } | undefined)?.adapter;
const adapterLine = probedAdapter ? `${probedAdapter} (probed ${String(webgpuRun!.date)})` : 'not probed (run bench/evaluate.ts --backend webgpu)';
const sections: string[] = [];
sections.push(`# Benchmarks\n\nWritten by \`bench/report.ts\` from the JSON in bench-results/ (do not edit by hand; every figure comes from a run of the committed code).`);
sections.push(
  `\n## This report\n\n- Command: \`${invocation}\`\n- Date: ${startedAt.toISOString()}\n` +
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory, ${machine.os}, Node ${machine.node}\n` +
    `- WebGPU adapter (headless Chromium): ${adapterLine}\n` +
    `- Load average at start: ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} (a shared machine: other processes ran alongside; times are wall-clock)\n` +
    `- ONNX Runtime backend in Node: ${backend} (onnxruntime-node ${ortVersion}; TRVAE_ORT_NODE=off selects ORT-web WASM)`,
);
const latest = benches.map((b) => runsLog[b.name]).filter((r): r is StepRun => r !== undefined);
if (latest.length) {
  const fullSeconds = latest.filter((r) => !r.invocation.includes('--quick')).reduce((a, r) => a + r.seconds, 0);
  sections.push(
    `\nThe latest run of each benchmark by this runner (${runsLogPath}; this invocation ran ${runs.length ? `${runs.length}, ${formatNumber(totalSeconds)} s` : 'none'}).` +
      ` The full runs' parts add up to ${formatNumber(fullSeconds)} s (${(fullSeconds / 3600).toFixed(1)} h):\n`,
  );
  sections.push(markdownTable(['benchmark', 'command', 'run by', 'date', 'commit', 'exit', 'seconds'], latest.map((r) => [r.name, `\`${r.command}\``, `\`${r.invocation}\``, r.date, r.commit, r.exit, formatNumber(r.seconds)])));
}

let svgWritten = false;
let loaderSvgWritten = false;
for (const bench of benches) {
  const data = await readJson(bench.json);
  const run = runs.find((r) => r.name === bench.name);
  const logged = runsLog[bench.name];
  sections.push(`\n## ${bench.name}: ${bench.what}\n`);
  if (!data) {
    sections.push(run ? `Run failed (exit ${run.exit}); no ${bench.json}.` : `Not run (\`npx tsx ${bench.script}\` writes ${bench.json}).`);
    continue;
  }
  const origin = run ? (run.exit === '0' ? `Run for this report: \`${run.command}\`.` : `**This report's run failed (exit ${run.exit}); the JSON below is from an earlier run.**`) : logged?.exit === '0'
      ? `Not run for this report: from \`${logged.command}\` on ${logged.date} (commit ${logged.commit}, part of \`${logged.invocation}\`).`
      : `Not run for this report: ${bench.json} from an earlier run${typeof data.date === 'string' ? ` (${data.date})` : ''}, of the code at that time.`;
  sections.push(origin + '\n');
  if (bench.name === 'evaluate') {
    await mkdir('docs/bench', { recursive: true });
    await writeFile(svgPath, evaluationSvg(data));
    svgWritten = true;
    sections.push(evaluationSection(data, svgWritten));
  } else if (bench.name === 'loader') {
    const svg = loaderSvg(data);
    if (svg) {
      await mkdir('docs/bench', { recursive: true });
      await writeFile(loaderSvgPath, svg);
      loaderSvgWritten = true;
      sections.push(`![Loader throughput per variant and dataset size](${loaderSvgPath})\n`);
    }
    sections.push(genericSection(data));
  } else if (bench.name === 'evaluate-webgpu') {
    sections.push(typeof data.skipped === 'string' ? `Skipped on this machine: ${data.skipped}.` : evaluationSection(data, false));
  } else {
    sections.push(genericSection(data));
  }
}
await writeFile('BENCHMARKS.md', `${sections.join('\n')}\n`);
console.log(`\nwrote BENCHMARKS.md${svgWritten ? ` and ${svgPath}` : ''}${loaderSvgWritten ? `, ${loaderSvgPath}` : ''}`);
