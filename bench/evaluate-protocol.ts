// The paper's held-out protocol on the project's simulator, for every model and the baselines any
// model must beat: for each cell type H and seed, a fresh simulation; (H × stimulated) is held out
// from training and validation; each model is trained through the one pipeline (prepareTraining /
// runTraining, as the CLI and the app) with the given options (default: the default schedule);
// H's control cells are predicted into stimulated (predictCounterfactual) and compared with the
// real held-out cells by evaluatePrediction (R² of means/variances, delta correlation, energy).
// It runs in Node (bench/evaluate.ts) and in a browser page (bench/evaluate-webgpu.ts): where the
// simulations are written is the caller's SimulationStores.

import { writeAnnDataStore } from '../src/convert/anndata-writer.ts';
import type { StoreSink } from '../src/convert/sink.ts';
import { loadExpression } from '../src/model/dataset.ts';
import { evaluatePrediction, type Cells, type PredictionEvaluation } from '../src/model/metrics.ts';
import { defaultTrainingOptions, type TrainingOptions } from '../src/model/options.ts';
import { defaultCellTypes, perturbationAnnData, simulatePerturbation } from '../src/model/perturbation-sim.ts';
import { prepareTraining, runTraining } from '../src/model/pipeline.ts';
import { predictCounterfactual } from '../src/model/predict.ts';
import { averageShift } from '../src/model/results.ts';
import type { Backend } from '../src/model/runtime.ts';
import type { AnnDataSource } from '../src/source/types.ts';

export const methodNames = ['trVAE', 'CVAE', 'scGen'] as const;
export const baselineNames = ['control as is', 'average shift', 'stimulated train mean'] as const;
export type MethodName = (typeof methodNames)[number];
export type BaselineName = (typeof baselineNames)[number];

/** What each method changes in the default options. */
const methodOptions: Record<MethodName, Partial<TrainingOptions>> = {
  trVAE: {},
  CVAE: { beta: 0 },
  scGen: { model: 'scgen' },
};

export const scoreKeys = ['meanAll', 'varianceAll', 'meanTop', 'varianceTop', 'deltaPearsonTop', 'energyTop'] as const;
export type ScoreKey = (typeof scoreKeys)[number];
/** R² are bootstrap means; NaN where undefined (e.g. the delta correlation of a prediction that changes nothing). */
export type Score = Record<ScoreKey, number>;

export interface TrainingRecord {
  readonly steps: number;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly stopReason: string;
  readonly seconds: number;
}

export interface RunRecord {
  readonly cellType: string;
  readonly seed: number;
  readonly method: MethodName | BaselineName;
  readonly kind: 'model' | 'baseline';
  readonly score: Score;
  readonly training?: TrainingRecord;
}

/** Where the protocol writes each seed's simulated AnnData store, and opens it from. */
export interface SimulationStores {
  /** A sink for the store `name` (written once), and then the store opened as a source. */
  create(name: string): Promise<{ readonly sink: StoreSink; open(): Promise<AnnDataSource> }>;
  /** Removes every store written. */
  dispose(): Promise<void>;
}

export interface ProtocolOptions {
  readonly stores: SimulationStores;
  /** Where models train and predict (default: the CPU backend where this runs). */
  readonly backend?: Backend;
  readonly nCells: number;
  readonly nGenes: number;
  /** One simulation and one training seed per entry. */
  readonly seeds: readonly number[];
  /** Held-out cell types by name (default: every cell type of the simulator). */
  readonly cellTypes?: readonly string[];
  readonly methods?: readonly MethodName[];
  /** Overrides of the default training options for every model (e.g. fewer steps in a test). */
  readonly training?: Partial<TrainingOptions>;
  readonly bootstrap?: number;
  readonly nDegs?: number;
  readonly energyCells?: number;
  readonly onLog?: (line: string) => void;
}

export interface SimulatedData {
  /** Model inputs (normalize_total 1e4 + log1p of the counts) of every cell, [nObs, nGenes]. */
  readonly x: Float32Array;
  readonly conditions: Int32Array;
  readonly cellTypes: Int32Array;
  readonly conditionNames: readonly string[];
  readonly cellTypeNames: readonly string[];
  readonly nGenes: number;
}

