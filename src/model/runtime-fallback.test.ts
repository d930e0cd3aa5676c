import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveBackend } from './runtime.ts';
import { trajectory } from './runtime-trajectory.ts';
import { initialModelState } from './train/state.ts';
import { makeConfig } from './trvae/config.ts';

afterEach(() => {
  delete process.env.TRVAE_ORT_NODE;
  vi.restoreAllMocks();
});

// The native runtime is probed once per instance of runtime.ts: the first case uses this file's
// (nothing has asked for 'native' yet), the second a fresh one.
describe('WASM fallback when onnxruntime-node cannot load', () => {
  it('prints the reason once and trains on WASM with the same results as WASM chosen explicitly', async () => {
    process.env.TRVAE_ORT_NODE = '/nonexistent/onnxruntime-node/backend.js';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const config = makeConfig({ nGenes: 24, nConditions: 2, hidden: [12, 6], latent: 3, dropout: 0.2, batchSize: 16, seed: 5 });
    const fallback = await trajectory(config, 'native', 4);
    expect(await resolveBackend('native')).toBe('wasm');
    const wasm = await trajectory(config, 'wasm', 4);
    expect(fallback.losses).toEqual(wasm.losses);
    expect(fallback.state.step).toBe(4);
    expect(fallback.state.params.get('enc.0.w')).not.toEqual(initialModelState(config).params.get('enc.0.w'));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/native CPU runtime unavailable \(\/nonexistent\/onnxruntime-node\/backend\.js did not load: .+\); using ONNX Runtime Web's WASM EP/);
  });

  it('TRVAE_ORT_NODE=off chooses WASM and says so', async () => {
    process.env.TRVAE_ORT_NODE = 'off';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.resetModules();
    const runtime = await import('./runtime.ts');
    expect(await runtime.resolveBackend('native')).toBe('wasm');
    expect(await runtime.resolveBackend('wasm')).toBe('wasm');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/TRVAE_ORT_NODE=off/);
  });
});
