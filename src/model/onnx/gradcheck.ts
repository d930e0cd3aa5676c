// Finite-difference check of the autodiff: runs a float64 graph in ONNX Runtime and compares the
// graph's own gradients with central differences of the loss.

import * as ort from 'onnxruntime-web';
import { gradients } from './autodiff.ts';
import { constant, createGraph, input, output, tensorName, type Graph, type Shape, type Tensor } from './ir.ts';
import { mul, sumAll } from './ops.ts';
import { serializeGraph } from './serialize.ts';

export interface GradCheckInput {
  readonly name: string;
  readonly shape: Shape;
  readonly values: readonly number[];
}

export interface GradCheckResult {
  /** Largest |analytic − numeric| / max(1, |numeric|) over all checked elements. */
  readonly maxError: number;
  readonly analytic: Record<string, Float64Array>;
  readonly numeric: Record<string, Float64Array>;
}

/**
 * Checks d loss / d wrt for a float64 graph whose inputs are all given in `values`.
 * Every element of every `wrt` tensor is perturbed by ±step.
 */
export async function checkGraphGradients(
  graph: Graph,
  loss: Tensor,
  wrt: readonly Tensor[],
  values: ReadonlyMap<string, Float64Array>,
  step = 1e-6,
): Promise<GradCheckResult> {
  output('loss', loss);
  const grads = gradients(loss, wrt);
  grads.forEach((g, k) => output(`grad_${tensorName(wrt[k])}`, g));
  const session = await ort.InferenceSession.create(serializeGraph(graph));
  const data = new Map([...values].map(([k, v]) => [k, Float64Array.from(v)]));
  const feeds = () =>
    Object.fromEntries(
      graph.inputs.map((t) => {
        const v = data.get(tensorName(t));
        if (!v) throw new Error(`gradient check: no values for input "${tensorName(t)}"`);
        return [tensorName(t), new ort.Tensor('float64', v, [...t.shape])];
      }),
    );
  const base = await session.run(feeds());
  const analytic: Record<string, Float64Array> = {};
  const numeric: Record<string, Float64Array> = {};
  let maxError = 0;
  for (const t of wrt) {
    const name = tensorName(t);
    const x = data.get(name) as Float64Array;
    analytic[name] = Float64Array.from(base[`grad_${name}`].data as Float64Array);
    const num = new Float64Array(x.length);
    for (let e = 0; e < x.length; e++) {
      const saved = x[e];
      x[e] = saved + step;
      const plus = ((await session.run(feeds())).loss.data as Float64Array)[0];
      x[e] = saved - step;
      const minus = ((await session.run(feeds())).loss.data as Float64Array)[0];
      x[e] = saved;
      num[e] = (plus - minus) / (2 * step);
      maxError = Math.max(maxError, Math.abs(analytic[name][e] - num[e]) / Math.max(1, Math.abs(num[e])));
    }
    numeric[name] = num;
  }
  await session.release();
  return { maxError, analytic, numeric };
}

/** A fixed pseudo-random weighting so that a non-scalar output gives a generic upstream gradient. */
function weights(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3) + 0.2);
}

/** Checks the gradient of Σ w ⊙ f(inputs) with respect to every input. */
export async function gradCheck(inputs: readonly GradCheckInput[], f: (...xs: Tensor[]) => Tensor, step = 1e-6): Promise<GradCheckResult> {
  const graph = createGraph('gradcheck');
  const xs = inputs.map((i) => input(graph, i.name, 'float64', i.shape));
  const y = f(...xs);
  const loss = y.shape.length === 0 ? y : sumAll(mul(y, constant(graph, 'float64', y.shape, weights(y.shape.reduce((a, b) => a * b, 1)))));
  return checkGraphGradients(graph, loss, xs, new Map(inputs.map((i) => [i.name, Float64Array.from(i.values)])), step);
}