const scoreOf = (e: PredictionEvaluation): Score => ({ ...e.bootstrapMean, deltaPearsonTop: e.deltaPearsonTop, energyTop: e.energyTop });

function gather(data: SimulatedData, keep: (row: number) => boolean): Cells & { rows: number[] } {
  const G = data.nGenes;
  const rows: number[] = [];
  for (let i = 0; i < data.conditions.length; i++) if (keep(i)) rows.push(i);
  const x = new Float32Array(rows.length * G);
  rows.forEach((r, k) => x.set(data.x.subarray(r * G, (r + 1) * G), k * G));
  return { x, n: rows.length, rows };
}

/** The baselines' predictions of held-out type `h` in `target`, from cells that are not held out. */
export function baselinePredictions(data: SimulatedData, h: number, source: number, target: number): Record<BaselineName, Cells> {
  const G = data.nGenes;
  const control = gather(data, (i) => data.cellTypes[i] === h && data.conditions[i] === source);
  const shift = averageShift(data.x, data.conditions, data.cellTypes, h, source, target, G);
  return {
    'control as is': control,
    'average shift': { x: Float32Array.from(control.x, (v, i) => v + shift[i % G]), n: control.n },
    // The stimulated cells of every other type: their mean is the stimulated training mean.
    'stimulated train mean': gather(data, (i) => data.cellTypes[i] !== h && data.conditions[i] === target),
  };
}

async function openSimulation(stores: SimulationStores, nCells: number, nGenes: number, seed: number): Promise<AnnDataSource> {
  const store = await stores.create(`sim-${seed}.zarr`);
  await writeAnnDataStore(store.sink, perturbationAnnData(simulatePerturbation({ nCells, nGenes, seed })));
  return store.open();
}

/** The held-out cell types a protocol run covers: the ones asked for, else every type of the simulator. */
export const heldOutTypes = (cellTypes: readonly string[] | undefined): readonly string[] => cellTypes ?? defaultCellTypes.map((t) => t.name);

export async function runProtocol(options: ProtocolOptions): Promise<RunRecord[]> {
  const log = options.onLog ?? (() => {});
  const methods = options.methods ?? methodNames;
  const evalOptions = { nDegs: Math.min(options.nDegs ?? 100, options.nGenes), bootstrap: options.bootstrap ?? 100, energyCells: options.energyCells ?? 500 };
  const records: RunRecord[] = [];
  const { stores, backend } = options;
  try {
    for (const seed of options.seeds) {
      const source = await openSimulation(stores, options.nCells, options.nGenes, seed);
      try {
        // Every gene is a model gene (genes = nGenes), so one load of the inputs serves every run.
        let data: SimulatedData | undefined;
        const typeNames = heldOutTypes(options.cellTypes);
        for (const cellType of typeNames) {
          const holdout = `${cellType}:stimulated`;
          const base: TrainingOptions = { ...defaultTrainingOptions, conditionKey: 'condition', cellTypeKey: 'cell_type', holdout, genes: options.nGenes, seed, ...options.training };
          let baselinesDone = false;
          for (const method of methods) {
            const plan = await prepareTraining(source, { ...base, ...methodOptions[method] });
            let run;
            try {
              run = await runTraining(plan, { backend });
            } finally {
              await plan.close();
            }
            if (!data) {
              if (plan.genes.length !== options.nGenes) throw new Error(`expected all ${options.nGenes} genes as model genes, got ${plan.genes.length}`);
              data = {
                x: await loadExpression(source, plan.genes, { input: plan.input }),
                conditions: plan.conditions.codes,
                cellTypes: plan.cellTypes!.codes,
                conditionNames: plan.conditions.categories,
                cellTypeNames: plan.cellTypes!.categories,
                nGenes: plan.genes.length,
              };
            }
            const d = data;
            const h = d.cellTypeNames.indexOf(cellType);
            const control = d.conditionNames.indexOf('control');
            const stimulated = d.conditionNames.indexOf('stimulated');
            const sourceCells = gather(d, (i) => d.cellTypes[i] === h && d.conditions[i] === control);
            const real = gather(d, (i) => d.cellTypes[i] === h && d.conditions[i] === stimulated);
            const evaluate = (pred: Cells) => scoreOf(evaluatePrediction(pred, real, sourceCells, { nGenes: d.nGenes, seed, ...evalOptions }));
            if (!baselinesDone) {
              for (const [name, pred] of Object.entries(baselinePredictions(d, h, control, stimulated))) {
                records.push({ cellType, seed, method: name as BaselineName, kind: 'baseline', score: evaluate(pred) });
              }
              baselinesDone = true;
            }
            // scGen's latent means come from every cell the model could see (all but the held-out pair).
            const training = gather(d, (i) => !(d.cellTypes[i] === h && d.conditions[i] === stimulated));
            const { config, state, history, best } = run.checkpoint;
            const xhat = await predictCounterfactual(config, { state }, {
              x: sourceCells.x, sourceCondition: control, targetCondition: stimulated, training: { x: training.x, conditions: Int32Array.from(training.rows, (i) => d.conditions[i]) }, seed,
            }, backend);
            const score = evaluate({ x: xhat, n: sourceCells.n });
            records.push({
              cellType, seed, method, kind: 'model', score,
              training: { steps: state.step, epochs: history.length, bestEpoch: best.epoch + 1, stopReason: run.stopReason, seconds: run.seconds },
            });
            log(`${cellType} seed ${seed} ${method}: R² top-DEG means ${score.meanTop.toFixed(3)} after ${state.step} steps (${run.stopReason}, ${run.seconds.toFixed(0)} s)`);
          }
        }
      } finally {
        await source.close();
      }
    }
  } finally {
    await stores.dispose();
  }
  return records;
}

