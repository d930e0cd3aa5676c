// The train-step graph of any model: its loss in training mode, gradients of the total with respect
// to every parameter, and the optimiser's update. Inputs: parameters, statistics, the model's batch
// inputs and loss weights, and the optimiser's state (e.g. step, lr, Adam moments). Outputs:
// `<name>.next` for every parameter, statistic and optimiser state, and loss.<term> (computed before
// the update).

import { declareLoss, lossOutput, type ModelDefinition } from '../definition.ts';
import { gradients } from '../onnx/autodiff.ts';
import { createGraph, output, type FloatDType, type Graph, type Tensor } from '../onnx/ir.ts';
import { next, type Optimiser } from '../optim/adam.ts';

export interface BuiltGraph {
  readonly graph: Graph;
  readonly batchSize: number;
}

export function buildStepGraph(model: ModelDefinition, optimiser: Optimiser, batchSize = model.config.batchSize, dtype: FloatDType = 'float32'): BuiltGraph {
  const graph = createGraph(`${model.name}_train_step`);
  const { inputs, loss } = declareLoss(graph, model, 'train', dtype, batchSize);
  const params = model.params.map((p) => [p.name, inputs.params.get(p.name) as Tensor] as const);
  const grads = gradients(loss.terms.total, params.map(([, t]) => t));
  optimiser.update(graph, params, grads, dtype);
  const updated = new Set(loss.statUpdates.map(([name]) => name));
  for (const s of model.stats) if (!updated.has(s.name)) throw new Error(`${model.name}: the training loss does not update statistic "${s.name}"`);
  for (const [name, value] of loss.statUpdates) output(next(name), value);
  for (const term of model.lossTerms) output(lossOutput(term), loss.terms[term]);
  return { graph, batchSize };
}
