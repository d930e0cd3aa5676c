// trVAE's second benchmark, the Haber et al. protocol, on the project's simulator (npx tsx
// bench/haber.ts): 4 conditions (Control, Hpoly.Day3, Hpoly.Day10 sharing part of Day3's response,
// a rare Salmonella) and 8 intestinal cell types (haberLikeConditions / haberLikeCellTypes); the
// rare Tuft type × Hpoly.Day10 is held out from training and validation, as in the paper. For each
// seed a fresh simulation; each model is trained once through the one pipeline (prepareTraining /
// runTraining) and predicts the held-out cells from every other condition (predictCounterfactual),
// scored by evaluatePrediction (R² of means/variances on all genes and the top DEGs, delta
// correlation and energy distance on the top DEGs) next to the baselines: the source cells as
// they are, the population-average shift (averageShift over the other cell types) and the
// Hpoly.Day10 training cells (every other type's). Prints a table and writes bench-results/haber.json.
//
//   npx tsx bench/haber.ts [--quick] [--cells 9842] [--genes 1000] [--seeds 3] [--steps N]
//                          [--methods trVAE,CVAE,scGen] [--balance conditions] [--out bench-results/haber.json]
//                          [--seed S] [--threads N] [--jobs N]
//
// Full: the paper's size, 9,842 cells × 1,000 genes, 3 seeds, trVAE / CVAE / scGen with the default
// schedule. --quick: 3,000 cells × 200 genes, 3 seeds, trVAE and scGen, 300 target steps (a smoke
// run of the protocol, about 2 minutes on 2 shared cores; not converged).
// --jobs N: the units (one seed × one method) run N at a time, each in a child process on one ONNX
// Runtime thread (bench/unit-jobs.ts); the baselines come from each seed's first method's unit.
// --seed S: that one seed instead of 1..--seeds (how a unit is run). --threads N: ONNX Runtime's
// intra-op threads.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeAnnDataStore } from '../src/convert/anndata-writer.ts';
import { directorySink } from '../src/convert/sink.ts';
import { loadExpression } from '../src/model/dataset.ts';
import { evaluatePrediction, type Cells, type PredictionEvaluation } from '../src/model/metrics.ts';
import { defaultTrainingOptions, type TrainingOptions } from '../src/model/options.ts';
import { haberLikeCellTypes, haberLikeConditions, perturbationAnnData, simulatePerturbation } from '../src/model/perturbation-sim.ts';
import { prepareTraining, runTraining } from '../src/model/pipeline.ts';
import { predictCounterfactual } from '../src/model/predict.ts';
import { averageShift } from '../src/model/results.ts';
import { cpuBackend, resolveBackend, setCpuThreads } from '../src/model/runtime.ts';
import { openSource } from '../src/source/index.ts';
import { machineDescription } from './report-machine.ts';
import { runUnitsInChildren } from './unit-jobs.ts';

const HELD_OUT = { cellType: 'Tuft', condition: 'Hpoly.Day10' } as const;
const methodOptions = { trVAE: {}, CVAE: { beta: 0 }, scGen: { model: 'scgen' } } satisfies Record<string, Partial<TrainingOptions>>;
type Method = keyof typeof methodOptions;
type BaselineName = 'source as is' | 'average shift' | 'Hpoly.Day10 train mean';
const scoreKeys = ['meanAll', 'varianceAll', 'meanTop', 'varianceTop', 'deltaPearsonTop', 'energyTop'] as const;
type ScoreKey = (typeof scoreKeys)[number];
type Score = Record<ScoreKey, number>;