export interface SummaryRow {
  readonly cellType: string;
  readonly method: string;
  readonly kind: 'model' | 'baseline';
  readonly seeds: number;
  /** Mean and sample sd over seeds, over the seeds where the metric is defined (NaN: none). */
  readonly mean: Score;
  readonly sd: Score;
  readonly seconds?: number;
}

export function summarize(records: readonly RunRecord[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.cellType}\u0000${r.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const stat = (k: ScoreKey) => {
      const v = rs.map((r) => r.score[k]).filter((x) => Number.isFinite(x));
      const m = v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
      const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : v.length ? 0 : Number.NaN;
      return [m, sd] as const;
    };
    const stats = scoreKeys.map((k) => [k, stat(k)] as const);
    const trained = rs.filter((r) => r.training);
    return {
      cellType: rs[0].cellType,
      method: rs[0].method,
      kind: rs[0].kind,
      seeds: rs.length,
      mean: Object.fromEntries(stats.map(([k, s]) => [k, s[0]])) as Score,
      sd: Object.fromEntries(stats.map(([k, s]) => [k, s[1]])) as Score,
      ...(trained.length ? { seconds: trained.reduce((a, r) => a + r.training!.seconds, 0) / trained.length } : {}),
    };
  });
}

export interface Verdict {
  readonly cellType: string;
  readonly baseline: BaselineName;
  /** trVAE's mean R² of top-DEG means minus the baseline's. */
  readonly margin: number;
  readonly beats: boolean;
  /** The margin is smaller than the larger of the two sds over seeds. */
  readonly withinNoise: boolean;
}

/** Where trVAE beats each baseline on the paper's main figure (R² of the top-DEG means). */
export function verdicts(summary: readonly SummaryRow[], model: string = 'trVAE'): Verdict[] {
  const out: Verdict[] = [];
  for (const m of summary.filter((r) => r.method === model)) {
    for (const b of summary.filter((r) => r.kind === 'baseline' && r.cellType === m.cellType)) {
      const margin = m.mean.meanTop - b.mean.meanTop;
      out.push({ cellType: m.cellType, baseline: b.method as BaselineName, margin, beats: margin > 0, withinNoise: Math.abs(margin) < Math.max(m.sd.meanTop, b.sd.meanTop) });
    }
  }
  return out;
}
