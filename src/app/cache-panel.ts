// Shows what the loader's OPFS chunk cache holds and lets the user clear it (the loader's workers
// fill it; a second epoch and a page reload read from it instead of the network).
import { opfsBackend } from '../loader/cache/backend.ts';
import { formatBytes, formatInt, h } from './dom.ts';

export function renderCachePanel(): HTMLElement {
  const summary = h('span', { 'data-testid': 'cache-summary' }, 'reading…');
  const clear = h('button', { type: 'button', class: 'secondary', 'data-testid': 'clear-cache' }, 'Clear cache');
  const panel = h('section', { class: 'panel cache', 'aria-labelledby': 'cache-title' }, h('h2', { id: 'cache-title' }, 'Chunk cache'), h('p', {}, summary, ' ', clear));

  async function refresh(): Promise<void> {
    if (!navigator.storage?.getDirectory) {
      summary.textContent = 'this browser has no Origin Private File System: chunks are fetched again every epoch';
      clear.disabled = true;
      return;
    }
    const backend = await opfsBackend();
    const files = await backend.list();
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    const estimate = await backend.estimate();
    const origin = estimate ? ` · this site uses ${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)} available` : '';
    summary.textContent = `${formatInt(files.length)} chunks, ${formatBytes(bytes)}${origin}`;
    clear.disabled = files.length === 0;
  }

  clear.addEventListener('click', async () => {
    clear.disabled = true;
    const backend = await opfsBackend();
    for (const file of await backend.list()) await backend.remove(file.name);
    await refresh();
  });
  refresh().catch((e: unknown) => (summary.textContent = `cannot read the cache: ${(e as Error).message}`));
  return panel;
}
