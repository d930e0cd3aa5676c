// The results' latent embedding: the shown cells as a WebGL scatter (zoom, pan, hover with the
// cell's obs values) coloured by any obs column, in one of three spaces — UMAP of μ, UMAP of the
// MMD layer (trVAE only) and PCA of μ. PCA (computed with the results) is drawn at once; a UMAP is
// computed in the embedding worker with progress and a cancel button, and replaces it when ready.
// Every computed layout is kept, so switching back is instant.
import type { ShownCells } from '../model/dataset-latent.ts';
import type { ShownObsColumn } from '../model/results.ts';
import { formatInt, h, nextTask } from './dom.ts';
import { colorEncoding, formatNumber, formatObsValue, type Legend } from './embedding-colors.ts';
import { createScatterSurface, type ScatterRenderer } from './embedding-scatter.ts';
import { isTrvaeError } from '../errors.ts';
import type { UmapProgress } from './embedding-umap.ts';
import { startUmap, type UmapJob } from './embedding-worker.ts';

export type EmbeddingSpace = 'umap-mu' | 'umap-mmd' | 'pca-mu';

const spaceLabels: Readonly<Record<EmbeddingSpace, string>> = { 'umap-mu': 'UMAP of μ', 'umap-mmd': 'UMAP of the MMD layer', 'pca-mu': 'PCA of μ' };
const legendLimit = 40;
const tooltipColumns = 12;

export interface EmbeddingPanelOptions {
  /** Seeds the UMAP (the run's seed): the same run gives the same picture. */
  readonly seed?: number;
  /** The space shown first (default: UMAP of μ). */
  readonly space?: EmbeddingSpace;
  /** The obs column coloured first (default: the last label column, the cell type). */
  readonly colorBy?: string;
  /** How the cells are drawn (default 'auto': WebGL on a GPU, a 2-D canvas otherwise). */
  readonly renderer?: ScatterRenderer;
  /** Another sample of the run's latent space (from the run's worker); absent: no choice of cells. */
  readonly showCells?: (count: number) => Promise<ShownCells>;
}

/** The sample sizes offered: these steps up to what can be shown, and all of it. */
const cellSteps = [5_000, 10_000, 25_000, 50_000, 100_000];
function cellChoices(cells: ShownCells['cells']): number[] {
  return [...new Set([...cellSteps.filter((c) => c < cells.available), cells.available, cells.shown])].sort((a, b) => a - b);
}

export interface EmbeddingPanel {
  readonly element: HTMLElement;
  /** Cancels a running UMAP and releases the WebGL context. */
  dispose(): void;
}

/** Every obs column of the shown cells, with the label columns where obs lacks them (older results). */
function columnsOf(results: ShownCells): ShownObsColumn[] {
  const columns: ShownObsColumn[] = [...(results.obs ?? [])];
  for (const label of results.labels) {
    if (!columns.some((c) => c.name === label.name)) columns.push({ name: label.name, kind: 'categorical', categories: label.categories, codes: label.codes });
  }
  return columns;
}

function legendElement(legend: Legend, column: string): HTMLElement {
  const missing = legend.missing > 0 ? h('span', { class: 'legend-item', style: '--swatch:#c8c8c8' }, `NA (${formatInt(legend.missing)})`) : null;
  if (legend.kind === 'numeric') {
    const stops = legend.gradient.map((c, i) => `${c} ${((i / (legend.gradient.length - 1)) * 100).toFixed(1)}%`).join(', ');
    return h(
      'div',
      { class: 'legend embedding-legend', 'data-testid': 'embedding-legend', 'data-kind': 'numeric', 'aria-label': `Colour scale of ${column}` },
      h('span', { class: 'legend-min' }, formatNumber(legend.min)),
      h('span', { class: 'legend-ramp', style: `background:linear-gradient(to right, ${stops})`, role: 'img', 'aria-label': `${column} from ${formatNumber(legend.min)} to ${formatNumber(legend.max)}` }),
      h('span', { class: 'legend-max' }, formatNumber(legend.max)),
      missing,
    );
  }
  const shown = legend.items.slice(0, legendLimit);
  const more = legend.items.length - shown.length;
  return h(
    'div',
    { class: 'legend embedding-legend', 'data-testid': 'embedding-legend', 'data-kind': 'categorical', 'aria-label': `Colours of ${column}` },
    ...shown.map((item) => h('span', { class: 'legend-item', style: `--swatch:${item.color}` }, `${item.label} (${formatInt(item.count)})`)),
    more > 0 ? h('span', { class: 'legend-more' }, `… ${formatInt(more)} more categories (colours repeat)`) : null,
    missing,
  );
}

