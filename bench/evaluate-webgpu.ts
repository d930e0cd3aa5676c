// Browser half of `npx tsx bench/evaluate.ts --backend webgpu`: loaded into headless Chromium by
// bench/evaluate.ts, runs the held-out protocol with every model trained and predicting on the
// page's WebGPU adapter (ONNX Runtime Web's WebGPU EP), the simulations written to OPFS. A missing
// or software adapter (SwiftShader, llvmpipe: far slower than the CPU path) is a skip with its
// reason, unless allowSoftware (a smoke test of this path on a machine without a GPU).
import { opfsSink } from '../src/convert/sink.ts';
import { describeAdapter, probeAdapter } from '../src/gpu/adapter.ts';
import { openSource } from '../src/source/index.ts';
import { opfsStoresFolder } from '../src/source/opfs-store.ts';
import { runProtocol, type ProtocolOptions, type RunRecord, type SimulationStores } from './evaluate-protocol.ts';

export interface WebGpuEvaluation {
  readonly adapter: string;
  /** Why nothing ran (no adapter, or a software one). */
  readonly skipped?: string;
  readonly records: RunRecord[];
}

/** Each simulation written to the page's OPFS and opened from there; dispose removes them. */
export function opfsStores(): SimulationStores {
  const names: string[] = [];
  const folder = async () => (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
  return {
    async create(name) {
      const stored = `trvae-evaluate-${name}`;
      names.push(stored);
      const root = await folder();
      await root.removeEntry(stored, { recursive: true }).catch(() => {});
      const dir = await root.getDirectoryHandle(stored, { create: true });
      return { sink: opfsSink(dir, `opfs:${opfsStoresFolder}/${stored}`), open: () => openSource({ opfs: stored }) };
    },
    async dispose() {
      const root = await folder();
      for (const name of names) await root.removeEntry(name, { recursive: true }).catch(() => {});
    },
  };
}

export async function runWebGpuProtocol(options: Omit<ProtocolOptions, 'stores' | 'backend' | 'onLog'>, allowSoftware: boolean): Promise<WebGpuEvaluation> {
  const report = await probeAdapter();
  if (!report.available) return { adapter: 'none', skipped: `this browser has no WebGPU adapter (${report.error})`, records: [] };
  const adapter = describeAdapter(report);
  if (report.isFallback && !allowSoftware) {
    return { adapter, skipped: `the WebGPU adapter is a software fallback (${adapter}), no GPU: the evaluation would measure a CPU emulation (--allow-software runs it anyway)`, records: [] };
  }
  const records = await runProtocol({ ...options, stores: opfsStores(), backend: 'webgpu', onLog: (line) => console.log(`evaluate: ${line}`) });
  return { adapter, records };
}
