// The whole trainer UI mounted into any root (the page's <main>, or a web component's shadow root):
// device facts, the three ways in, the dataset summary, training and results.
import { chooseBackend, describeAdapter, probeAdapter, type TrainingBackend } from '../gpu/adapter.ts';
import type { AnnDataSource } from '../source/types.ts';
import { renderCachePanel } from './cache-panel.ts';
import { renderDatasetSummary } from './dataset-summary.ts';
import { renderLocalStores, renderSaveCopy } from './local-stores.ts';
import { byTestId, h } from './dom.ts';
import { describeOrigin, explainOpenError, openDataset, originInput, type DatasetOrigin, type WorkerInput } from './open-dataset.ts';
import { renderResults } from './results-panel.ts';
import { linkQuery, parseLink, type OptionTexts } from './link-config.ts';
import { runName } from './saved-runs.ts';
import { renderTrainPanel, type TrainPanel, type TrainPanelHooks } from './train-panel.ts';

const template = `
<section class="panel" aria-labelledby="device-title">
  <h2 id="device-title">Device</h2>
  <dl class="facts">
    <dt>WebGPU adapter</dt><dd data-testid="adapter">probing…</dd>
    <dt>Training backend</dt><dd data-testid="backend">…</dd>
    <dt>Cross-origin isolated</dt><dd data-testid="isolation">…</dd>
    <dt>CPU threads</dt><dd data-testid="threads">…</dd>
  </dl>
</section>
<section class="panel" aria-labelledby="open-title">
  <h2 id="open-title">Open a dataset</h2>
  <div class="ways">
    <form class="way" data-testid="url-form">
      <h3>Remote zarr store</h3>
      <p>An AnnData zarr store (v2 or v3, sharded) served over HTTP(S) with Range and CORS.</p>
      <label for="store-url">Store URL</label>
      <input id="store-url" name="url" type="url" placeholder="https://example.org/atlas.zarr" required />
      <button type="submit">Open</button>
    </form>
    <div class="way drop" data-testid="drop-zone">
      <h3>Local .h5ad file</h3>
      <p>Drop an .h5ad file anywhere on this page, or pick one. It is read lazily; nothing is uploaded.</p>
      <input id="file-input" type="file" accept=".h5ad,.zip" hidden />
      <button type="button" data-testid="pick-file">Choose a file…</button>
    </div>
    <div class="way">
      <h3>Demo dataset</h3>
      <p>A small simulated perturbation dataset bundled with the app.</p>
      <button type="button" data-testid="demo-button">Use the demo</button>
    </div>
  </div>
  <p class="status" role="status" data-testid="open-status"></p>
  <div class="link-problems" role="alert" data-testid="link-problems" hidden></div>
  <div data-testid="dataset"></div>
</section>
<div class="workspace" data-testid="workspace"></div>`;

/** Why this page is not cross-origin isolated, in words a host can act on. */
function isolationMissing(): string {
  const fix = 'send the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, or serve the app over HTTPS so its service worker can add them';
  if (!isSecureContext) return `the page is not served over HTTPS (or from localhost), so the isolation service worker cannot run; ${fix}`;
  if (!('serviceWorker' in navigator)) return `this browser offers no service workers here (private mode or blocked); ${fix}`;
  if (!navigator.serviceWorker.controller) return `the host sends no COOP/COEP headers and the isolation service worker is not active (an embedding page must register it itself, see the README); ${fix}`;
  return `the isolation service worker is active but the page was loaded without it (a forced reload bypasses it): reload the page`;
}

export interface TrainerOptions {
  /** Open this zarr URL right away. */
  readonly src?: string;
  /** Read the page's link (?store=…&condition=…&epochs=…) and offer "Copy link" (the app page; not an embedding). */
  readonly useLocation?: boolean;
  /** URL of public/probe-sw.js: a store's zarr format is asked of it first (format-probe.ts). */
  readonly formatProbeWorker?: string;
  /** Told when a dataset opens (with its train panel, to configure) or fails to. */
  readonly onOpened?: (source: AnnDataSource, panel: TrainPanel) => void;
  readonly onOpenFailed?: (error: unknown) => void;
  /** Every event of a run and how it ended (the web component re-emits these as DOM events). */
  readonly onRunEvent?: TrainPanelHooks['onEvent'];
  readonly onRunEnd?: TrainPanelHooks['onEnd'];
}

