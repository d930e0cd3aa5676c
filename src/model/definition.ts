// The model seam: what the trainer, the evaluator, inference and export need to know about a model.
// A model declares its parameters and statistics, the batch inputs of its step graph (and how each is
// made), its loss terms and their weights, and builds its loss and inference graphs from tensors the
// seam declares. Adding a model is one file that exports a ModelDefinition, plus a line in models.ts.
import type { BatchInput } from '../cpu/training-batch.ts';
import { createGraph, input, output, type FloatDType, type Graph, type Tensor } from './onnx/ir.ts';
import type { TrvaeConfig } from './trvae/config.ts';

export type { BatchInput, BatchInputSource } from '../cpu/training-batch.ts';

/** The hyperparameters every model is configured by (trVAE's fields; a model uses those it needs). */
export type ModelConfig = TrvaeConfig;

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: 'glorot' | 'zeros' | 'ones';
}

export type NamedArrays = Map<string, Float32Array>;
export type Tensors = ReadonlyMap<string, Tensor>;

/** 'train': batch statistics, dropout masks; 'eval': running statistics, no dropout (Keras' validation pass). */
export type LossMode = 'train' | 'eval';

/** The tensors a model's graphs are built from, by input name. */
export interface GraphInputs {
  readonly params: Tensors;
  /** Running statistics (e.g. BatchNorm), state not trained by gradient. */
  readonly stats: Tensors;
  /** Batch inputs (training and evaluation) or cell inputs (inference). */
  readonly data: Tensors;
  /** Scalar loss weights. */
  readonly weights: Tensors;
}

export interface LossGraph {
  /** Every term of `lossTerms`, `total` being the one minimised. */
  readonly terms: Readonly<Record<string, Tensor>>;
  /** New values of running statistics (training mode). */
  readonly statUpdates: readonly (readonly [string, Tensor])[];
}

/** Where an inference input's values come from (see CellInputs in inference.ts). */
export type CellInputSource = 'x' | 'condition' | 'target' | 'noise' | 'latent';

export interface CellInput {
  readonly name: string;
  readonly perCell: readonly number[];
  readonly source: CellInputSource;
}

export interface InferenceGraphSpec {
  readonly inputs: readonly CellInput[];
  readonly outputs: readonly string[];
  /** Output tensors by name; no node may depend on the batch size (graphs are exported with a symbolic batch). */
  build(inputs: GraphInputs): Readonly<Record<string, Tensor>>;
}

export interface ModelDefinition {
  /** 'trvae', 'scgen': graph and export file names start with it. */
  readonly name: string;
  readonly config: ModelConfig;
  readonly params: readonly ParamSpec[];
  readonly stats: readonly ParamSpec[];
  /** Seeded initial parameters and statistics. */
  initialState(): { readonly params: NamedArrays; readonly stats: NamedArrays };
  /** Loss terms reported per step, `total` among them. */
  readonly lossTerms: readonly string[];
  /** Names of the scalar weight inputs of the loss graph (keys of the step hyperparameters). */
  readonly lossWeights: readonly string[];
  /** The batch inputs of the loss graph, made per step by the CPU or GPU batch builder. */
  batchInputs(mode: LossMode): readonly BatchInput[];
  loss(inputs: GraphInputs, mode: LossMode): LossGraph;
  /** Inference graphs by kind. */
  readonly inference: Readonly<Record<string, InferenceGraphSpec>>;
}

const declare = (graph: Graph, dtype: FloatDType, specs: readonly { readonly name: string; readonly shape: readonly number[] }[]) =>
  new Map(specs.map((s) => [s.name, input(graph, s.name, dtype, s.shape)]));

function declareState(graph: Graph, model: ModelDefinition, dtype: FloatDType) {
  return { params: declare(graph, dtype, model.params), stats: declare(graph, dtype, model.stats) };
}

/**
 * Declares the loss graph's inputs (parameters, statistics, batch inputs, weights) and builds its
 * terms; shared by the train step, the evaluation graph and the whole-model gradient check.
 */
export function declareLoss(graph: Graph, model: ModelDefinition, mode: LossMode, dtype: FloatDType, batchSize: number) {
  const state = declareState(graph, model, dtype);
  const data = declare(graph, dtype, model.batchInputs(mode).map((i) => ({ name: i.name, shape: [batchSize, ...i.perCell] })));
  const weights = declare(graph, dtype, model.lossWeights.map((name) => ({ name, shape: [] })));
  const inputs: GraphInputs = { ...state, data, weights };
  const loss = model.loss(inputs, mode);
  for (const term of model.lossTerms) if (!loss.terms[term]) throw new Error(`${model.name}: the loss graph has no term "${term}"`);
  return { inputs, loss };
}

export const lossOutput = (term: string) => `loss.${term}`;

/** Losses without an update (evaluation mode). Inputs: parameters, statistics, batch inputs, weights. */
export function buildEvalGraph(model: ModelDefinition, batchSize: number, dtype: FloatDType = 'float32'): Graph {
  const graph = createGraph(`${model.name}_eval`);
  const { loss } = declareLoss(graph, model, 'eval', dtype, batchSize);
  for (const term of model.lossTerms) output(lossOutput(term), loss.terms[term]);
  return graph;
}

/** An inference graph: parameters and statistics, then the cell inputs; outputs in the spec's order. */
export function buildInferenceGraph(model: ModelDefinition, kind: string, batchSize = 1, dtype: FloatDType = 'float32'): Graph {
  const graph = createGraph(`${model.name}_${kind}`);
  const spec = inferenceSpec(model, kind);
  const state = declareState(graph, model, dtype);
  const data = declare(graph, dtype, spec.inputs.map((i) => ({ name: i.name, shape: [batchSize, ...i.perCell] })));
  const outputs = spec.build({ ...state, data, weights: new Map() });
  for (const name of spec.outputs) output(name, outputs[name]);
  return graph;
}

export function inferenceSpec(model: ModelDefinition, kind: string): InferenceGraphSpec {
  const spec = model.inference[kind];
  if (!spec) throw new Error(`${model.name} has no ${kind} graph (it has ${Object.keys(model.inference).join(', ')})`);
  return spec;
}

export function tensorOf(map: Tensors, name: string, model: string): Tensor {
  const t = map.get(name);
  if (!t) throw new Error(`${model} graph: missing tensor "${name}"`);
  return t;
}
