import { chooseBackend, describeAdapter, probeAdapter } from '../gpu/adapter.ts';
import { byTestId } from './dom.ts';

async function showDevice(): Promise<void> {
  const report = await probeAdapter();
  const choice = chooseBackend(report);
  byTestId('adapter').textContent = report.available
    ? `${describeAdapter(report)}${report.description ? ` — ${report.description}` : ''}`
    : `none (${report.error})`;
  byTestId('backend').textContent = `${choice.backend === 'webgpu' ? 'WebGPU' : 'WASM (CPU)'} — ${choice.reason}`;
  const isolation = byTestId('isolation');
  isolation.textContent = crossOriginIsolated
    ? 'yes (SharedArrayBuffer and threaded WASM available)'
    : 'no — the host must send COOP/COEP headers; WASM runs single-threaded';
  isolation.classList.toggle('warn', !crossOriginIsolated);
  byTestId('threads').textContent = String(navigator.hardwareConcurrency ?? 1);
}

function setStatus(text: string): void {
  byTestId('open-status').textContent = text;
}

function wireOpeners(): void {
  const notYet = 'Reading datasets is not built yet: the data layer (readers, loader) lands in a later release.';
  byTestId<HTMLFormElement>('url-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setStatus(notYet);
  });
  byTestId('demo-button').addEventListener('click', () => setStatus(notYet));
  const drop = byTestId('drop-zone');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    setStatus(notYet);
  });
  document.querySelector<HTMLInputElement>('#file-input')?.addEventListener('change', () => setStatus(notYet));
}

wireOpeners();
showDevice().catch((e: unknown) => setStatus(`Could not probe the device: ${(e as Error).message}`));
