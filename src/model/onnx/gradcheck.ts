// Finite-difference check of the autodiff: builds `f` in float64, runs it in ONNX Runtime, and
// compares the graph's own gradients with central differences of the loss.

import * as ort from 'onnxruntime-web';
import { gradients } from './autodiff.ts';
import { constant, createGraph, input, output, type Shape, type Tensor } from './ir.ts';
import { mul, sumAll } from './ops.ts';
import { serializeGraph } from './serialize.ts';

export interface GradCheckInput {
  readonly name: string;
  readonly shape: Shape;
  readonly values: readonly number[];
  /** Check the gradient for this input (default true); false feeds it as data only. */
  readonly differentiate?: boolean;
}

export interface GradCheckResult {
  /** Largest |analytic − numeric| / max(1, |numeric|) over all checked elements. */
  readonly maxError: number;
  readonly analytic: Record<string, Float64Array>;
  readonly numeric: Record<string, Float64Array>;
}

/** A fixed pseudo-random weighting so that a non-scalar output gives a generic upstream gradient. */
function weights(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3) + 0.2);
}

export async function gradCheck(
  inputs: readonly GradCheckInput[],
  f: (...xs: Tensor[]) => Tensor,
  step = 1e-6,
): Promise<GradCheckResult> {
  const graph = createGraph('gradcheck');
  const xs = inputs.map((i) => input(graph, i.name, 'float64', i.shape));
  const y = f(...xs);
  const loss = y.shape.length === 0 ? y : sumAll(mul(y, constant(graph, 'float64', y.shape, weights(y.shape.reduce((a, b) => a * b, 1)))));
  output('loss', loss);
  const checked = inputs.map((i, k) => ({ spec: i, tensor: xs[k] })).filter(({ spec }) => spec.differentiate !== false);
  const grads = gradients(loss, checked.map((c) => c.tensor));
  grads.forEach((g, k) => output(`grad_${checked[k].spec.name}`, g));
  const session = await ort.InferenceSession.create(serializeGraph(graph));
  const data = inputs.map((i) => Float64Array.from(i.values));
  const feeds = () => Object.fromEntries(inputs.map((i, k) => [i.name, new ort.Tensor('float64', data[k], [...i.shape])]));
  const base = await session.run(feeds());
  const analytic: Record<string, Float64Array> = {};
  const numeric: Record<string, Float64Array> = {};
  let maxError = 0;
  for (const { spec } of checked) {
    const k = inputs.indexOf(spec);
    analytic[spec.name] = Float64Array.from(base[`grad_${spec.name}`].data as Float64Array);
    const num = new Float64Array(data[k].length);
    for (let e = 0; e < data[k].length; e++) {
      const saved = data[k][e];
      data[k][e] = saved + step;
      const plus = ((await session.run(feeds())).loss.data as Float64Array)[0];
      data[k][e] = saved - step;
      const minus = ((await session.run(feeds())).loss.data as Float64Array)[0];
      data[k][e] = saved;
      num[e] = (plus - minus) / (2 * step);
      maxError = Math.max(maxError, Math.abs(analytic[spec.name][e] - num[e]) / Math.max(1, Math.abs(num[e])));
    }
    numeric[spec.name] = num;
  }
  await session.release();
  return { maxError, analytic, numeric };
}
