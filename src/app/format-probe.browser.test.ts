// The probe worker (public/probe-sw.js, served by Vite) in headless Chromium: it tells a v2 store
// from a v3 one over real HTTP, answers nothing for a store it cannot reach or that is not there,
// and a page without the script gets undefined (the reader then probes for itself).
import { describe, expect, inject, it } from 'vitest';
import { probeZarrFormat } from './format-probe.ts';

const servers = inject('fixtureServers');
const script = new URL('/probe-sw.js', location.href).href;

describe('probeZarrFormat', () => {
  it('3 for a v3 store, 2 for a consolidated v2 one', async () => {
    expect(await probeZarrFormat(`${servers.ok}/anndata/modern.v3.zarr`, script)).toBe(3);
    expect(await probeZarrFormat(`${servers.ok}/anndata/modern.zarr/`, script)).toBe(2);
  });

  it('undefined for nothing there, a server without CORS, and a missing probe script', async () => {
    expect(await probeZarrFormat(`${servers.ok}/anndata/nothing.zarr`, script)).toBeUndefined();
    expect(await probeZarrFormat(`${servers['no-cors']}/anndata/modern.zarr`, script)).toBeUndefined();
    expect(await probeZarrFormat(`${servers.ok}/anndata/modern.zarr`, new URL('/no-such-sw.js', location.href).href)).toBeUndefined();
  });
});
