import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { gradCheck, type GradCheckInput } from './gradcheck.ts';
import { createGraph, customGradient, input, output, type Tensor } from './ir.ts';
import * as op from './ops.ts';
import { serializeGraph } from './serialize.ts';
import { gradients } from './autodiff.ts';

ort.env.wasm.numThreads = 1;

const vals = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => Math.round(100 * Math.sin(2.3 * i + offset + 0.4)) / 50);
const positive = (n: number, offset = 0) => vals(n, offset).map((v) => Math.abs(v) + 0.3);
const x23 = (values = vals(6)): GradCheckInput => ({ name: 'x', shape: [2, 3], values });

// Each case: inputs and the op under test. Values avoid kinks (0 for relu, clip bounds).
const cases: [string, GradCheckInput[], (...xs: Tensor[]) => Tensor][] = [
  ['Add with broadcasting', [x23(), { name: 'b', shape: [3], values: vals(3, 1) }], op.add],
  ['Sub with broadcasting', [x23(), { name: 'b', shape: [2, 1], values: vals(2, 1) }], op.sub],
  ['Mul with broadcasting', [x23(), { name: 'b', shape: [1, 3], values: vals(3, 2) }], op.mul],
  ['Div with broadcasting', [x23(), { name: 'b', shape: [3], values: positive(3, 2) }], op.div],
  ['Pow (base and exponent)', [x23(positive(6)), { name: 'p', shape: [], values: [1.7] }], op.pow],
  ['Neg', [x23()], op.neg],
  ['Exp', [x23()], op.exp],
  ['Tanh', [x23()], op.tanh],
  ['Log', [x23(positive(6))], op.log],
  ['Sqrt', [x23(positive(6))], op.sqrt],
  ['Relu', [x23()], op.relu],
  ['LeakyRelu(0.3)', [x23()], (x) => op.leakyRelu(x, 0.3)],
  ['Clip', [x23()], (x) => op.clip(x, -0.9, 1.1)],
  ['Where/Greater', [x23(), { name: 'b', shape: [3], values: vals(3, 5) }], (x, b) => op.where(op.greater(x, b), op.mul(x, x), b)],
  ['ReduceSum (keepdims)', [x23()], (x) => op.reduceSum(x, [1], true)],
  ['ReduceSum', [x23()], (x) => op.reduceSum(x, [0])],
  ['ReduceMean', [{ name: 'x', shape: [2, 3, 2], values: vals(12) }], (x) => op.reduceMean(x, [0, 2])],
  ['Transpose', [{ name: 'x', shape: [2, 3, 2], values: vals(12) }], (x) => op.transpose(x, [2, 0, 1])],
  ['Concat', [x23(), { name: 'b', shape: [2, 2], values: vals(4, 3) }], (x, b) => op.concat([x, b, x], 1)],
  ['Slice', [{ name: 'x', shape: [3, 4], values: vals(12) }], (x) => op.slice(x, [1, 1], [3, 3], [0, 1])],
  ['Pad', [x23()], (x) => op.pad(x, [1, 0, 0, 2])],
  ['Gather (repeated indices accumulate)', [{ name: 'x', shape: [3, 4], values: vals(12) }], (x) => op.mul(op.gather(x, [3, 0, 3, 1, 3], 1), op.gather(x, [3, 0, 3, 1, 3], 1))],
  ['Reshape', [x23()], (x) => op.mul(op.reshape(x, [3, 2]), op.reshape(x, [3, 2]))],
  ['Expand', [{ name: 'x', shape: [2, 1], values: vals(2) }], (x) => op.mul(op.expand(x, [3, 2, 4]), op.expand(x, [3, 2, 4]))],
  ['MatMul', [x23(), { name: 'b', shape: [3, 4], values: vals(12, 1) }], op.matmul],
  ...([false, true].flatMap((transA) =>
    [false, true].map((transB): [string, GradCheckInput[], (...xs: Tensor[]) => Tensor] => [
      `Gemm transA=${transA} transB=${transB} with bias`,
      [
        { name: 'a', shape: transA ? [3, 2] : [2, 3], values: vals(6) },
        { name: 'b', shape: transB ? [4, 3] : [3, 4], values: vals(12, 1) },
        { name: 'c', shape: [4], values: vals(4, 2) },
      ],
      (a, b, c) => op.gemm(a, b, { transA, transB, alpha: 0.7, c }),
    ]),
  )),
];