interface RunRecord {
  readonly seed: number;
  readonly sourceCondition: string;
  readonly method: string;
  readonly kind: 'model' | 'baseline';
  readonly cells: { readonly source: number; readonly target: number };
  readonly score: Score;
  readonly training?: { readonly steps: number; readonly epochs: number; readonly bestEpoch: number; readonly stopReason: string; readonly seconds: number };
}

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const nCells = Number(flag('--cells') ?? (quick ? 3000 : 9842));
const nGenes = Number(flag('--genes') ?? (quick ? 200 : 1000));
const nSeeds = Number(flag('--seeds') ?? 3);
const oneSeed = flag('--seed') === undefined ? undefined : Number(flag('--seed'));
const jobs = Number(flag('--jobs') ?? 1);
if (flag('--threads') !== undefined) setCpuThreads(Number(flag('--threads')));
const steps = Number(flag('--steps') ?? (quick ? 300 : defaultTrainingOptions.steps));
const methods = (flag('--methods')?.split(',') ?? (quick ? ['trVAE', 'scGen'] : Object.keys(methodOptions))) as Method[];
const balance = (flag('--balance') ?? 'none') as TrainingOptions['balance'];
const out = flag('--out') ?? 'bench-results/haber.json';
for (const m of methods) if (!(m in methodOptions)) throw new Error(`--methods: unknown method "${m}" (${Object.keys(methodOptions).join(', ')})`);
if (nSeeds < 1 || !Number.isInteger(nSeeds)) throw new Error(`--seeds needs a positive integer, got ${nSeeds}`);
const evalOptions = { nGenes, nDegs: Math.min(100, nGenes), bootstrap: 100, energyCells: 500 };

const scoreOf = (e: PredictionEvaluation): Score => ({ ...e.bootstrapMean, deltaPearsonTop: e.deltaPearsonTop, energyTop: e.energyTop });

interface Data {
  readonly x: Float32Array;
  readonly conditions: Int32Array;
  readonly cellTypes: Int32Array;
}

function gather(d: Data, keep: (row: number) => boolean): Cells & { rows: number[] } {
  const rows: number[] = [];
  for (let i = 0; i < d.conditions.length; i++) if (keep(i)) rows.push(i);
  const x = new Float32Array(rows.length * nGenes);
  rows.forEach((r, k) => x.set(d.x.subarray(r * nGenes, (r + 1) * nGenes), k * nGenes));
  return { x, n: rows.length, rows };
}

async function runSeed(dir: string, seed: number, backend: Awaited<ReturnType<typeof resolveBackend>>, log: (line: string) => void): Promise<RunRecord[]> {
  const path = join(dir, `haber-${seed}.zarr`);
  const sim = simulatePerturbation({ nCells, nGenes, cellTypes: haberLikeCellTypes, conditions: haberLikeConditions, seed });
  await writeAnnDataStore(await directorySink(path), perturbationAnnData(sim));
  const source = await openSource(path);
  const records: RunRecord[] = [];
  try {
    const base: TrainingOptions = {
      ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: `${HELD_OUT.cellType}:${HELD_OUT.condition}`, genes: nGenes, seed, steps, balance,
    };
    let data: Data | undefined;
    const names = haberLikeConditions.map((c) => c.name);
    const h = haberLikeCellTypes.findIndex((t) => t.name === HELD_OUT.cellType);
    const target = names.indexOf(HELD_OUT.condition);
    const sources = names.filter((c) => c !== HELD_OUT.condition);
    for (const method of methods) {
      const plan = await prepareTraining(source, { ...base, ...methodOptions[method] });
      let run;
      try {
        run = await runTraining(plan, { backend });
      } finally {
        await plan.close();
      }
      // Every gene is a model gene, in var order, and the categories are the simulator's: one load serves every run.
      if (plan.genes.length !== nGenes || plan.conditions.categories.join() !== names.join()) throw new Error('expected every gene and the simulator\'s condition order');
      data ??= { x: await loadExpression(source, plan.genes, { input: plan.input }), conditions: plan.conditions.codes, cellTypes: plan.cellTypes!.codes };
      const d = data;
      const real = gather(d, (i) => d.cellTypes[i] === h && d.conditions[i] === target);
      // scGen's latent means come from every cell the model could see (all but the held-out pair).
      const training = gather(d, (i) => !(d.cellTypes[i] === h && d.conditions[i] === target));
      const { config, state, history, best } = run.checkpoint;
      const trainingRecord = { steps: state.step, epochs: history.length, bestEpoch: best.epoch + 1, stopReason: run.stopReason, seconds: run.seconds };
      for (const from of sources) {
        const s = names.indexOf(from);
        const sourceCells = gather(d, (i) => d.cellTypes[i] === h && d.conditions[i] === s);
        const cells = { source: sourceCells.n, target: real.n };
        const evaluate = (pred: Cells) => scoreOf(evaluatePrediction(pred, real, sourceCells, { ...evalOptions, seed }));
        if (method === methods[0]) {
          const shift = averageShift(d.x, d.conditions, d.cellTypes, h, s, target, nGenes);
          const baselines: Record<BaselineName, Cells> = {
            'source as is': sourceCells,
            'average shift': { x: Float32Array.from(sourceCells.x, (v, i) => v + shift[i % nGenes]), n: sourceCells.n },
            'Hpoly.Day10 train mean': gather(d, (i) => d.cellTypes[i] !== h && d.conditions[i] === target),
          };
          for (const [name, pred] of Object.entries(baselines)) records.push({ seed, sourceCondition: from, method: name, kind: 'baseline', cells, score: evaluate(pred) });
        }
        const xhat = await predictCounterfactual(config, { state }, {
          x: sourceCells.x, sourceCondition: s, targetCondition: target, training: { x: training.x, conditions: Int32Array.from(training.rows, (i) => d.conditions[i]) }, seed,
        }, backend);
        const score = evaluate({ x: xhat, n: sourceCells.n });
        records.push({ seed, sourceCondition: from, method, kind: 'model', cells, score, training: trainingRecord });
        log(`seed ${seed} ${method} ${from} → ${HELD_OUT.condition} (${sourceCells.n} → ${real.n} cells): R² top-DEG means ${score.meanTop.toFixed(3)}`);
      }
      log(`seed ${seed} ${method}: ${state.step} steps, ${history.length} epochs (${run.stopReason}), ${run.seconds.toFixed(0)} s`);
    }
  } finally {
    await source.close();
  }
  return records;
}

