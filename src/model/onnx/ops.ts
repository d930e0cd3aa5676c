// Op constructors (ONNX opset 17) with static shape inference and a gradient rule for each
// differentiable op. Broadcasting follows numpy; a gradient flowing into a broadcast input is
// summed back to that input's shape.

import { addNode, constant, isFloat, size, type DType, type Shape, type Tensor, type Vjp } from './ir.ts';

export const OPSET = 17;

function fail(op: string, message: string): never {
  throw new Error(`${op}: ${message}`);
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const sd = k >= 0 ? s[k] : 1;
      if (sd === 1) continue;
      if (d !== 1 && d !== sd) fail(op, `shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`);
      d = sd;
    }
    out.push(d);
  }
  return out;
}

const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);

function requireSameDtype(op: string, ...ts: Tensor[]): DType {
  const dtype = ts[0].dtype;
  for (const t of ts) if (t.dtype !== dtype) fail(op, `dtype mismatch (${ts.map((x) => x.dtype).join(', ')})`);
  return dtype;
}

function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) fail(op, `needs a float tensor, got ${t.dtype}`);
}

function int64s(t: Tensor, values: readonly number[]): Tensor {
  return constant(t.graph, 'int64', [values.length], values);
}

/** A scalar constant with the dtype of `like`. */
export function scalar(like: Tensor, value: number): Tensor {
  return constant(like.graph, like.dtype, [], [value]);
}

/** Sums a gradient over the axes along which `shape` was broadcast, then reshapes to `shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const offset = g.shape.length - shape.length;
  if (offset < 0) fail('sumTo', `cannot sum [${g.shape.join(', ')}] to [${shape.join(', ')}]`);
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    const target = i < offset ? 1 : shape[i - offset];
    if (target === 1 && d !== 1) axes.push(i);
    else if (target !== d) fail('sumTo', `cannot sum [${g.shape.join(', ')}] to [${shape.join(', ')}]`);
  });
  const summed = axes.length > 0 ? reduceSum(g, axes, true) : g;
  return sameShape(summed.shape, shape) ? summed : reshape(summed, shape);
}

function unary(op: string, x: Tensor, vjp?: (x: Tensor, y: Tensor, gy: Tensor) => Tensor, attributes = {}): Tensor {
  requireFloat(op, x);
  return addNode(x.graph, op, [x], [{ dtype: x.dtype, shape: x.shape }], attributes, vjp && (([y]) => ([gy]) => [gy && vjp(x, y, gy)]))[0];
}

function binary(op: string, a: Tensor, b: Tensor, vjp?: (a: Tensor, b: Tensor, y: Tensor, gy: Tensor) => [Tensor | undefined, Tensor | undefined]): Tensor {
  const dtype = requireSameDtype(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return addNode(a.graph, op, [a, b], [{ dtype, shape }], {}, vjp && (([y]) => ([gy]) => {
    if (!gy) return [undefined, undefined];
    const [ga, gb] = vjp(a, b, y, gy);
    return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
  }))[0];
}

function comparison(op: string, a: Tensor, b: Tensor): Tensor {
  requireSameDtype(op, a, b);
  return addNode(a.graph, op, [a, b], [{ dtype: 'bool', shape: broadcastShapes(op, a.shape, b.shape) }])[0];
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('Add', a, b, (_a, _b, _y, gy) => [gy, gy]);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('Sub', a, b, (_a, _b, _y, gy) => [gy, neg(gy)]);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('Mul', a, b, (a, b, _y, gy) => [mul(gy, b), mul(gy, a)]);
export const div = (a: Tensor, b: Tensor): Tensor =>
  binary('Div', a, b, (_a, b, y, gy) => [div(gy, b), neg(div(mul(gy, y), b))]);
/** x^p; the gradient with respect to p needs x > 0. */
export const pow = (x: Tensor, p: Tensor): Tensor =>
  binary('Pow', x, p, (x, p, y, gy) => [
    mul(gy, mul(p, pow(x, sub(p, scalar(p, 1))))),
    mul(gy, mul(y, log(x))),
  ]);