export interface Trainer {
  /** Opens a dataset (its problems are shown on the page and told to onOpenFailed). */
  open(origin: DatasetOrigin): Promise<void>;
  /** The train panel of the open dataset, after the opening in flight (the first one included); undefined when none is open. */
  ready(): Promise<TrainPanel | undefined>;
  /** Cancels work in flight and closes the dataset. */
  dispose(): Promise<void>;
}

/** "…/atlas.zarr" or "atlas.h5ad" → "atlas.zarr". */
const copyName = (label: string): string => `${(label.split(/[\\/]/).filter(Boolean).pop() ?? 'dataset').replace(/\.(zarr|h5ad)$/i, '').replace(/[^\w.-]/g, '_')}.zarr`;

export function mountTrainer(root: HTMLElement | ShadowRoot, options: TrainerOptions = {}): Trainer {
  const container = document.createElement('div');
  container.className = 'trainer';
  container.innerHTML = template;
  const stores = renderLocalStores((name) => void open({ kind: 'opfs', name }));
  // Local copies are another way in: right after "Open a dataset"; the cache panel closes the page.
  byTestId('workspace', container).before(stores.element);
  container.append(renderCachePanel());
  root.append(container);
  const el = <T extends HTMLElement = HTMLElement>(id: string) => byTestId<T>(id, container);

  let backend: TrainingBackend = 'wasm';
  let current: { source: AnnDataSource; abort: AbortController; panel?: TrainPanel } | undefined;
  let opening: Promise<void> = Promise.resolve();

  // A link's options wait for its dataset (or the first one opened); its problems stay on the page.
  const link = options.useLocation ? parseLink(location.search) : undefined;
  let pending: OptionTexts | undefined = link && Object.keys(link.values).length > 0 ? link.values : undefined;
  const showProblems = (problems: readonly string[]) => {
    const box = el('link-problems');
    box.hidden = problems.length === 0;
    box.replaceChildren(...(problems.length ? [h('p', {}, 'Some parts of this link were not used:'), h('ul', {}, ...problems.map((p) => h('li', {}, p)))] : []));
  };
  if (link) showProblems(link.problems);

  const setStatus = (text: string, isError = false) => {
    const status = el('open-status');
    status.textContent = text;
    status.classList.toggle('error', isError);
  };

  async function showDevice(): Promise<void> {
    const report = await probeAdapter();
    const choice = chooseBackend(report);
    backend = choice.backend;
    el('adapter').textContent = report.available
      ? `${describeAdapter(report)}${report.description ? ` — ${report.description}` : ''}`
      : `none (${report.error})`;
    el('backend').textContent = `${choice.backend === 'webgpu' ? 'WebGPU' : 'WASM (CPU)'} — ${choice.reason}`;
    const isolation = el('isolation');
    isolation.textContent = crossOriginIsolated ? 'yes (SharedArrayBuffer and threaded WASM available)' : `no — WASM runs single-threaded: ${isolationMissing()}`;
    isolation.classList.toggle('warn', !crossOriginIsolated);
    el('threads').textContent = String(navigator.hardwareConcurrency ?? 1);
  }

  async function close(): Promise<void> {
    current?.abort.abort();
    current?.panel?.dispose();
    await current?.source.close();
    current = undefined;
  }

  function open(origin: DatasetOrigin): Promise<void> {
    opening = openNow(origin);
    return opening;
  }

  async function openNow(origin: DatasetOrigin): Promise<void> {
    await close();
    const abort = new AbortController();
    const summary = el('dataset');
    const workspace = el('workspace');
    summary.replaceChildren();
    workspace.replaceChildren();
    setStatus(`Opening ${describeOrigin(origin)}…`);
    try {
      const source = await openDataset(origin, abort.signal, options.formatProbeWorker && new URL(options.formatProbeWorker, document.baseURI).href);
      current = { source, abort };
      // Workers and links get the store's format as found, so they ask for no missing root document.
      const input = originInput(origin, source.zarrFormat);
      summary.replaceChildren(await renderDatasetSummary(source));
      if (origin.kind !== 'opfs') summary.append(renderSaveCopy(input, copyName(source.label), () => void stores.refresh()));
      const results = document.createElement('div');
      const copy = h('button', { type: 'button', class: 'secondary', 'data-testid': 'copy-link' }, 'Copy link');
      const train = renderTrainPanel(source, input, backend, {
        onTrained: (model) => {
          try {
            results.replaceChildren(renderResults(model));
          } catch (e) {
            results.replaceChildren(`Could not show the results: ${(e as Error).message}`);
          }
        },
        // A new run clears the previous run's results and downloads.
        onStart: () => results.replaceChildren(),
        runName: runName(origin),
        actions: options.useLocation ? [copy] : [],
        onEvent: options.onRunEvent,
        onEnd: options.onRunEnd,
      });
      current.panel = train;
      copy.addEventListener('click', () => void copyLink(input, train.values()));
      workspace.replaceChildren(train.element, results);
      setStatus(`Opened ${describeOrigin(origin)}.`);
      if (pending) {
        showProblems([...(link?.problems ?? []), ...train.apply(pending)]);
        pending = undefined;
      }
      options.onOpened?.(source, train);
    } catch (error) {
      setStatus(explainOpenError(error), true);
      options.onOpenFailed?.(error);
    }
  }

  /** Writes the configuration into the address bar, and into the clipboard when the browser allows. */
  async function copyLink(input: WorkerInput, values: OptionTexts): Promise<void> {
    const page = new URL('.', document.baseURI).href;
    // The demo and other stores under this page stay relative: the link works wherever the app is hosted.
    const store = 'url' in input ? (input.url.startsWith(page) ? input.url.slice(page.length) : input.url) : undefined;
    const url = new URL(`?${linkQuery(store, values, 'url' in input ? input.zarrFormat : undefined)}`, location.href).href;
    history.replaceState(null, '', url);
    showProblems([]);
    const local = store ? '' : ' A local file cannot travel in a link: it carries the options only.';
    try {
      await navigator.clipboard.writeText(url);
      setStatus(`Link copied to the clipboard and shown in the address bar.${local}`);
    } catch {
      setStatus(`Link written into the address bar (this browser did not allow the clipboard): ${url}${local}`);
    }
  }

  const form = el<HTMLFormElement>('url-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new FormData(form).get('url');
    if (typeof url === 'string' && url) void open({ kind: 'url', url });
  });
  el('demo-button').addEventListener('click', () => void open({ kind: 'demo' }));
  // Files dropped anywhere: the whole page for the app, the component's own area when embedded.
  const dropTarget: Document | HTMLElement = options.useLocation ? document : container;
  const dragging = (on: boolean) => {
    container.classList.toggle('dragging', on);
    el('drop-zone').classList.toggle('over', on);
  };
  const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
  dropTarget.addEventListener('dragover', (event) => {
    if (!carriesFiles(event as DragEvent)) return;
    event.preventDefault();
    dragging(true);
  });
  dropTarget.addEventListener('dragleave', (event) => {
    // Leaving a child element is not leaving the target.
    if (!(event as DragEvent).relatedTarget) dragging(false);
  });
  dropTarget.addEventListener('drop', (event) => {
    const file = (event as DragEvent).dataTransfer?.files[0];
    if (!file) return;
    event.preventDefault();
    dragging(false);
    void open({ kind: 'file', file });
  });
  const input = container.querySelector<HTMLInputElement>('#file-input');
  el('pick-file').addEventListener('click', () => input?.click());
  input?.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void open({ kind: 'file', file });
    input.value = '';
  });

  const started = showDevice()
    .catch((e: unknown) => setStatus(`Could not probe the device: ${(e as Error).message}`, true))
    .then(() => {
      if (link?.store) return open({ kind: 'url', url: link.store, zarrFormat: link.zarrFormat });
      return options.src ? open({ kind: 'url', url: options.src }) : undefined;
    });

  return {
    open,
    async ready() {
      await started;
      // An opening started while waiting replaces the one awaited.
      for (let seen = opening; ; seen = opening) {
        await seen;
        if (seen === opening) return current?.panel;
      }
    },
    async dispose() {
      await close();
      container.remove();
    },
  };
}