interface SummaryRow {
  readonly sourceCondition: string;
  readonly method: string;
  readonly kind: 'model' | 'baseline';
  readonly seeds: number;
  readonly sourceCells: number;
  /** Mean and sample sd over the seeds where the metric is defined (NaN: none). */
  readonly mean: Score;
  readonly sd: Score;
}

function summarize(records: readonly RunRecord[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) groups.set(`${r.sourceCondition}\u0000${r.method}`, [...(groups.get(`${r.sourceCondition}\u0000${r.method}`) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const stat = (k: ScoreKey) => {
      const v = rs.map((r) => r.score[k]).filter((x) => Number.isFinite(x));
      const m = v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
      return [m, v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : v.length ? 0 : Number.NaN] as const;
    };
    const stats = scoreKeys.map((k) => [k, stat(k)] as const);
    return {
      sourceCondition: rs[0].sourceCondition,
      method: rs[0].method,
      kind: rs[0].kind,
      seeds: rs.length,
      sourceCells: rs.reduce((a, r) => a + r.cells.source, 0) / rs.length,
      mean: Object.fromEntries(stats.map(([k, s]) => [k, s[0]])) as Score,
      sd: Object.fromEntries(stats.map(([k, s]) => [k, s[1]])) as Score,
    };
  });
}

const labels: Record<ScoreKey, string> = {
  meanAll: 'R² mean (all)', varianceAll: 'R² var (all)', meanTop: 'R² mean (DEG)', varianceTop: 'R² var (DEG)', deltaPearsonTop: 'r delta (DEG)', energyTop: 'energy (DEG)',
};
const fmt = (m: number, sd: number) => (Number.isFinite(m) ? `${m.toFixed(3)} ± ${sd.toFixed(3)}` : 'n/a');
function table(rows: readonly SummaryRow[]): string {
  const header = ['from', 'cells', 'method', ...scoreKeys.map((k) => labels[k])];
  const body = rows.map((r) => [r.sourceCondition, r.sourceCells.toFixed(0), r.method, ...scoreKeys.map((k) => fmt(r.mean[k], r.sd[k]))]);
  const width = header.map((x, i) => Math.max(x.length, ...body.map((b) => b[i].length)));
  return [header, ...body].map((cells) => cells.map((c, i) => c.padEnd(width[i])).join('  ')).join('\n');
}

const backend = await resolveBackend(cpuBackend);
const seeds = oneSeed !== undefined ? [oneSeed] : Array.from({ length: nSeeds }, (_, i) => i + 1);
console.log(`Haber protocol: ${nCells} cells × ${nGenes} genes, 8 cell types × 4 conditions, ${HELD_OUT.cellType} × ${HELD_OUT.condition} held out; seeds ${seeds.join(', ')}; ${methods.join(', ')} (${steps} target steps, balance ${balance}) on ${backend}`);
const started = performance.now();
const dir = await mkdtemp(join(tmpdir(), 'trvae-haber-'));
const records: RunRecord[] = [];
try {
  if (jobs > 1) {
    const units = seeds.flatMap((seed) => methods.map((method) => ({ seed, method })));
    const args = ({ seed, method }: { seed: number; method: Method }) => ['--cells', String(nCells), '--genes', String(nGenes), '--seed', String(seed), '--methods', method, '--steps', String(steps), '--balance', String(balance)];
    const results = await runUnitsInChildren('bench/haber.ts', units.map(args), jobs);
    // Each unit scores the baselines too; keep those of the unit that would have scored them in one process.
    results.forEach((unit, i) => records.push(...(unit.records as unknown as RunRecord[]).filter((r) => r.kind === 'model' || units[i].method === methods[0])));
  } else {
    for (const seed of seeds) records.push(...(await runSeed(dir, seed, backend, (line) => console.log(`  ${line}`))));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
const sourceOrder = haberLikeConditions.map((c) => c.name);
const summary = summarize(records).sort((a, b) => sourceOrder.indexOf(a.sourceCondition) - sourceOrder.indexOf(b.sourceCondition) || Number(a.kind === 'baseline') - Number(b.kind === 'baseline'));
console.log(`\nprediction of ${HELD_OUT.cellType} × ${HELD_OUT.condition} from each other condition (mean ± sd over ${nSeeds} seeds; cells: source cells, mean over seeds)\n${table(summary)}\n`);
for (const m of summary.filter((r) => r.method === 'trVAE')) {
  const best = summary.filter((r) => r.kind === 'baseline' && r.sourceCondition === m.sourceCondition).sort((a, b) => b.mean.meanTop - a.mean.meanTop)[0];
  if (best) console.log(`from ${m.sourceCondition}: trVAE R² top-DEG means ${m.mean.meanTop.toFixed(3)} vs best baseline (${best.method}) ${best.mean.meanTop.toFixed(3)}`);
}
console.log(`\n${seeds.length * methods.length} trainings in ${seconds.toFixed(0)} s`);

const ortVersion = JSON.parse(await readFile('node_modules/onnxruntime-node/package.json', 'utf8')).version as string;
const settings = {
  nCells, seeds, methods, quick, jobs, heldOut: HELD_OUT, conditions: haberLikeConditions, cellTypes: haberLikeCellTypes.map((t) => t.name),
  training: { steps, balance, patience: defaultTrainingOptions.patience, batchSize: defaultTrainingOptions.batchSize, hidden: defaultTrainingOptions.hidden, latent: defaultTrainingOptions.latent },
  ...evalOptions,
  paper: { dataset: 'Haber et al. 2017, 9,842 cells × 1,000 HVGs', r2Means: 0.968, r2Variances: 0.867 },
};
// NaN (an undefined metric) is written as null.
const json = JSON.stringify(
  { date: new Date().toISOString(), command: `npx tsx bench/haber.ts ${argv.join(' ')}`.trim(), machine: { ...machineDescription(), loadAverage: loadavg(), backend, onnxruntimeNode: ortVersion }, seconds, settings, summary, records },
  (_k, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
  2,
);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${json}\n`);
console.log(`wrote ${out}`);
