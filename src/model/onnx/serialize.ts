// IR → ONNX ModelProto bytes through onnx-proto's generated protobufjs classes.

// onnx-proto is CommonJS: Node's ESM loader sees only its default export.
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';
import { tensorName, type AttributeValue, type DType, type Graph, type Node, type Tensor, type TensorData } from './ir.ts';
import { OPSET } from './ops.ts';

const { onnx } = onnxProto;

const dataTypes: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

function valueInfo(name: string, t: Tensor, batch?: SymbolicBatch): proto.IValueInfoProto {
  const dim = t.shape.map((d, i): proto.TensorShapeProto.IDimension => (batch && i === 0 && d === batch.size ? { dimParam: batch.name } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: dataTypes[t.dtype], shape: { dim } } } };
}

function attribute(name: string, value: AttributeValue): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  return { name, type: T.INTS, ints: [...value] };
}

function bytesOf(data: TensorData): Uint8Array {
  // ONNX raw_data is little-endian, as are all platforms that run WebAssembly.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/** Declares dimension 0 of graph inputs and outputs of this size as symbolic (for graphs no node of which depends on it). */
export interface SymbolicBatch {
  readonly size: number;
  readonly name: string;
}

export interface SerializeOptions {
  readonly batch?: SymbolicBatch;
  /** Graph inputs to embed as initializers with these values (e.g. trained weights). */
  readonly embed?: ReadonlyMap<string, TensorData>;
  readonly producer?: string;
}

/** Nodes the outputs depend on (gradient rules can leave unused helpers behind), in graph order. */
function liveNodes(graph: Graph): { nodes: Node[]; used: Set<number> } {
  const used = new Set(graph.outputs.map((o) => o.tensor.id));
  const keep: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((t) => used.has(t.id))) continue;
    keep.push(node);
    for (const t of node.inputs) if (t) used.add(t.id);
  }
  return { nodes: keep.reverse(), used };
}

export function serializeGraph(graph: Graph, options: SerializeOptions = {}): Uint8Array {
  const embed = options.embed ?? new Map<string, TensorData>();
  const { nodes, used } = liveNodes(graph);
  const initializer: proto.ITensorProto[] = graph.initializers.filter(({ tensor }) => used.has(tensor.id)).map(({ tensor, data }) => ({
    name: tensorName(tensor),
    dims: [...tensor.shape],
    dataType: dataTypes[tensor.dtype],
    rawData: bytesOf(data),
  }));
  const inputs: proto.IValueInfoProto[] = [];
  for (const t of graph.inputs) {
    const name = tensorName(t);
    const data = embed.get(name);
    if (!data) {
      inputs.push(valueInfo(name, t, options.batch));
      continue;
    }
    if (!used.has(t.id)) continue;
    if (data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`embedding "${name}": ${data.length} values for shape [${t.shape.join(', ')}]`);
    initializer.push({ name, dims: [...t.shape], dataType: dataTypes[t.dtype], rawData: bytesOf(data) });
  }
  for (const name of embed.keys()) {
    if (!graph.inputs.some((t) => tensorName(t) === name)) throw new Error(`embedding "${name}": graph "${graph.name}" has no such input`);
  }
  const node: proto.INodeProto[] = nodes.map((n, i) => ({
    name: `${n.op}_${i}`,
    opType: n.op,
    input: n.inputs.map((t) => (t ? tensorName(t) : '')),
    output: n.outputs.map(tensorName),
    attribute: Object.entries(n.attributes).map(([k, v]) => attribute(k, v)),
  }));
  const model: proto.IModelProto = {
    irVersion: 8,
    producerName: options.producer ?? 'trvae-web',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: graph.name,
      node,
      initializer,
      input: inputs,
      output: graph.outputs.map(({ name, tensor }) => valueInfo(name, tensor, options.batch)),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
