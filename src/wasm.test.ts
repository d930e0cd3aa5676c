import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bloscLz4Wasm } from './loader/codecs/blosc-lz4.wasm.ts';
import { instantiateEmbedded } from './wasm.ts';

const hasClang = (() => {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('embedded wasm modules', () => {
  // CI has no C compiler; a development machine with Debian's clang and lld checks the committed builds
  it.skipIf(!hasClang)('are what their C sources compile to (skipped without clang)', () => {
    expect(() => execFileSync('node', ['scripts/build-wasm.mjs', '--check'], { cwd: join(import.meta.dirname, '..'), stdio: 'pipe' })).not.toThrow();
  });

  it('grow their memory for the caller, past the stack, and say when they cannot', () => {
    const module = instantiateEmbedded<object>(bloscLz4Wasm)!;
    expect(module.base).toBeGreaterThan(0);
    const heap = module.reserve(module.base + 5 * 2 ** 20)!;
    expect(heap.length).toBeGreaterThanOrEqual(module.base + 5 * 2 ** 20);
    expect(module.reserve(2 ** 33)).toBeUndefined();
    expect(instantiateEmbedded<object>(btoa('not wasm'))).toBeUndefined();
  });
});
