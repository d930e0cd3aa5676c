import { chooseBackend, describeAdapter, probeAdapter, type TrainingBackend } from '../gpu/adapter.ts';
import type { AnnDataSource } from '../source/types.ts';
import { renderDatasetSummary } from './dataset-summary.ts';
import { byTestId } from './dom.ts';
import { describeOrigin, explainOpenError, openDataset, type DatasetOrigin } from './open-dataset.ts';
import { renderResults } from './results-panel.ts';
import { renderTrainPanel } from './train-panel.ts';

let backend: TrainingBackend = 'wasm';

async function showDevice(): Promise<void> {
  const report = await probeAdapter();
  const choice = chooseBackend(report);
  backend = choice.backend;
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

function setStatus(text: string, isError = false): void {
  const status = byTestId('open-status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

let current: { source: AnnDataSource; abort: AbortController } | undefined;

async function open(origin: DatasetOrigin): Promise<void> {
  current?.abort.abort();
  await current?.source.close();
  const abort = new AbortController();
  const summary = byTestId('dataset');
  const workspace = byTestId('workspace');
  summary.replaceChildren();
  workspace.replaceChildren();
  setStatus(`Opening ${describeOrigin(origin)}…`);
  try {
    const source = await openDataset(origin, abort.signal);
    current = { source, abort };
    summary.replaceChildren(await renderDatasetSummary(source));
    const results = document.createElement('div');
    const train = renderTrainPanel(source, backend, (model) => {
      results.replaceChildren();
      renderResults(model)
        .then((panel) => results.replaceChildren(panel))
        .catch((e: unknown) => results.replaceChildren(`Could not show the results: ${(e as Error).message}`));
    });
    workspace.replaceChildren(train, results);
    setStatus(`Opened ${describeOrigin(origin)}.`);
  } catch (error) {
    setStatus(explainOpenError(error), true);
  }
}

function wireOpeners(): void {
  const form = byTestId<HTMLFormElement>('url-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new FormData(form).get('url');
    if (typeof url === 'string' && url) void open({ kind: 'url', url });
  });
  byTestId('demo-button').addEventListener('click', () => void open({ kind: 'demo' }));
  const drop = byTestId('drop-zone');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void open({ kind: 'file', file });
  });
  const input = document.querySelector<HTMLInputElement>('#file-input');
  input?.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void open({ kind: 'file', file });
  });
}

wireOpeners();
showDevice().catch((e: unknown) => setStatus(`Could not probe the device: ${(e as Error).message}`, true));
