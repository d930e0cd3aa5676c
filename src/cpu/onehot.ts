// CPU path of shaders/onehot.wgsl: integer condition codes → one-hot float32 rows.
import { KernelInputError } from './errors.ts';

export function validateCodes(codes: ArrayLike<number>, nClasses: number, input = 'codes'): void {
  for (let i = 0; i < codes.length; i++) {
    const k = codes[i];
    if (!Number.isInteger(k) || k < 0 || k >= nClasses) {
      throw new KernelInputError(input, `entry ${i} is ${k}, not a class code in [0, ${nClasses}); drop or relabel missing (−1) rows`);
    }
  }
}

/** [codes.length, nClasses] row-major; writes into `out` when given. */
export function oneHot(codes: ArrayLike<number>, nClasses: number, into?: Float32Array): Float32Array {
  validateCodes(codes, nClasses);
  const out = into ?? new Float32Array(codes.length * nClasses);
  out.fill(0, 0, codes.length * nClasses);
  for (let i = 0; i < codes.length; i++) out[i * nClasses + codes[i]] = 1;
  return out;
}
