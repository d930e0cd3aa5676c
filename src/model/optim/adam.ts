// Keras' Adam on elementwise-clipped gradients (clipvalue), built into a train-step graph: the
// optimiser the train-step builder is given. State inputs: `step` (updates done so far), `lr`, and
// the moments adam.m.<param>, adam.v.<param>; outputs `<name>.next` for each parameter, moment and
// `step`.

import { input, output, type FloatDType, type Graph, type Tensor } from '../onnx/ir.ts';
import { add, clip, div, mul, pow, scalar, sqrt, sub } from '../onnx/ops.ts';

export const adamM = (name: string) => `adam.m.${name}`;
export const adamV = (name: string) => `adam.v.${name}`;
/** The step graph's output carrying the new value of state input `name`. */
export const next = (name: string) => `${name}.next`;

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Gradients are clipped elementwise to [−clipValue, clipValue] before the update. */
  readonly clipValue: number;
}

export interface Optimiser {
  /** Declares the optimiser's inputs and outputs the updated parameters and optimiser state. */
  update(graph: Graph, params: readonly (readonly [string, Tensor])[], grads: readonly Tensor[], dtype: FloatDType): void;
}

export function clippedAdam(options: AdamOptions): Optimiser {
  return {
    update(graph, params, grads, dtype) {
      const step = input(graph, 'step', dtype, []);
      const lr = input(graph, 'lr', dtype, []);
      // Keras Adam: t = step + 1, lr_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), p ← p − lr_t·m/(√v + ε).
      const t = add(step, scalar(step, 1));
      const b1 = scalar(t, options.beta1);
      const b2 = scalar(t, options.beta2);
      const one = scalar(t, 1);
      const lrT = mul(lr, div(sqrt(sub(one, pow(b2, t))), sub(one, pow(b1, t))));
      params.forEach(([name, p], i) => {
        const m = input(graph, adamM(name), dtype, p.shape);
        const v = input(graph, adamV(name), dtype, p.shape);
        const g = clip(grads[i], -options.clipValue, options.clipValue);
        const m2 = add(mul(m, b1), mul(g, scalar(g, 1 - options.beta1)));
        const v2 = add(mul(v, b2), mul(mul(g, g), scalar(g, 1 - options.beta2)));
        const p2 = sub(p, mul(lrT, div(m2, add(sqrt(v2), scalar(v2, options.epsilon)))));
        output(next(name), p2);
        output(next(adamM(name)), m2);
        output(next(adamV(name)), v2);
      });
      output(next('step'), t);
    },
  };
}

/** The model configuration's Adam settings. */
export const adamOf = (config: { readonly adamBeta1: number; readonly adamBeta2: number; readonly adamEpsilon: number; readonly clipValue: number }): Optimiser =>
  clippedAdam({ beta1: config.adamBeta1, beta2: config.adamBeta2, epsilon: config.adamEpsilon, clipValue: config.clipValue });