/**
 * Calls `callback` once `element`, after it was first attached, is no longer in the document (its
 * results were replaced, or the trainer element removed): results are swapped by replacing DOM
 * nodes, and the worker and the WebGL context must not outlive them.
 */
function whenDetached(element: HTMLElement, callback: () => void): () => void {
  let observers: MutationObserver[] = [];
  let frame = 0;
  const stop = () => {
    cancelAnimationFrame(frame);
    for (const o of observers) o.disconnect();
    observers = [];
  };
  const attach = () => {
    if (!element.isConnected) {
      frame = requestAnimationFrame(attach);
      return;
    }
    const check = () => {
      if (element.isConnected) return;
      stop();
      callback();
    };
    // A shadow root's own mutations are not seen from the document, nor the host's removal from the shadow root.
    for (const root of new Set<Node>([element.getRootNode(), element.ownerDocument])) {
      const observer = new MutationObserver(check);
      observer.observe(root, { childList: true, subtree: true });
      observers.push(observer);
    }
  };
  attach();
  return stop;
}

export function renderEmbeddingPanel(results: ShownCells, options: EmbeddingPanelOptions = {}): EmbeddingPanel {
  const n = results.cells.shown;
  const columns = columnsOf(results);
  const spaces: EmbeddingSpace[] = ['umap-mu', ...(results.latent.mmd ? (['umap-mmd'] as const) : []), 'pca-mu'];
  const layouts = new Map<EmbeddingSpace, Float32Array>([['pca-mu', results.embedding]]);

  const spaceSelect = h('select', { 'data-testid': 'embedding-space', 'aria-label': 'Space' }, ...spaces.map((s) => h('option', { value: s }, spaceLabels[s])));
  spaceSelect.value = options.space && spaces.includes(options.space) ? options.space : 'umap-mu';
  const firstColumn = options.colorBy ?? results.labels.at(-1)?.name;
  const colorSelect = h('select', { 'data-testid': 'embedding-color-by', 'aria-label': 'Colour by' }, ...columns.map((c) => h('option', { value: c.name }, `${c.name}${c.kind === 'numeric' ? ' (numeric)' : ''}`)));
  if (firstColumn && columns.some((c) => c.name === firstColumn)) colorSelect.value = firstColumn;
  const { cells } = results;
  const cellsSelect = h('select', { 'data-testid': 'embedding-cells', 'aria-label': 'Cells' }, ...cellChoices(cells).map((c) => h('option', { value: String(c) }, c === cells.of ? `all ${formatInt(c)}` : formatInt(c))));
  cellsSelect.value = String(cells.shown);
  const zoomIn = h('button', { type: 'button', class: 'secondary' }, 'Zoom in');
  const zoomOut = h('button', { type: 'button', class: 'secondary' }, 'Zoom out');
  const reset = h('button', { type: 'button', class: 'secondary' }, 'Reset view');
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'UMAP progress' });
  const statusText = h('span', { class: 'embedding-status-text' });
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-testid': 'embedding-cancel' }, 'Cancel');
  const compute = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-testid': 'embedding-compute' }, 'Compute UMAP');
  const status = h('p', { class: 'embedding-status', role: 'status', 'data-testid': 'embedding-status' }, statusText, progress, cancel, compute);
  const caption = h('figcaption', {});
  const surface = createScatterSurface(480, options.renderer);
  const tooltip = h('div', { class: 'embedding-tooltip', role: 'tooltip', hidden: true, 'data-testid': 'embedding-tooltip' });
  const view = h('div', { class: 'embedding-view' }, surface.element, tooltip);
  const legendHolder = h('div', {});
  const figure = h(
    'figure',
    { class: 'chart embedding', 'data-testid': 'embedding', 'data-renderer': surface.renderer, 'data-points': 0 },
    caption,
    h(
      'div',
      { class: 'embedding-controls' },
      h('label', {}, h('span', { 'aria-hidden': 'true' }, 'Space '), spaceSelect),
      h('label', {}, h('span', { 'aria-hidden': 'true' }, 'Colour by '), colorSelect),
      options.showCells && cells.available > cellSteps[0] ? h('label', {}, h('span', { 'aria-hidden': 'true' }, 'Cells '), cellsSelect) : null,
      h('span', { class: 'embedding-zoom', role: 'group', 'aria-label': 'View' }, zoomIn, zoomOut, reset),
    ),
    surface.fallbackReason ? h('p', { class: 'warn', 'data-testid': 'embedding-fallback' }, `Not drawn with WebGL: ${surface.fallbackReason}. The cells are drawn on a 2-D canvas instead.`) : null,
    status,
    view,
    legendHolder,
  );

  const sampled = results.cells.shown < results.cells.of ? `${formatInt(results.cells.shown)} sampled cells of ${formatInt(results.cells.of)}` : `all ${formatInt(results.cells.of)} cells`;
  const column = (): ShownObsColumn => columns.find((c) => c.name === colorSelect.value) ?? columns[0];
  let drawnSpace: EmbeddingSpace | undefined;
  let job: { space: EmbeddingSpace; umap: UmapJob } | undefined;
  let disposed = false;

  const setStatus = (text: string, state: { running?: boolean; canCompute?: boolean; warn?: boolean } = {}) => {
    statusText.textContent = text;
    progress.hidden = !state.running;
    cancel.hidden = !state.running;
    compute.hidden = !state.canCompute;
    status.classList.toggle('warn', Boolean(state.warn));
  };

  const encodeColors = () => {
    const c = column();
    const encoding = c ? colorEncoding(c) : { index: new Float32Array(n), colors: ['#4e79a7'], legend: { kind: 'categorical' as const, items: [], missing: 0 } };
    figure.dataset.colorBy = c?.name ?? '';
    legendHolder.replaceChildren(legendElement(encoding.legend, c?.name ?? ''));
    return encoding;
  };

  // Draws run one after another; one superseded by a later request is skipped.
  let drawing = Promise.resolve();
  let drawRequest = 0;
  const queue = (step: (id: number) => Promise<void>) => {
    const id = ++drawRequest;
    drawing = drawing
      .then(() => (id === drawRequest && !disposed ? step(id) : undefined))
      .catch((error: Error) => setStatus(`The embedding could not be drawn: ${error.message}`, { warn: true }));
    return drawing;
  };
  const draw = (space: EmbeddingSpace) => {
    const xy = layouts.get(space);
    if (!xy || disposed) return;
    const title = `Latent space (${spaceLabels[space]}) — ${sampled}`;
    caption.textContent = title;
    drawnSpace = space;
    const colors = encodeColors();
    void queue(async (id) => {
      await surface.draw(xy, colors, title);
      if (id !== drawRequest || disposed) return;
      figure.dataset.space = space;
      figure.dataset.points = String(xy.length / 2);
    });
  };

  const onProgress = (space: EmbeddingSpace) => (p: UmapProgress) => {
    if (job?.space !== space) return;
    if (p.phase === 'neighbours') {
      progress.removeAttribute('value');
      setStatus(`${spaceLabels[space]}: finding the neighbours of ${formatInt(p.cells)} cells… `, { running: true });
    } else {
      progress.max = p.epochs;
      progress.value = p.epoch;
      setStatus(`${spaceLabels[space]}: epoch ${p.epoch} of ${p.epochs} `, { running: true });
    }
  };

  const computeUmap = (space: Exclude<EmbeddingSpace, 'pca-mu'>) => {
    job?.umap.cancel();
    const source = space === 'umap-mmd' ? results.latent.mmd! : { values: results.latent.mu, width: results.latent.width };
    const umap = startUmap({ values: source.values, n, width: source.width, options: { seed: options.seed ?? 0 } }, onProgress(space));
    job = { space, umap };
    setStatus(`${spaceLabels[space]}: starting… `, { running: true });
    umap.result.then(
      (xy) => {
        if (job?.umap !== umap || disposed) return;
        job = undefined;
        layouts.set(space, xy);
        setStatus('');
        if (spaceSelect.value === space) draw(space);
      },
      (error: Error) => {
        if (job?.umap === umap) job = undefined;
        if (disposed || spaceSelect.value !== space) return;
        const shown = drawnSpace ? ` Showing ${spaceLabels[drawnSpace]}.` : '';
        if (isTrvaeError(error, 'aborted')) setStatus(`${spaceLabels[space]} cancelled.${shown} `, { canCompute: true });
        else setStatus(`${spaceLabels[space]} failed: ${error.message}.${shown} `, { canCompute: true, warn: true });
      },
    );
  };

  const showSpace = () => {
    const space = spaceSelect.value as EmbeddingSpace;
    tooltip.hidden = true;
    if (layouts.has(space)) {
      if (job && job.space !== space) {
        // Keep computing in the background: the PCA is a look while the UMAP runs.
        if (space !== 'pca-mu') job.umap.cancel();
      }
      if (!job) setStatus('');
      draw(space);
      return;
    }
    // Until the UMAP is ready the PCA stands in (it came with the results).
    if (drawnSpace !== 'pca-mu') draw('pca-mu');
    // the UMAP's start (a worker, its data) in a later task than the first picture's colours
    void nextTask().then(() => !disposed && spaceSelect.value === space && job?.space !== space && computeUmap(space as Exclude<EmbeddingSpace, 'pca-mu'>));
  };

  surface.onHover((cell, x, y) => {
    if (cell === null) {
      tooltip.hidden = true;
      return;
    }
    const name = results.latent.obsNames[cell] ?? String(cell);
    tooltip.replaceChildren(
      h('strong', {}, name),
      h('dl', {}, ...columns.slice(0, tooltipColumns).flatMap((c) => [h('dt', {}, c.name), h('dd', {}, formatObsValue(c, cell))])),
    );
    tooltip.dataset.cell = String(cell);
    tooltip.style.left = `${x + 12}px`;
    tooltip.style.top = `${y + 12}px`;
    tooltip.hidden = false;
  });

  spaceSelect.addEventListener('change', showSpace);
  colorSelect.addEventListener('change', () => {
    if (!drawnSpace) return;
    const colors = encodeColors();
    const space = drawnSpace;
    // After a pending draw of the same space: recolour; a superseded draw is redone with these colours.
    void queue(async () => {
      if (figure.dataset.space === space) await surface.recolor(colors);
      else draw(space);
    });
  });
  // Another sample replaces this panel with one of the same space and colouring.
  cellsSelect.addEventListener('change', () => {
    const count = Number(cellsSelect.value);
    const showCells = options.showCells;
    if (!showCells) return;
    job?.umap.cancel();
    cellsSelect.disabled = true;
    setStatus(`Taking ${formatInt(count)} cells of the latent space… `);
    showCells(count).then(
      (shown) => {
        if (disposed) return;
        const next = renderEmbeddingPanel(shown, { ...options, space: spaceSelect.value as EmbeddingSpace, colorBy: colorSelect.value });
        figure.replaceWith(next.element);
      },
      (error: Error) => {
        cellsSelect.disabled = false;
        cellsSelect.value = String(cells.shown);
        setStatus(`Could not take ${formatInt(count)} cells: ${error.message} `, { warn: true });
      },
    );
  });
  cancel.addEventListener('click', () => job?.umap.cancel());
  compute.addEventListener('click', showSpace);
  zoomIn.addEventListener('click', () => surface.zoom(1.5));
  zoomOut.addEventListener('click', () => surface.zoom(1 / 1.5));
  reset.addEventListener('click', () => surface.resetView());
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    stopWatching();
    job?.umap.cancel();
    job = undefined;
    surface.dispose();
  };
  const stopWatching = whenDetached(figure, dispose);
  // The first picture and the UMAP's start in a task after the panel's (the page draws between).
  void nextTask().then(() => disposed || showSpace());
  return { element: figure, dispose };
}
