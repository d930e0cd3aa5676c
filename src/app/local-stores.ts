// Local copies: a dataset saved into this browser's OPFS as a sharded zarr v3 store (in a worker),
// listed with its size, opened like any other store, deleted when no longer needed.
import * as Comlink from 'comlink';
import type { ConvertProgress } from '../convert/convert.ts';
import type { ConvertWorkerApi } from '../convert/convert-worker-api.ts';
import { spawnConvertWorker } from '../convert/convert-worker.ts';
import { opfsStoresFolder } from '../source/opfs-store.ts';
import { formatBytes, formatInt, h } from './dom.ts';
import type { WorkerInput } from './open-dataset.ts';

async function storesFolder(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
}

type Entries = AsyncIterable<[string, FileSystemHandle]>;

async function folderBytes(dir: FileSystemDirectoryHandle): Promise<number> {
  let total = 0;
  for await (const [, handle] of (dir as unknown as { entries(): Entries }).entries()) {
    total += handle.kind === 'file' ? (await (handle as FileSystemFileHandle).getFile()).size : await folderBytes(handle as FileSystemDirectoryHandle);
  }
  return total;
}

export interface LocalStoresPanel {
  readonly element: HTMLElement;
  refresh(): Promise<void>;
}

export function renderLocalStores(onOpen: (name: string) => void): LocalStoresPanel {
  const list = h('ul', { class: 'stores', 'data-testid': 'local-stores' });
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'stores-title' },
    h('h2', { id: 'stores-title' }, 'Local copies in this browser'),
    h('p', { class: 'hint' }, 'Sharded zarr v3 copies saved from an opened dataset: they open without the network and train out of core from local storage.'),
    list,
  );
  async function refresh(): Promise<void> {
    if (!navigator.storage?.getDirectory) {
      list.replaceChildren(h('li', {}, 'This browser has no Origin Private File System.'));
      return;
    }
    const folder = await storesFolder();
    const items: HTMLElement[] = [];
    for await (const [name, handle] of (folder as unknown as { entries(): Entries }).entries()) {
      if (handle.kind !== 'directory') continue;
      const size = await folderBytes(handle as FileSystemDirectoryHandle);
      const open = h('button', { type: 'button' }, 'Open');
      const remove = h('button', { type: 'button', class: 'secondary' }, 'Delete');
      open.addEventListener('click', () => onOpen(name));
      remove.addEventListener('click', async () => {
        await folder.removeEntry(name, { recursive: true });
        await refresh();
      });
      items.push(h('li', { 'data-store': name }, h('strong', {}, name), ` ${formatBytes(size)} `, open, remove));
    }
    list.replaceChildren(...(items.length ? items : [h('li', { class: 'hint' }, 'none yet')]));
  }
  refresh().catch((e: unknown) => list.replaceChildren(h('li', { class: 'error' }, `cannot list local copies: ${(e as Error).message}`)));
  return { element, refresh };
}

/** "Save a local copy" for the opened dataset: name, optional annbatch pre-shuffle, progress, cancel. */
export function renderSaveCopy(input: WorkerInput, suggestedName: string, onSaved: () => void): HTMLElement {
  const name = h('input', { name: 'storeName', value: suggestedName, 'aria-label': 'Local copy name', pattern: '[\\w.\\-]+' });
  const shuffle = h('input', { type: 'checkbox', name: 'shuffle' });
  const save = h('button', { type: 'button', 'data-testid': 'save-copy' }, 'Save a local copy');
  const cancel = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Cancel');
  const progress = h('progress', { max: 1, value: 0, hidden: true });
  const status = h('span', { class: 'status', role: 'status', 'data-testid': 'save-status' });
  let worker: Worker | undefined;
  let api: Comlink.Remote<ConvertWorkerApi> | undefined;

  save.addEventListener('click', async () => {
    save.disabled = true;
    cancel.disabled = false;
    progress.hidden = false;
    ({ worker, api } = spawnConvertWorker());
    const started = performance.now();
    const died = new Promise<never>((_, reject) => worker?.addEventListener('error', (e) => reject(new Error(e.message || 'the convert worker could not start'))));
    try {
      const onProgress = (p: ConvertProgress) => {
        progress.value = p.totalRows ? p.rows / p.totalRows : 0;
        const seconds = (performance.now() - started) / 1000;
        status.textContent = `${p.phase}: ${formatInt(p.rows)} / ${formatInt(p.totalRows)} cells (${formatInt(Math.round(p.rows / Math.max(seconds, 1e-3)))} cells/s)`;
      };
      const summary = await Promise.race([died, api.save(input, name.value, { shuffle: shuffle.checked }, Comlink.proxy(onProgress))]);
      status.textContent = `Saved "${name.value}": ${formatInt(summary.nObs)} cells × ${formatInt(summary.nVars)} genes in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
      onSaved();
    } catch (e) {
      status.textContent = `Could not save: ${(e as Error).message}`;
      status.classList.add('error');
    } finally {
      worker.terminate();
      worker = undefined;
      api = undefined;
      save.disabled = false;
      cancel.disabled = true;
    }
  });
  cancel.addEventListener('click', () => void api?.cancel());
  return h(
    'div',
    { class: 'save-copy' },
    h('label', {}, 'Name ', name),
    h('label', {}, shuffle, ' pre-shuffle (annbatch collection)'),
    save,
    cancel,
    progress,
    status,
  );
}
