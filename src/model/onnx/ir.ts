// A small ONNX graph IR: tensors with static shapes and dtypes, nodes that remember how to
// differentiate themselves, graph inputs and constant initializers. Names are resolved only when the
// graph is serialised, so a tensor can be given its public name after it was created.

export type DType = 'float32' | 'float64' | 'int64' | 'bool';
export type FloatDType = 'float32' | 'float64';
export type Shape = readonly number[];

export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export interface Tensor {
  readonly graph: Graph;
  readonly id: number;
  readonly dtype: DType;
  readonly shape: Shape;
}

export type AttributeValue = number | readonly number[] | string | { readonly float: number } | { readonly floats: readonly number[] };

/**
 * Vector-Jacobian product of a node: given the gradient of the loss with respect to each output
 * (undefined where the loss does not depend on it), the gradient with respect to each input
 * (undefined where there is none, e.g. integer or boolean inputs).
 */
export type Vjp = (outputGrads: readonly (Tensor | undefined)[]) => readonly (Tensor | undefined)[];

export interface Node {
  readonly op: string;
  readonly inputs: readonly (Tensor | undefined)[];
  readonly outputs: readonly Tensor[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly vjp?: Vjp;
}

export interface Initializer {
  readonly tensor: Tensor;
  readonly data: TensorData;
}

export interface Graph {
  readonly name: string;
  readonly nodes: Node[];
  readonly inputs: Tensor[];
  readonly outputs: { readonly name: string; readonly tensor: Tensor }[];
  readonly initializers: Initializer[];
  /** Public names (graph inputs, outputs, initializers); others get `t<id>`. */
  readonly names: Map<number, string>;
  readonly constantCache: Map<string, Tensor>;
  /** Tensors whose gradient rule is given directly in terms of chosen inputs (see `customGradient`). */
  readonly gradientRules: Map<number, GradientRule>;
  nextId: number;
}

export interface GradientRule {
  readonly inputs: readonly Tensor[];
  readonly vjp: Vjp;
}

export function createGraph(name: string): Graph {
  return { name, nodes: [], inputs: [], outputs: [], initializers: [], names: new Map(), constantCache: new Map(), gradientRules: new Map(), nextId: 0 };
}

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function tensorName(t: Tensor): string {
  return t.graph.names.get(t.id) ?? `t${t.id}`;
}

function newTensor(graph: Graph, dtype: DType, shape: Shape): Tensor {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`invalid tensor shape [${shape.join(', ')}]`);
  return { graph, id: graph.nextId++, dtype, shape: [...shape] };
}

function claimName(graph: Graph, id: number, name: string): void {
  for (const [other, existing] of graph.names) {
    if (existing === name && other !== id) throw new Error(`graph "${graph.name}" already has a tensor named "${name}"`);
  }
  if (/^t\d+$/.test(name)) throw new Error(`tensor name "${name}" is reserved for unnamed tensors`);
  graph.names.set(id, name);
}

export function input(graph: Graph, name: string, dtype: DType, shape: Shape): Tensor {
  const t = newTensor(graph, dtype, shape);
  claimName(graph, t.id, name);
  graph.inputs.push(t);
  return t;
}

/** Declares a graph output. A tensor that already has a public name is copied by an Identity node. */
export function output(name: string, t: Tensor): void {
  const graph = t.graph;
  let out = t;
  if (graph.names.has(t.id)) {
    out = newTensor(graph, t.dtype, t.shape);
    graph.nodes.push({ op: 'Identity', inputs: [t], outputs: [out], attributes: {} });
  }
  claimName(graph, out.id, name);
  graph.outputs.push({ name, tensor: out });
}

/** A named initializer (e.g. a weight baked into an exported graph). */
export function initializer(graph: Graph, name: string, dtype: DType, shape: Shape, data: TensorData): Tensor {
  if (data.length !== size(shape)) throw new Error(`initializer "${name}": ${data.length} values for shape [${shape.join(', ')}]`);
  const t = newTensor(graph, dtype, shape);
  claimName(graph, t.id, name);
  graph.initializers.push({ tensor: t, data });
  return t;
}

function typedArray(dtype: DType, values: readonly number[]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values.map((v) => BigInt(v)));
    case 'bool':
      return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
  }
}

/** A small constant, shared between all uses of the same value in the graph. */
export function constant(graph: Graph, dtype: DType, shape: Shape, values: readonly number[]): Tensor {
  const key = `${dtype}|${shape.join(',')}|${values.join(',')}`;
  const cached = graph.constantCache.get(key);
  if (cached) return cached;
  if (values.length !== size(shape)) throw new Error(`constant: ${values.length} values for shape [${shape.join(', ')}]`);
  const t = newTensor(graph, dtype, shape);
  graph.initializers.push({ tensor: t, data: typedArray(dtype, values) });
  graph.constantCache.set(key, t);
  return t;
}

/** Appends a node whose outputs have the given dtypes and shapes; returns the output tensors. */
export function addNode(
  graph: Graph,
  op: string,
  inputs: readonly (Tensor | undefined)[],
  outputs: readonly { readonly dtype: DType; readonly shape: Shape }[],
  attributes: Readonly<Record<string, AttributeValue>> = {},
  vjp?: (outs: readonly Tensor[]) => Vjp,
): Tensor[] {
  for (const t of inputs) if (t && t.graph !== graph) throw new Error(`${op}: input from another graph`);
  const outs = outputs.map((o) => newTensor(graph, o.dtype, o.shape));
  graph.nodes.push({ op, inputs, outputs: outs, attributes, vjp: vjp?.(outs) });
  return outs;
}

/**
 * Gives `output` a gradient rule in terms of `inputs` directly: reverse mode sends the gradient of
 * `output` through `vjp` to `inputs` and never differentiates the nodes between them. For composite
 * expressions whose derivative is far cheaper than the chain rule through their parts; the tensors
 * between `inputs` and `output` must not be used outside the composite.
 */
export function customGradient(output: Tensor, inputs: readonly Tensor[], vjp: Vjp): Tensor {
  for (const t of inputs) if (t.graph !== output.graph) throw new Error('customGradient: input from another graph');
  if (output.graph.gradientRules.has(output.id)) throw new Error('customGradient: the tensor already has a gradient rule');
  const producer = output.graph.nodes.find((n) => n.outputs.includes(output));
  if (!producer || producer.outputs.length !== 1) throw new Error('customGradient: the tensor must be the only output of a node');
  output.graph.gradientRules.set(output.id, { inputs, vjp });
  return output;
}
