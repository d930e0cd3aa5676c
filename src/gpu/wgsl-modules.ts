// The WGSL helper modules (functions, no entry point) that kernels list in their `includes`.
import mathCode from '../../shaders/math.wgsl?raw';
import philoxCode from '../../shaders/philox.wgsl?raw';
import type { WgslModule } from './kernel.ts';

/** log1p / expm1 in f32 with series near 0. */
export const mathWgsl: WgslModule = { name: 'math', code: mathCode };

/** Philox 4×32-10 and its top-24-bit uniform. */
export const philoxWgsl: WgslModule = { name: 'philox', code: philoxCode };
