// The paper's held-out evaluation of an exported model on an AnnData source: predict the held-out
// cell type's source-condition cells into the target condition and compare with the real cells.

import type { AnnDataSource } from '../source/types.ts';
import { categoryCode, loadExpression, readCategorical, DatasetError, type Holdout } from './dataset.ts';
import type { ModelJson } from './export.ts';
import { createInferenceRunner } from './inference.ts';
import { evaluatePrediction, type PredictionEvaluation } from './metrics.ts';
import { normalNoise } from '../cpu/philox.ts';

export interface HoldoutEvaluationOptions {
  readonly holdout: Holdout;
  /** Condition the cells are predicted from (default: the first other condition). */
  readonly sourceCondition?: string;
  readonly bootstrap?: number;
  readonly nDegs?: number;
  readonly seed?: number;
  /** Sample z (as the paper's predict) or use z = mu. Default true. */
  readonly sampleLatent?: boolean;
  readonly signal?: AbortSignal;
}

export interface HoldoutEvaluation extends PredictionEvaluation {
  readonly holdout: Holdout;
  readonly sourceCondition: string;
  readonly cells: { readonly source: number; readonly target: number };
  readonly degNames: readonly string[];
}

export async function evaluateHoldout(source: AnnDataSource, model: ModelJson, predictGraph: Uint8Array, options: HoldoutEvaluationOptions): Promise<HoldoutEvaluation> {
  const conditionKey = model.conditionKey;
  const cellTypeKey = model.cellTypeKey;
  if (!conditionKey || !cellTypeKey) throw new DatasetError('model.json names no condition or cell-type key (train with --condition-key and --cell-type-key)');
  const conditions = await readCategorical(source, conditionKey, 'condition key', options.signal);
  const cellTypes = await readCategorical(source, cellTypeKey, 'cell-type key', options.signal);
  const target = options.holdout.condition;
  const sourceCondition = options.sourceCondition ?? model.conditions.find((c) => c !== target);
  if (!sourceCondition) throw new DatasetError('no source condition to predict from');
  const modelCode = (c: string) => {
    const i = model.conditions.indexOf(c);
    if (i < 0) throw new DatasetError(`condition "${c}" is not one the model was trained on (${model.conditions.join(', ')})`);
    return i;
  };
  const t = categoryCode(cellTypes, options.holdout.cellType, 'cell type');
  const rowsOf = (condition: string) => {
    const c = categoryCode(conditions, condition, 'condition');
    return Int32Array.from({ length: source.nObs }, (_, i) => i).filter((i) => cellTypes.codes[i] === t && conditions.codes[i] === c);
  };
  const sourceRows = rowsOf(sourceCondition);
  const targetRows = rowsOf(target);
  if (sourceRows.length === 0 || targetRows.length === 0) {
    throw new DatasetError(`cell type "${options.holdout.cellType}" has ${sourceRows.length} "${sourceCondition}" cells and ${targetRows.length} "${target}" cells; both must be present`);
  }
  const varNames = await source.varNames();
  const index = new Map(varNames.map((n, i) => [n, i]));
  const genes = model.genes.map((g) => {
    const i = index.get(g);
    if (i === undefined) throw new DatasetError(`the model's gene "${g}" is not in this AnnData's var names`);
    return i;
  });
  const loadOptions = { input: model.input ?? 'log1p', layer: model.layer, signal: options.signal } as const;
  const xSource = await loadExpression(source, genes, loadOptions, sourceRows);
  const xTarget = await loadExpression(source, genes, loadOptions, targetRows);
  const runner = await createInferenceRunner('predict', model.config, { model: predictGraph });
  const n = sourceRows.length;
  const eps = options.sampleLatent === false ? undefined : normalNoise(n * model.config.latent, { seed: options.seed ?? 0, step: 0, stream: 0 });
  const { xhat } = await runner.run({ x: xSource, conditions: new Int32Array(n).fill(modelCode(sourceCondition)), target: modelCode(target), eps });
  await runner.release();
  const G = model.genes.length;
  const evaluation = evaluatePrediction({ x: xhat, n }, { x: xTarget, n: targetRows.length }, { x: xSource, n }, {
    nGenes: G, nDegs: options.nDegs, bootstrap: options.bootstrap, seed: options.seed,
  });
  return {
    ...evaluation,
    holdout: options.holdout,
    sourceCondition,
    cells: { source: n, target: targetRows.length },
    degNames: evaluation.degs.map((g) => model.genes[g]),
  };
}
