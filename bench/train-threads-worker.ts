// Worker half of bench/train-threads.ts: in a dedicated worker (as the app's training worker),
// sets ORT-web's WASM thread count before its first session, builds the paper-size train step and
// times `steps` runs after one warm-up. Posts { threads, isolated, createMs, stepMs[] }.
import { size } from '../src/model/onnx/ir.ts';
import { serializeGraph } from '../src/model/onnx/serialize.ts';
import { createRng } from '../src/random.ts';
import { ort } from '../src/model/runtime.ts';
import { makeConfig } from '../src/model/trvae/config.ts';
import { buildTrainStep } from '../src/model/trvae/graphs.ts';

export interface ThreadsRequest {
  readonly threads: number;
  readonly steps: number;
}

export interface ThreadsResult {
  readonly threads: number;
  readonly isolated: boolean;
  readonly createMs: number;
  readonly stepMs: number[];
}

self.onmessage = async (event: MessageEvent<ThreadsRequest>) => {
  const { threads, steps } = event.data;
  ort.env.wasm.numThreads = threads;
  const { graph } = buildTrainStep(makeConfig({ nGenes: 2000, nConditions: 2, hidden: [512, 128], latent: 20, dropout: 0.2, batchSize: 512 }));
  const rng = createRng(1);
  const feeds = Object.fromEntries(
    graph.inputs.map((t) => [graph.names.get(t.id) as string, new ort.Tensor('float32', Float32Array.from({ length: size(t.shape) }, () => rng.next()), [...t.shape])]),
  );
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(serializeGraph(graph), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const createMs = performance.now() - t0;
  await session.run(feeds);
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await session.run(feeds);
    stepMs.push(performance.now() - t);
  }
  await session.release();
  self.postMessage({ threads, isolated: self.crossOriginIsolated, createMs, stepMs } satisfies ThreadsResult);
};