export const neg = (x: Tensor): Tensor => unary('Neg', x, (_x, _y, gy) => neg(gy));
export const exp = (x: Tensor): Tensor => unary('Exp', x, (_x, y, gy) => mul(gy, y));
export const log = (x: Tensor): Tensor => unary('Log', x, (x, _y, gy) => div(gy, x));
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x, (_x, y, gy) => div(mul(gy, scalar(y, 0.5)), y));
export const tanh = (x: Tensor): Tensor => unary('Tanh', x, (_x, y, gy) => mul(gy, sub(scalar(y, 1), mul(y, y))));
export const relu = (x: Tensor): Tensor => unary('Relu', x, (x, _y, gy) => where(greater(x, scalar(x, 0)), gy, scalar(gy, 0)));
export const leakyRelu = (x: Tensor, alpha: number): Tensor =>
  unary('LeakyRelu', x, (x, _y, gy) => where(greater(x, scalar(x, 0)), gy, mul(gy, scalar(gy, alpha))), { alpha: { float: alpha } });

export const greater = (a: Tensor, b: Tensor): Tensor => comparison('Greater', a, b);
export const less = (a: Tensor, b: Tensor): Tensor => comparison('Less', a, b);

export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (cond.dtype !== 'bool') fail('Where', `condition must be bool, got ${cond.dtype}`);
  const dtype = requireSameDtype('Where', a, b);
  const shape = broadcastShapes('Where', cond.shape, a.shape, b.shape);
  return addNode(a.graph, 'Where', [cond, a, b], [{ dtype, shape }], {}, () => ([gy]) => {
    if (!gy) return [];
    const zero = scalar(gy, 0);
    return [undefined, sumTo(where(cond, gy, zero), a.shape), sumTo(where(cond, zero, gy), b.shape)];
  })[0];
}

/** Clamps to [min, max]; the gradient passes where min ≤ x ≤ max (as in TensorFlow). */
export function clip(x: Tensor, min: number, max: number): Tensor {
  requireFloat('Clip', x);
  const lo = scalar(x, min);
  const hi = scalar(x, max);
  return addNode(x.graph, 'Clip', [x, lo, hi], [{ dtype: x.dtype, shape: x.shape }], {}, () => ([gy]) => {
    if (!gy) return [];
    const zero = scalar(gy, 0);
    return [where(less(x, lo), zero, where(greater(x, hi), zero, gy))];
  })[0];
}

export function cast(x: Tensor, to: DType): Tensor {
  const codes: Record<DType, number> = { float32: 1, float64: 11, int64: 7, bool: 9 };
  return addNode(x.graph, 'Cast', [x], [{ dtype: to, shape: x.shape }], { to: codes[to] }, () => ([gy]) => [
    gy && isFloat(x.dtype) && isFloat(to) ? cast(gy, x.dtype) : undefined,
  ])[0];
}

function normaliseAxes(op: string, rank: number, axes: readonly number[]): number[] {
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  if (out.some((a) => a < 0 || a >= rank)) fail(op, `axes [${axes.join(', ')}] out of range for rank ${rank}`);
  return [...new Set(out)].sort((a, b) => a - b);
}

function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Gradient of a reduction: the output gradient spread back over the reduced axes. */
function spread(gy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = reducedShape(x.shape, axes, true);
  const g = sameShape(gy.shape, kept) ? gy : reshape(gy, kept);
  return sameShape(kept, x.shape) ? g : expand(g, x.shape);
}

export function reduceSum(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  requireFloat('ReduceSum', x);
  const ax = normaliseAxes('ReduceSum', x.shape.length, axes);
  return addNode(x.graph, 'ReduceSum', [x, int64s(x, ax)], [{ dtype: x.dtype, shape: reducedShape(x.shape, ax, keepdims) }], { keepdims: keepdims ? 1 : 0 }, () => ([gy]) => [
    gy && spread(gy, x, ax),
  ])[0];
}

