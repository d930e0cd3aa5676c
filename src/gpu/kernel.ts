// A compute kernel declared once: its WGSL file, the WGSL modules it includes, and its uniform
// parameter block. The WGSL `struct Params` and the host-side packing are both generated from the
// block's field list, so a field's offset lives in one place (cf. tfjs' WebGPU backend).
//
// A new kernel is shaders/<name>.wgsl (its bindings, `var<uniform> params: Params` and `main`; no
// struct Params) plus src/gpu/<name>.ts: `defineKernel({ label, code, includes, params:
// defineParams({ … }) })`, then createKernelPipeline, createParamSlots (set → upload) and a bind
// group with `slots.binding()` in the uniform's binding position. Its CPU twin goes in src/cpu/.
import { TrvaeError } from '../errors.ts';
import { KernelInputError } from '../cpu/errors.ts';

/** A kernel's assembled WGSL does not compile: a bug of the kernel, not of the data. */
export class WgslCompileError extends TrvaeError {
  override readonly name = 'WgslCompileError';
  readonly code = 'wgsl-compile';
}

/** Uniform slots are this far apart so each can be bound at its own offset (minUniformBufferOffsetAlignment ≤ 256). */
const uniformSlotBytes = 256;

/** Scalar WGSL types a parameter field can have (every one 4 bytes, so field k sits at byte 4k). */
export type ParamType = 'u32' | 'i32' | 'f32';

export type ParamFields = Readonly<Record<string, ParamType>>;

/** Values for every field of a block, by name. */
export type ParamValues<F extends ParamFields> = { readonly [K in keyof F]: number };

export interface ParamBlock<F extends ParamFields> {
  readonly fields: F;
  /** Size of the struct, rounded up to 16 bytes (the binding size to use). */
  readonly bytes: number;
  /** `struct Params { … }` in WGSL. */
  readonly struct: string;
  /** Write `values` as the struct's bytes at `byteOffset` of `target`. */
  write(target: DataView, byteOffset: number, values: ParamValues<F>): void;
}

export function defineParams<F extends ParamFields>(fields: F): ParamBlock<F> {
  const names = Object.keys(fields);
  if (names.length === 0) throw new KernelInputError('fields', 'a parameter block needs at least one field');
  const offsets = new Map(names.map((name, k) => [name, 4 * k]));
  const bytes = Math.ceil((4 * names.length) / 16) * 16;
  if (bytes > uniformSlotBytes) throw new KernelInputError('fields', `${names.length} fields do not fit one ${uniformSlotBytes}-byte uniform slot`);
  return {
    fields,
    bytes,
    struct: `struct Params {\n${names.map((name) => `  ${name}: ${fields[name]},`).join('\n')}\n}\n`,
    write(target, byteOffset, values) {
      for (const [name, offset] of offsets) {
        const v = values[name];
        const at = byteOffset + offset;
        if (fields[name] === 'f32') target.setFloat32(at, v, true);
        else if (fields[name] === 'i32') target.setInt32(at, v, true);
        else target.setUint32(at, v, true);
      }
    },
  };
}

/** A WGSL file of helper functions (no entry point) that kernels include. */
export interface WgslModule {
  readonly name: string;
  readonly code: string;
  readonly includes?: readonly WgslModule[];
}

export interface Kernel<F extends ParamFields> {
  readonly label: string;
  /** The kernel's .wgsl (imported with ?raw): bindings and `main`, reading its uniforms as `Params`. */
  readonly code: string;
  readonly includes?: readonly WgslModule[];
  readonly params: ParamBlock<F>;
}

/** Declares a kernel (an identity that infers its parameter fields). */
export function defineKernel<F extends ParamFields>(kernel: Kernel<F>): Kernel<F> {
  return kernel;
}

/** The WGSL a kernel compiles: its Params struct, its includes (each once, dependencies first), its code. */
export function kernelSource(kernel: Kernel<ParamFields>): string {
  const seen = new Set<string>();
  const parts: string[] = [kernel.params.struct];
  const visit = (module: WgslModule) => {
    if (seen.has(module.name)) return;
    seen.add(module.name);
    module.includes?.forEach(visit);
    parts.push(`// ---- ${module.name}.wgsl\n${module.code}`);
  };
  kernel.includes?.forEach(visit);
  parts.push(`// ---- ${kernel.label}.wgsl\n${kernel.code}`);
  return parts.join('\n');
}

/** Compile a WGSL module and surface compile errors as one exception instead of a console warning. */
async function compileShader(device: GPUDevice, code: string, label: string): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new WgslCompileError(`WGSL ${label}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  }
  return module;
}

export async function createKernelPipeline(device: GPUDevice, kernel: Kernel<ParamFields>): Promise<GPUComputePipeline> {
  const module = await compileShader(device, kernelSource(kernel), kernel.label);
  return device.createComputePipelineAsync({ label: kernel.label, layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/** Uniform slots of one parameter block, 256 bytes apart so each binds at its own offset. */
export interface ParamSlots<F extends ParamFields> {
  /** Pack `values` into slot `slot` of the host copy (upload with `upload`). */
  set(slot: number, values: ParamValues<F>): void;
  /** Copy slots [0, slots) of the host copy to the GPU (default: all). */
  upload(slots?: number): void;
  /** The binding of slot `slot` (the block's size at its offset). */
  binding(slot?: number): GPUBufferBinding;
  destroy(): void;
}

export function createParamSlots<F extends ParamFields>(device: GPUDevice, block: ParamBlock<F>, slots: number, label: string): ParamSlots<F> {
  const count = Math.max(1, slots);
  const buffer = device.createBuffer({ label, size: count * uniformSlotBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const host = new ArrayBuffer(count * uniformSlotBytes);
  const view = new DataView(host);
  const check = (slot: number) => {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < count)) throw new KernelInputError('slot', `must be an integer in [0, ${count}); got ${slot}`);
  };
  return {
    set(slot, values) {
      check(slot);
      block.write(view, slot * uniformSlotBytes, values);
    },
    upload(n = count) {
      device.queue.writeBuffer(buffer, 0, host, 0, Math.min(n, count) * uniformSlotBytes);
    },
    binding(slot = 0) {
      check(slot);
      return { buffer, offset: slot * uniformSlotBytes, size: block.bytes };
    },
    destroy: () => buffer.destroy(),
  };
}
