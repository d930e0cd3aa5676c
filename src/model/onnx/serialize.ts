// IR → ONNX ModelProto bytes through onnx-proto's generated protobufjs classes.

// onnx-proto is CommonJS: Node's ESM loader sees only its default export.
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';
import { tensorName, type AttributeValue, type DType, type Graph, type Tensor, type TensorData } from './ir.ts';
import { OPSET } from './ops.ts';

const { onnx } = onnxProto;

const dataTypes: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

function valueInfo(name: string, t: Tensor): proto.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: dataTypes[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  };
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

export interface SerializeOptions {
  /** Graph inputs to embed as initializers with these values (e.g. trained weights). */
  readonly embed?: ReadonlyMap<string, TensorData>;
  readonly producer?: string;
}

export function serializeGraph(graph: Graph, options: SerializeOptions = {}): Uint8Array {
  const embed = options.embed ?? new Map<string, TensorData>();
  const initializer: proto.ITensorProto[] = graph.initializers.map(({ tensor, data }) => ({
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
      inputs.push(valueInfo(name, t));
      continue;
    }
    if (data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`embedding "${name}": ${data.length} values for shape [${t.shape.join(', ')}]`);
    initializer.push({ name, dims: [...t.shape], dataType: dataTypes[t.dtype], rawData: bytesOf(data) });
  }
  for (const name of embed.keys()) {
    if (!graph.inputs.some((t) => tensorName(t) === name)) throw new Error(`embedding "${name}": graph "${graph.name}" has no such input`);
  }
  const node: proto.INodeProto[] = graph.nodes.map((n, i) => ({
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
      output: graph.outputs.map(({ name, tensor }) => valueInfo(name, tensor)),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
