// Conversions from stored element types to what the interface hands out.

import { SourceError } from './errors.ts';
import type { ArrayValues, NumericArray } from './tree.ts';
import type { ExactValues } from './types.ts';

export function isNumeric(values: ArrayValues): values is NumericArray {
  return ArrayBuffer.isView(values);
}

export function toFloat32(values: ArrayValues, where: string): Float32Array {
  if (values instanceof Float32Array) return values;
  if (!isNumeric(values)) throw new SourceError('encoding', where, `${where} holds strings where numbers are expected`);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Float32Array.from(values, (v) => Number(v));
  return Float32Array.from(values);
}

export function toFloat64(values: ArrayValues, where: string): Float64Array {
  if (values instanceof Float64Array) return values;
  if (!isNumeric(values)) throw new SourceError('encoding', where, `${where} holds strings where numbers are expected`);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Float64Array.from(values, (v) => Number(v));
  return Float64Array.from(values);
}

/** Numbers without rounding: 64-bit integers stay BigInt, everything else widens to float64. */
export function toExact(values: ArrayValues, where: string): ExactValues {
  if (values instanceof Float64Array || values instanceof BigInt64Array || values instanceof BigUint64Array) return values;
  if (!isNumeric(values)) throw new SourceError('encoding', where, `${where} holds strings where numbers are expected`);
  return Float64Array.from(values);
}

export function toInt32(values: ArrayValues, where: string): Int32Array {
  if (values instanceof Int32Array) return values;
  if (!isNumeric(values)) throw new SourceError('encoding', where, `${where} holds strings where integers are expected`);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Int32Array.from(values, (v) => Number(v));
  return Int32Array.from(values);
}

export function toUint8(values: ArrayValues, where: string): Uint8Array {
  if (values instanceof Uint8Array) return values;
  if (!isNumeric(values)) throw new SourceError('encoding', where, `${where} holds strings where booleans are expected`);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Uint8Array.from(values, (v) => (v ? 1 : 0));
  return Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
}

export function toStrings(values: ArrayValues, where: string): (string | null)[] {
  if (isNumeric(values)) {
    if (values.length === 0) return [];
    throw new SourceError('encoding', where, `${where} holds numbers where strings are expected`);
  }
  return [...values];
}

/** A number from an attribute that may arrive as number, bigint, or a one-element typed array. */
export function attrNumbers(value: unknown): number[] | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return [Number(value)];
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<number | bigint>, (v) => Number(v));
  return undefined;
}

export function attrStrings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.map(String);
  if (value === undefined || value === null) return undefined;
  if (ArrayBuffer.isView(value) && (value as NumericArray).length === 0) return [];
  return undefined;
}

export function attrBoolean(value: unknown): boolean {
  if (ArrayBuffer.isView(value)) return Boolean((value as NumericArray)[0]);
  return Boolean(value);
}
