// The one place that configures ONNX Runtime for this project and creates sessions.
//
// Backends: 'webgpu' and 'wasm' are ONNX Runtime Web's EPs; 'native' is onnxruntime-node's CPU EP
// (native MLAS kernels, several times faster than WASM), Node only, loaded on the first 'native'
// session; sessions of all backends share `ort.Tensor` and `ort.InferenceSession`. When
// onnxruntime-node cannot load, 'native' sessions fall back to WASM (reason printed once).
// TRVAE_ORT_NODE=off turns the native runtime off; another value names the module to load instead of
// onnxruntime-node's backend (a module exporting `onnxruntimeBackend`, e.g. from a custom build).
//
// The default `onnxruntime-web` entry is the JSEP build: WASM (threads + SIMD) and WebGPU EPs in one
// module (in Node it resolves to the CPU-only build). Device sharing: with JSEP, a GPUDevice set
// before the first session is ignored; create a WebGPU session first, then take
// `await ort.env.webgpu.device` and create any foreign buffers (e.g. batches from WGSL kernels) on it.

import * as ort from 'onnxruntime-web';

export { ort };

export type Backend = 'native' | 'wasm' | 'webgpu';

const nodeProcess = typeof process !== 'undefined' && typeof process.versions?.node === 'string' ? process : undefined;

/** The CPU backend where this code runs: 'native' in Node, 'wasm' in a browser. */
export const cpuBackend: Backend = nodeProcess ? 'native' : 'wasm';

export interface SessionOptions {
  /** Keep outputs on the GPU (WebGPU only); read them with `await tensor.getData()`. */
  readonly outputsOnGpu?: boolean;
}

let cpuThreads: number | undefined;

/** Threads of the CPU backends' sessions (WASM: before its first session; native: sessions created after). */
export function setCpuThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread count must be a positive integer, got ${threads}`);
  cpuThreads = threads;
  ort.env.wasm.numThreads = threads;
}

/** The thread count setCpuThreads set, if any (a step worker's thread applies the same). */
export const cpuThreadSetting = (): number | undefined => cpuThreads;

// Why the native runtime is unavailable (undefined: it loaded), settled once per process.
let nativeProbe: Promise<string | undefined> | undefined;

type NativeBackend = Parameters<typeof ort.registerBackend>[1];

async function probeNative(): Promise<string | undefined> {
  if (!nodeProcess) return 'not running in Node';
  const choice = nodeProcess.env.TRVAE_ORT_NODE;
  if (choice === 'off') return 'TRVAE_ORT_NODE=off';
  const specifier = choice || 'onnxruntime-node/dist/backend.js';
  let backend: NativeBackend | undefined;
  try {
    // A computed specifier: bundlers leave it alone, so no browser build ever contains onnxruntime-node.
    const mod = (await import(/* @vite-ignore */ specifier)) as { onnxruntimeBackend?: NativeBackend; default?: { onnxruntimeBackend?: NativeBackend } };
    backend = mod.onnxruntimeBackend ?? mod.default?.onnxruntimeBackend;
  } catch (e) {
    return `${specifier} did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  if (!backend) return `${specifier} exports no onnxruntimeBackend`;
  // onnxruntime-node is CommonJS and registers itself in the CommonJS copy of onnxruntime-common, while
  // ORT-web in ESM uses the ESM copy; registering its backend here as well gives both runtimes one
  // InferenceSession and one Tensor class (the native outputs are re-wrapped as ort.Tensor). Its
  // binding only knows real EP names, hence the 'cpu' it is handed.
  const native = backend;
  ort.registerBackend(
    'native',
    { init: (name) => native.init(name), createInferenceSessionHandler: (model, options) => native.createInferenceSessionHandler(model, { ...options, executionProviders: ['cpu'] }) },
    -1,
  );
  return undefined;
}

/**
 * The backend sessions for `backend` actually run on: 'native' falls back to 'wasm' when
 * onnxruntime-node cannot load, printing the reason the first time.
 */
export async function resolveBackend(backend: Backend): Promise<Backend> {
  if (backend !== 'native') return backend;
  if (!nativeProbe) {
    nativeProbe = probeNative();
    const reason = await nativeProbe;
    if (reason !== undefined) console.warn(`ONNX Runtime: native CPU runtime unavailable (${reason}); using ONNX Runtime Web's WASM EP`);
  }
  return (await nativeProbe) === undefined ? 'native' : 'wasm';
}

export async function createSession(model: Uint8Array, backend: Backend, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const resolved = await resolveBackend(backend);
  if (resolved === 'webgpu') {
    return ort.InferenceSession.create(model, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      ...(options.outputsOnGpu ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    });
  }
  if (resolved === 'native') {
    return ort.InferenceSession.create(model, {
      executionProviders: ['native'],
      graphOptimizationLevel: 'all',
      ...(cpuThreads !== undefined ? { intraOpNumThreads: cpuThreads, interOpNumThreads: 1 } : {}),
      // Intra-op threads spinning between parallel sections take the cores from the loader's read
      // workers and the batch building: without it 7–15 % more cells/s trained with steps in a
      // worker (bench:loader-wait, 2 cores); an isolated step is as fast either way (bench:train).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  }
  return ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

/** Reads a tensor's values wherever it lives (CPU or GPU buffer). */
export async function readTensor(t: ort.Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  if (!(data instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${t.type}`);
  return data;
}
