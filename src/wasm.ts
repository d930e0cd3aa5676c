// The project's embedded WebAssembly modules (C kernels that scripts/build-wasm.mjs compiles and
// writes as base64): instantiated synchronously, each once per thread (they are a few KB, under
// what browsers compile synchronously on a page's main thread), with a heap that grows on demand.

export interface EmbeddedModule<E> {
  readonly exports: E;
  /** The first byte of memory free for the caller's buffers (past the module's stack; wasm-ld aligns it to 16). */
  readonly base: number;
  /** The module's memory as bytes, at least `bytes` long (a new view after it grew); undefined when it cannot grow. */
  reserve(bytes: number): Uint8Array | undefined;
}

interface ModuleExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const chars = atob(text);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return bytes;
}

/** The module in `base64`, or undefined where this runtime cannot run it (no WebAssembly, or no SIMD). */
export function instantiateEmbedded<E>(base64: string): EmbeddedModule<E> | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  const bytes = decodeBase64(base64);
  if (!WebAssembly.validate(bytes)) return undefined;
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as ModuleExports & E;
  const { memory } = exports;
  let heap = new Uint8Array(memory.buffer);
  return {
    exports,
    base: exports.__heap_base.value as number,
    reserve(bytes) {
      if (memory.buffer.byteLength < bytes) {
        try {
          memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
        } catch {
          return undefined; // past wasm32's 4 GiB or the browser's limit
        }
      }
      if (heap.buffer !== memory.buffer) heap = new Uint8Array(memory.buffer);
      return heap;
    },
  };
}
