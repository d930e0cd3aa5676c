// How a gathered batch is normalised; shared by the GPU kernel and the CPU path.
import { KernelInputError } from './errors.ts';

/** Per-gene standardisation from dataset statistics (scanpy's `pp.scale`): (y − mean) / std, clipped. */
export interface GeneScaling {
  /** One entry per selected column (output order). */
  readonly mean: Float32Array;
  /** One entry per selected column; 0 is treated as 1, as scanpy does. */
  readonly std: Float32Array;
  /** Results are clipped to [−clip, clip]; Infinity for no clipping. */
  readonly clip: number;
}

export interface NormalizeOptions {
  /**
   * normalize_total target: a number (scanpy's default 1e4; for scanpy's `target_sum=None` pass the
   * dataset's median), or null for no normalisation (raw values, e.g. counts for a count-based loss).
   */
  readonly targetSum: number | null;
  /** Apply log1p after normalisation. */
  readonly log1p: boolean;
  readonly scale?: GeneScaling;
}

export const defaultNormalize: NormalizeOptions = { targetSum: 1e4, log1p: true };

export function validateNormalize(options: NormalizeOptions, nSelected: number): void {
  const { targetSum, scale } = options;
  if (typeof targetSum === 'number' && !(targetSum > 0 && Number.isFinite(targetSum))) {
    throw new KernelInputError('targetSum', `must be a positive finite number or null; got ${targetSum}`);
  }
  if (scale) {
    if (scale.mean.length !== nSelected || scale.std.length !== nSelected) {
      throw new KernelInputError(
        'scale',
        `mean (${scale.mean.length}) and std (${scale.std.length}) need one entry per selected gene (${nSelected})`,
      );
    }
    if (!(scale.clip > 0)) throw new KernelInputError('scale.clip', `must be > 0 (Infinity for none); got ${scale.clip}`);
  }
}

/** 1 / std as float32, with std 0 → 1 (a constant gene stays centred, not divided by zero). */
export function inverseStd(std: Float32Array): Float32Array {
  const inv = new Float32Array(std.length);
  for (let c = 0; c < std.length; c++) inv[c] = std[c] === 0 ? 1 : 1 / std[c];
  return inv;
}
