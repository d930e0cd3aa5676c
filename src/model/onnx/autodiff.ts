// Reverse-mode automatic differentiation over the graph IR: walks the nodes between the inputs of
// interest and the loss backwards, appending each node's gradient rule to the same graph.

import type { Node, Tensor } from './ir.ts';
import { add, expand, scalar } from './ops.ts';

/**
 * Gradients of the scalar `loss` with respect to each of `wrt`, as tensors of the same graph.
 * A tensor the loss does not depend on gets an explicit zero gradient.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const graph = loss.graph;
  if (loss.shape.length !== 0) throw new Error(`gradients: the loss must be a scalar, got shape [${loss.shape.join(', ')}]`);
  // Nodes exist in topological order, so one forward pass finds what depends on `wrt`.
  const dependsOnWrt = new Set(wrt.map((t) => t.id));
  // A tensor with a custom gradient rule acts as produced by a node with the rule's inputs; the
  // nodes inside the composite then receive no gradients and add nothing to the graph.
  const steps: Pick<Node, 'op' | 'inputs' | 'outputs' | 'vjp'>[] = graph.nodes.map((node) => {
    const rule = node.outputs.length === 1 ? graph.gradientRules.get(node.outputs[0].id) : undefined;
    return rule ? { op: `${node.op} (custom gradient)`, inputs: rule.inputs, outputs: node.outputs, vjp: rule.vjp } : node;
  });
  const active = steps.filter((node) => {
    if (!node.inputs.some((t) => t && dependsOnWrt.has(t.id))) return false;
    for (const o of node.outputs) dependsOnWrt.add(o.id);
    return true;
  });
  const grads = new Map<number, Tensor>([[loss.id, scalar(loss, 1)]]);
  for (let i = active.length - 1; i >= 0; i--) {
    const node = active[i];
    const outputGrads = node.outputs.map((o) => grads.get(o.id));
    if (outputGrads.every((g) => g === undefined)) continue;
    if (!node.vjp) throw new Error(`gradients: no gradient rule for ${node.op}, which lies between the parameters and the loss`);
    const inputGrads = node.vjp(outputGrads);
    node.inputs.forEach((t, k) => {
      const g = inputGrads[k];
      if (!t || !g || !dependsOnWrt.has(t.id)) return;
      const previous = grads.get(t.id);
      grads.set(t.id, previous ? add(previous, g) : g);
    });
  }
  return wrt.map((t) => grads.get(t.id) ?? expand(scalar(t, 0), t.shape));
}