export function reduceMean(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  requireFloat('ReduceMean', x);
  const ax = normaliseAxes('ReduceMean', x.shape.length, axes);
  const n = ax.reduce((p, a) => p * x.shape[a], 1);
  return addNode(x.graph, 'ReduceMean', [x], [{ dtype: x.dtype, shape: reducedShape(x.shape, ax, keepdims) }], { axes: ax, keepdims: keepdims ? 1 : 0 }, () => ([gy]) => [
    gy && spread(mul(gy, scalar(gy, 1 / n)), x, ax),
  ])[0];
}

/** Sum of all elements, as a scalar. */
export const sumAll = (x: Tensor): Tensor => reduceSum(x, x.shape.map((_, i) => i));
/** Mean of all elements, as a scalar. */
export const meanAll = (x: Tensor): Tensor => reduceMean(x, x.shape.map((_, i) => i));

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i)) fail('Transpose', `bad perm [${perm.join(', ')}] for rank ${x.shape.length}`);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return addNode(x.graph, 'Transpose', [x], [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }], { perm: [...perm] }, () => ([gy]) => [
    gy && transpose(gy, inverse),
  ])[0];
}

export function reshape(x: Tensor, shape: Shape): Tensor {
  if (size(shape) !== size(x.shape)) fail('Reshape', `cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  return addNode(x.graph, 'Reshape', [x, int64s(x, shape)], [{ dtype: x.dtype, shape }], {}, () => ([gy]) => [gy && reshape(gy, x.shape)])[0];
}

export function expand(x: Tensor, shape: Shape): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape);
  return addNode(x.graph, 'Expand', [x, int64s(x, shape)], [{ dtype: x.dtype, shape: out }], {}, () => ([gy]) => [gy && sumTo(gy, x.shape)])[0];
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) fail('Concat', 'no inputs');
  const dtype = requireSameDtype('Concat', ...xs);
  const rank = xs[0].shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      fail('Concat', `shapes ${xs.map((t) => `[${t.shape.join(', ')}]`).join(', ')} differ off axis ${axis}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  return addNode(xs[0].graph, 'Concat', xs, [{ dtype, shape }], { axis: ax }, () => ([gy]) => {
    if (!gy) return [];
    let start = 0;
    return xs.map((x) => {
      const g = slice(gy, [start], [start + x.shape[ax]], [ax]);
      start += x.shape[ax];
      return g;
    });
  })[0];
}

/** Step-1 slice [starts, ends) along `axes`. */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes: readonly number[]): Tensor {
  const rank = x.shape.length;
  const shape = [...x.shape];
  const pads = new Array<number>(2 * rank).fill(0);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + rank : a0;
    const s = starts[i];
    const e = Math.min(ends[i], x.shape[a]);
    if (s < 0 || e <= s) fail('Slice', `empty or negative range [${s}, ${ends[i]}) on axis ${a}`);
    shape[a] = e - s;
    pads[a] = s;
    pads[a + rank] = x.shape[a] - e;
  });
  return addNode(x.graph, 'Slice', [x, int64s(x, starts), int64s(x, ends), int64s(x, axes)], [{ dtype: x.dtype, shape }], {}, () => ([gy]) => [
    gy && pad(gy, pads),
  ])[0];
}

/**
 * Elements at constant `indices` along `axis` (numpy's take). Gradient: the output gradient added
 * back at those indices (ScatterElements with reduction 'add', so repeated indices accumulate).
 */
export function gather(x: Tensor, indices: readonly number[], axis: number): Tensor {
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) fail('Gather', `axis ${axis} out of range for rank ${rank}`);
  const bad = indices.find((i) => !Number.isInteger(i) || i < 0 || i >= x.shape[ax]);
  if (bad !== undefined) fail('Gather', `index ${bad} out of range [0, ${x.shape[ax]}) on axis ${ax}`);
  const shape = x.shape.map((d, i) => (i === ax ? indices.length : d));
  const idx = int64s(x, indices);
  return addNode(x.graph, 'Gather', [x, idx], [{ dtype: x.dtype, shape }], { axis: ax }, () => ([gy]) => {
    if (!gy) return [];
    const along = reshape(idx, shape.map((d, i) => (i === ax ? d : 1)));
    const zeros = expand(scalar(gy, 0), x.shape);
    return [addNode(x.graph, 'ScatterElements', [zeros, expand(along, shape), gy], [{ dtype: gy.dtype, shape: x.shape }], { axis: ax, reduction: 'add' })[0]];
  })[0];
}

