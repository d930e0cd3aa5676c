// The line under the progress bar while a run trains: how fast the loader reads next to how fast
// the trainer consumes, the share of time the trainer waited for data, where the bytes came from
// (network vs chunk cache), and the backend. Plain text items, so a screen reader reads them too.
import type { ReadMeter } from '../loader/read-meter.ts';
import type { TransferStats } from '../loader/transfer.ts';
import { formatBytes, formatInt, h } from './dom.ts';

export interface DashboardState {
  /** "WebGPU" or "WASM (CPU, 2 threads)". */
  readonly backend: string;
  /** Where the bytes are read from: a remote store (network + cache), a local OPFS copy, a dropped file. */
  readonly origin: 'store' | 'local copy' | 'file';
  readonly inMemory?: boolean;
  readonly loader?: { readonly read: ReadMeter; readonly transfer: TransferStats; readonly readWorkers: number };
  readonly trainerCellsPerSecond?: number;
  /** Seconds of the finished epochs and, of them, the seconds the trainer waited for a batch. */
  readonly epochs?: { readonly seconds: number; readonly waitSeconds: number };
}

const rate = (cells: number, seconds: number) => `${formatInt(Math.round(cells / Math.max(seconds, 1e-6)))} cells/s`;

/** The dashboard's items as [name, value] pairs. */
export function dashboardItems(state: DashboardState): [string, string][] {
  const { loader } = state;
  const items: [string, string][] = [];
  if (state.inMemory) {
    items.push(['Loader', loader && loader.read.cells > 0 ? `in memory (${formatInt(loader.read.cells)} cells read once in ${loader.read.seconds.toFixed(1)} s)` : 'in memory']);
  } else if (loader && loader.read.cells > 0) {
    items.push(['Loader', `${rate(loader.read.cells, loader.read.seconds)}${loader.readWorkers > 0 ? ` (${loader.readWorkers} read worker${loader.readWorkers === 1 ? '' : 's'})` : ''}`]);
  } else items.push(['Loader', '…']);
  items.push(['Trainer', state.trainerCellsPerSecond ? rate(state.trainerCellsPerSecond, 1) : '…']);
  items.push(['Waited for data', state.epochs && state.epochs.seconds > 0 ? `${Math.round((100 * state.epochs.waitSeconds) / state.epochs.seconds)} % of the time` : 'after the first epoch']);
  // The loader's reads (the gene selection before them reads on its own).
  if (state.origin === 'file') items.push(['Loader read', 'from the dropped file']);
  else if (loader) {
    const { networkBytes, cacheBytes } = loader.transfer;
    items.push(['Loader read', state.origin === 'local copy' ? `${formatBytes(networkBytes + cacheBytes)} from the local copy` : `${formatBytes(networkBytes)} from the network, ${formatBytes(cacheBytes)} from the cache`]);
  }
  items.push(['Backend', state.backend]);
  return items;
}

export interface Dashboard {
  readonly element: HTMLElement;
  update(state: DashboardState): void;
  clear(): void;
}

export function createDashboard(): Dashboard {
  const element = h('dl', { class: 'dashboard', 'aria-label': 'Training dashboard', 'data-testid': 'train-dashboard', hidden: true });
  return {
    element,
    update(state) {
      element.replaceChildren(...dashboardItems(state).map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, value))));
      element.hidden = false;
    },
    clear() {
      element.replaceChildren();
      element.hidden = true;
    },
  };
}