describe('gradient rules match central finite differences (float64 in ONNX Runtime)', () => {
  for (const [name, inputs, f] of cases) {
    it(name, async () => {
      const { maxError, analytic } = await gradCheck(inputs, f);
      expect(maxError).toBeLessThan(1e-6);
      // A rule that returned zeros everywhere would pass against a flat function; make sure not.
      expect(Object.values(analytic).some((g) => g.some((v) => Math.abs(v) > 1e-3))).toBe(true);
    });
  }

  it('Cast float64→float32→float64 (float32 rounding: larger step, looser tolerance)', async () => {
    const f = (x: Tensor) => op.cast(op.mul(op.cast(x, 'float32'), op.cast(x, 'float32')), 'float64');
    const { maxError } = await gradCheck([x23()], f, 1e-2);
    expect(maxError).toBeLessThan(1e-4);
  });

  it('a custom gradient rule on a composite (softplus from Exp, Add, Log) matches finite differences', async () => {
    const softplus = (x: Tensor) => {
      const y = op.log(op.add(op.exp(x), op.scalar(x, 1)));
      return customGradient(y, [x], ([gy]) => [gy && op.div(gy, op.add(op.exp(op.neg(x)), op.scalar(x, 1)))]);
    };
    const { maxError } = await gradCheck([x23()], (x) => op.mul(softplus(x), x));
    expect(maxError).toBeLessThan(1e-6);
  });

  it('a chain that uses a tensor twice accumulates both paths', async () => {
    const { maxError } = await gradCheck([x23()], (x) => op.mul(op.exp(op.mul(x, op.scalar(x, 0.5))), op.add(x, op.relu(x))));
    expect(maxError).toBeLessThan(1e-6);
  });
});

describe('graph builder', () => {
  it('rejects shapes that do not broadcast and names that clash, with the op named', () => {
    const g = createGraph('bad');
    const a = input(g, 'a', 'float32', [2, 3]);
    const b = input(g, 'b', 'float32', [4]);
    expect(() => op.add(a, b)).toThrow(/Add: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => input(g, 'a', 'float32', [1])).toThrow(/already has a tensor named "a"/);
    expect(() => op.matmul(a, a)).toThrow(/MatMul: cannot multiply/);
  });

  it('gives an explicit zero gradient for an input the loss does not use', async () => {
    const g = createGraph('zero');
    const a = input(g, 'a', 'float32', [2]);
    const unused = input(g, 'u', 'float32', [3]);
    const loss = op.sumAll(op.mul(a, a));
    const [ga, gu] = gradients(loss, [a, unused]);
    output('ga', ga);
    output('gu', gu);
    const s = await ort.InferenceSession.create(serializeGraph(g));
    const r = await s.run({ a: new ort.Tensor('float32', Float32Array.from([1, -2]), [2]), u: new ort.Tensor('float32', new Float32Array(3), [3]) });
    expect([...(r.ga.data as Float32Array)]).toEqual([2, -4]);
    expect([...(r.gu.data as Float32Array)]).toEqual([0, 0, 0]);
  });

  it('a custom gradient rule replaces the chain rule through the composite, whose nodes get no gradient nodes', async () => {
    const g = createGraph('straight-through');
    const x = input(g, 'x', 'float32', [3]);
    // Straight-through ReLU: value relu(x), gradient as if identity (the chain rule would give 0 for x < 0).
    const y = customGradient(op.relu(x), [x], ([gy]) => [gy]);
    const nodesBefore = g.nodes.length;
    const [gx] = gradients(op.sumAll(op.mul(y, op.scalar(y, 2))), [x]);
    expect(g.nodes.slice(nodesBefore).some((n) => n.op === 'Where' || n.op === 'Greater')).toBe(false);
    output('gx', gx);
    const s = await ort.InferenceSession.create(serializeGraph(g));
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0.5, 2]), [3]) });
    expect([...(r.gx.data as Float32Array)]).toEqual([2, 2, 2]);
    expect(() => customGradient(y, [x], ([gy]) => [gy])).toThrow(/already has a gradient rule/);
  });

  it('embeds inputs as initializers when serialising', async () => {
    const g = createGraph('embed');
    const w = input(g, 'w', 'float32', [2]);
    const x = input(g, 'x', 'float32', [2]);
    output('y', op.mul(w, x));
    const s = await ort.InferenceSession.create(serializeGraph(g, { embed: new Map([['w', Float32Array.from([3, 4])]]) }));
    expect(s.inputNames).toEqual(['x']);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) });
    expect([...(r.y.data as Float32Array)]).toEqual([3, 8]);
  });
});