/** Zero padding; `pads` = [begin_0, …, begin_n, end_0, …, end_n]. */
export function pad(x: Tensor, pads: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (pads.length !== 2 * rank || pads.some((p) => p < 0)) fail('Pad', `bad pads [${pads.join(', ')}]`);
  const shape = x.shape.map((d, i) => d + pads[i] + pads[i + rank]);
  return addNode(x.graph, 'Pad', [x, int64s(x, pads)], [{ dtype: x.dtype, shape }], { mode: 'constant' }, () => ([gy]) => [
    gy && slice(gy, x.shape.map((_, i) => pads[i]), x.shape.map((d, i) => pads[i] + d), x.shape.map((_, i) => i)),
  ])[0];
}

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly alpha?: number;
  /** Added (broadcast) to the product. */
  readonly c?: Tensor;
}

/** Y = alpha · op(A) · op(B) (+ C) for 2-D A and B. */
export function gemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor {
  const { transA = false, transB = false, alpha = 1, c } = options;
  const dtype = requireSameDtype('Gemm', a, b, ...(c ? [c] : []));
  if (a.shape.length !== 2 || b.shape.length !== 2) fail('Gemm', 'A and B must be 2-D');
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) fail('Gemm', `inner dimensions differ: [${a.shape.join(', ')}]${transA ? 'ᵀ' : ''} · [${b.shape.join(', ')}]${transB ? 'ᵀ' : ''}`);
  if (c) broadcastShapes('Gemm', c.shape, [m, n]);
  const attributes = { transA: transA ? 1 : 0, transB: transB ? 1 : 0, alpha: { float: alpha } };
  const vjp = (): Vjp => ([gy]) => {
    if (!gy) return [];
    const s = (t: Tensor) => (alpha === 1 ? t : mul(t, scalar(t, alpha)));
    let ga: Tensor;
    let gb: Tensor;
    if (!transA && !transB) [ga, gb] = [gemm(gy, b, { transB: true }), gemm(a, gy, { transA: true })];
    else if (!transA && transB) [ga, gb] = [gemm(gy, b), gemm(gy, a, { transA: true })];
    else if (transA && !transB) [ga, gb] = [gemm(b, gy, { transB: true }), gemm(a, gy)];
    else [ga, gb] = [gemm(b, gy, { transA: true, transB: true }), gemm(gy, a, { transA: true, transB: true })];
    return [s(ga), s(gb), c && sumTo(gy, c.shape)];
  };
  return addNode(a.graph, 'Gemm', c ? [a, b, c] : [a, b], [{ dtype, shape: [m, n] }], attributes, vjp)[0];
}

/** 2-D matrix product A · B. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const dtype = requireSameDtype('MatMul', a, b);
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    fail('MatMul', `cannot multiply [${a.shape.join(', ')}] by [${b.shape.join(', ')}]`);
  }
  return addNode(a.graph, 'MatMul', [a, b], [{ dtype, shape: [a.shape[0], b.shape[1]] }], {}, () => ([gy]) =>
    gy ? [gemm(gy, b, { transB: true }), gemm(a, gy, { transA: true })] : [],
  )[0];
}

/**
 * Maximum over `axes`. No gradient rule: use it only behind `stopGradient`, in expressions whose
 * value does not depend on it (e.g. the shift of a log-sum-exp).
 */
export function reduceMax(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  requireFloat('ReduceMax', x);
  const ax = normaliseAxes('ReduceMax', x.shape.length, axes);
  return addNode(x.graph, 'ReduceMax', [x], [{ dtype: x.dtype, shape: reducedShape(x.shape, ax, keepdims) }], { axes: ax, keepdims: keepdims ? 1 : 0 })[0];
}

/** Identity whose gradient is zero: the result is treated as a constant by autodiff. */
export function stopGradient(x: Tensor): Tensor {
  return addNode(x.graph, 'Identity', [x], [{ dtype: x.dtype, shape: x.shape }], {}, () => () => [undefined])[0];
}
