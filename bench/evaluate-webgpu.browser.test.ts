// The WebGPU evaluation's path (bench/evaluate.ts --backend webgpu), automated: a tiny protocol run
// on the page's adapter (SwiftShader here and in CI, so --allow-software's path) against the same
// run on the WASM EP in the same page. Training noise is keyed identically on both EPs, so the
// two trajectories, and the scores they lead to, agree to float tolerance; the baselines, computed
// from the data alone, agree exactly.
import { expect, it } from 'vitest';
import type { ProtocolOptions, RunRecord } from './evaluate-protocol.ts';
import { runProtocol } from './evaluate-protocol.ts';
import { opfsStores, runWebGpuProtocol } from './evaluate-webgpu.ts';

const tiny: Omit<ProtocolOptions, 'stores' | 'backend' | 'onLog'> = {
  nCells: 360, nGenes: 30, seeds: [3], cellTypes: ['NK'], methods: ['trVAE'],
  training: { steps: 6, batchSize: 64, hidden: [16], latent: 3, patience: 50 },
  bootstrap: 4, nDegs: 20, energyCells: 60,
};
const byMethod = (records: readonly RunRecord[]) => new Map(records.map((r) => [r.method, r]));

it('trains, predicts and scores every model on the WebGPU EP, as the CPU path does', async () => {
  const gpu = await runWebGpuProtocol(tiny, true);
  expect(gpu.skipped, gpu.skipped).toBeUndefined();
  const cpu = await runProtocol({ ...tiny, stores: opfsStores(), backend: 'wasm' });
  const onGpu = byMethod(gpu.records);
  const onCpu = byMethod(cpu);
  expect([...onGpu.keys()].sort()).toEqual(['average shift', 'control as is', 'stimulated train mean', 'trVAE']);
  for (const [method, record] of onCpu) {
    const other = onGpu.get(method)!;
    if (record.kind === 'baseline') expect(other.score, method).toEqual(record.score);
    else {
      expect(other.training!.steps).toBe(record.training!.steps);
      for (const [key, value] of Object.entries(record.score)) {
        const onWebGpu = other.score[key as keyof typeof record.score];
        expect(Number.isFinite(value), `${method} ${key}`).toBe(true);
        // R² and r within 0.02; the energy distance (a few units) within 2 %.
        expect(Math.abs(onWebGpu - value), `${method} ${key}: WebGPU ${onWebGpu}, WASM ${value}`).toBeLessThan(0.02 * Math.max(1, Math.abs(value)));
      }
    }
  }
}, 600_000);
