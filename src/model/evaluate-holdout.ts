// The paper's held-out evaluation of an exported model on an AnnData source: predict one cell type's
// cells of a source condition into a target condition and compare with that cell type's real target
// cells. Any two of the model's conditions (control → treatment, treatment → treatment, treatment →
// control), for the held-out pair or a seen one. trVAE (and CVAE) use the predict graph; scGen its
// encode and decode graphs, with the latent means over the training cells (every cell with a model
// condition except the model's held-out pair).

import type { AnnDataSource } from '../source/types.ts';
import { categoryCode, loadExpression, readCategorical, DatasetError, type CategoricalColumn, type Holdout } from './dataset.ts';
import type { ModelJson } from './export.ts';
import { evaluatePrediction, type PredictionEvaluation } from './metrics.ts';
import { predictCounterfactual } from './predict.ts';

/** The exported inference graphs by kind (model.json `graphs`): trVAE needs predict; scGen encode and decode. */
export type ModelGraphs = Readonly<Partial<Record<string, Uint8Array>>>;

export interface HoldoutEvaluationOptions {
  /** The cell type and target condition evaluated (the model's held-out pair or a seen one). */
  readonly holdout: Holdout;
  /** Condition the cells are predicted from (default: the first other condition). */
  readonly sourceCondition?: string;
  readonly bootstrap?: number;
  readonly nDegs?: number;
  readonly seed?: number;
  /** Sample z (as the paper's predict) or use z = mu. Default true. trVAE only: scGen uses mu. */
  readonly sampleLatent?: boolean;
  readonly signal?: AbortSignal;
}

export interface HoldoutEvaluation extends PredictionEvaluation {
  readonly holdout: Holdout;
  readonly sourceCondition: string;
  readonly model: 'trvae' | 'scgen';
  /** Whether the evaluated pair is the one the model was trained without. */
  readonly heldOut: boolean;
  readonly cells: { readonly source: number; readonly target: number };
  readonly degNames: readonly string[];
}

export async function evaluateHoldout(source: AnnDataSource, model: ModelJson, graphs: ModelGraphs, options: HoldoutEvaluationOptions): Promise<HoldoutEvaluation> {
  const conditionKey = model.conditionKey;
  const cellTypeKey = model.cellTypeKey;
  if (!conditionKey || !cellTypeKey) throw new DatasetError('model.json names no condition or cell-type key (train with --condition-key and --cell-type-key)');
  const conditions = await readCategorical(source, conditionKey, 'condition key', options.signal);
  const cellTypes = await readCategorical(source, cellTypeKey, 'cell-type key', options.signal);
  const target = options.holdout.condition;
  const sourceCondition = options.sourceCondition ?? model.conditions.find((c) => c !== target);
  if (!sourceCondition) throw new DatasetError('no source condition to predict from');
  if (sourceCondition === target) throw new DatasetError(`the source condition is the target condition "${target}"; choose another with --source-condition`);
  const modelCode = (c: string) => {
    const i = model.conditions.indexOf(c);
    if (i < 0) throw new DatasetError(`condition "${c}" is not one the model was trained on (${model.conditions.join(', ')})`);
    return i;
  };
  const [sourceCode, targetCode] = [modelCode(sourceCondition), modelCode(target)];
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
  const n = sourceRows.length;
  const kind = model.config.model === 'scgen' ? 'scgen' : 'trvae';
  const xhat = await predictCounterfactual(model.config, { graphs }, {
    x: xSource, sourceCondition: sourceCode, targetCondition: targetCode, seed: options.seed, sampleLatent: options.sampleLatent,
    training: () => trainingCells(source, model, conditions, cellTypes, genes, loadOptions),
  });
  const G = model.genes.length;
  const evaluation = evaluatePrediction({ x: xhat, n }, { x: xTarget, n: targetRows.length }, { x: xSource, n }, {
    nGenes: G, nDegs: options.nDegs, bootstrap: options.bootstrap, seed: options.seed,
  });
  return {
    ...evaluation,
    holdout: options.holdout,
    sourceCondition,
    model: kind,
    heldOut: model.holdout?.cellType === options.holdout.cellType && model.holdout.condition === target,
    cells: { source: n, target: targetRows.length },
    degNames: evaluation.degs.map((g) => model.genes[g]),
  };
}

/**
 * The cells scGen's latent means come from: every cell whose condition is one of the model's, less
 * the model's held-out pair; their inputs and condition codes in the model's one-hot order.
 */
async function trainingCells(
  source: AnnDataSource,
  model: ModelJson,
  conditions: CategoricalColumn,
  cellTypes: CategoricalColumn,
  genes: readonly number[],
  loadOptions: Parameters<typeof loadExpression>[2],
): Promise<{ x: Float32Array; conditions: Int32Array }> {
  const toModel = conditions.categories.map((c) => model.conditions.indexOf(c));
  const heldType = model.holdout ? cellTypes.categories.indexOf(model.holdout.cellType) : -1;
  const heldCondition = model.holdout ? model.conditions.indexOf(model.holdout.condition) : -1;
  const rows: number[] = [];
  for (let i = 0; i < source.nObs; i++) {
    const c = conditions.codes[i] < 0 ? -1 : toModel[conditions.codes[i]];
    if (c < 0 || (cellTypes.codes[i] === heldType && c === heldCondition)) continue;
    rows.push(i);
  }
  return {
    x: await loadExpression(source, genes, loadOptions, rows),
    conditions: Int32Array.from(rows, (i) => toModel[conditions.codes[i]]),
  };
}
