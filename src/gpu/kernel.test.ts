import { describe, expect, it } from 'vitest';
import { defineKernel, defineParams, kernelSource, type WgslModule } from './kernel.ts';
import { KernelInputError } from '../cpu/errors.ts';

describe('kernel declarations', () => {
  const block = defineParams({ rows: 'u32', shift: 'i32', target: 'f32', flags: 'u32', clip: 'f32' });

  it('generate the WGSL struct and pack the same field order', () => {
    expect(block.struct).toBe('struct Params {\n  rows: u32,\n  shift: i32,\n  target: f32,\n  flags: u32,\n  clip: f32,\n}\n');
    expect(block.bytes).toBe(32);
    const view = new DataView(new ArrayBuffer(64));
    block.write(view, 32, { rows: 7, shift: -2, target: 1e4, flags: 0xffffffff, clip: 0.5 });
    expect(new Uint32Array(view.buffer, 32, 1)[0]).toBe(7);
    expect(new Int32Array(view.buffer, 36, 1)[0]).toBe(-2);
    expect(new Float32Array(view.buffer, 40, 1)[0]).toBe(1e4);
    expect(new Uint32Array(view.buffer, 44, 1)[0]).toBe(0xffffffff);
    expect(new Float32Array(view.buffer, 48, 1)[0]).toBe(0.5);
    expect(new Uint32Array(view.buffer, 0, 8).every((w) => w === 0)).toBe(true);
  });

  it('reject an empty block or one larger than a uniform slot', () => {
    expect(() => defineParams({})).toThrow(KernelInputError);
    expect(() => defineParams(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, 'u32'])))).toThrow(/256-byte/);
  });

  it('assemble the source from the struct and each include once, dependencies first', () => {
    const a: WgslModule = { name: 'a', code: 'fn a() {}' };
    const b: WgslModule = { name: 'b', code: 'fn b() { a(); }', includes: [a] };
    const kernel = defineKernel({ label: 'k', code: '@compute @workgroup_size(1) fn main() { b(); a(); }', includes: [b, a], params: block });
    const source = kernelSource(kernel);
    expect(source.startsWith(block.struct)).toBe(true);
    expect(source.match(/fn a\(\)/g)).toHaveLength(1);
    expect(source.indexOf('fn a()')).toBeLessThan(source.indexOf('fn b()'));
    expect(source.indexOf('fn b()')).toBeLessThan(source.indexOf('fn main()'));
  });
});
