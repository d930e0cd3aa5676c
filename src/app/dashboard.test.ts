import { describe, expect, it } from 'vitest';
import { dashboardItems } from './dashboard.ts';

const transfer = { networkBytes: 3 * 2 ** 20, networkRequests: 10, cacheBytes: 2 ** 20, cacheRequests: 4 };

describe('training dashboard', () => {
  it('a streamed run: loader rate next to trainer rate, waiting share, network vs cache bytes, backend', () => {
    const items = dashboardItems({
      backend: 'WASM (CPU, 2 threads)',
      origin: 'store',
      inMemory: false,
      loader: { read: { cells: 20_000, seconds: 2 }, transfer, readWorkers: 2 },
      trainerCellsPerSecond: 1234.4,
      epochs: { seconds: 10, waitSeconds: 0.5 },
    });
    expect(Object.fromEntries(items)).toEqual({
      Loader: '10,000 cells/s (2 read workers)',
      Trainer: '1,234 cells/s',
      'Waited for data': '5 % of the time',
      'Loader read': '3.0 MB from the network, 1.0 MB from the cache',
      Backend: 'WASM (CPU, 2 threads)',
    });
  });

  it('an in-memory run says so instead of a loader rate; before the first epoch nothing is made up', () => {
    const items = Object.fromEntries(dashboardItems({ backend: 'WebGPU', origin: 'local copy', inMemory: true, loader: { read: { cells: 8000, seconds: 1.25 }, transfer, readWorkers: 1 } }));
    expect(items.Loader).toBe('in memory (8,000 cells read once in 1.3 s)');
    expect(items.Trainer).toBe('…');
    expect(items['Waited for data']).toBe('after the first epoch');
    expect(items['Loader read']).toBe('4.0 MB from the local copy');
  });

  it('a dropped file has no byte counts', () => {
    expect(Object.fromEntries(dashboardItems({ backend: 'WebGPU', origin: 'file', inMemory: true }))['Loader read']).toBe('from the dropped file');
  });
});
