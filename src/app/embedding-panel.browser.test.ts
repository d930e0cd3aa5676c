// The embedding panel in headless Chromium (WebGL on SwiftShader): the UMAP computed in the real
// embedding worker replaces the PCA, points are drawn, colouring changes the legend, hovering a
// drawn point shows its obs values, the MMD layer is a second space, cancel stops a UMAP.
import { afterEach, describe, expect, it } from 'vitest';
import type { ShownObsColumn, TrainingResults } from '../model/results.ts';
import { shownCells, type DatasetLatent, type ShownCells } from '../model/dataset-latent.ts';
import { pca2 } from '../model/pca.ts';
import { createRng } from '../random.ts';
import { renderEmbeddingPanel, type EmbeddingPanel } from './embedding-panel.ts';
import type { ScatterRenderer } from './embedding-scatter.ts';
import { EmbeddingError } from './embedding-error.ts';
import { startUmap } from './embedding-worker.ts';

const types = ['B', 'NK', 'T'];

/** `n` cells in three clusters (by cell type) in a 4-wide μ and a 6-wide MMD layer. */
function fixtureResults(n: number): TrainingResults {
  const rng = createRng(3);
  const typeCodes = Int32Array.from({ length: n }, (_, i) => i % 3);
  const conditionCodes = Int32Array.from({ length: n }, (_, i) => (i >> 1) % 2);
  const layer = (width: number) => Float32Array.from({ length: n * width }, (_, j) => (j % width === typeCodes[Math.floor(j / width)] ? 6 : 0) + rng.normal());
  const mu = layer(4);
  const obs: ShownObsColumn[] = [
    { name: 'condition', kind: 'categorical', categories: ['control', 'stimulated'], codes: conditionCodes },
    { name: 'cell_type', kind: 'categorical', categories: types, codes: typeCodes },
    { name: 'n_counts', kind: 'numeric', values: Float64Array.from({ length: n }, (_, i) => 1000 + i) },
  ];
  return {
    cells: { shown: n, of: 2 * n, available: n },
    embedding: pca2(mu, n, 4),
    labels: [
      { name: 'condition', categories: ['control', 'stimulated'], codes: conditionCodes },
      { name: 'cell_type', categories: types, codes: typeCodes },
    ],
    latent: { obsNames: Array.from({ length: n }, (_, i) => `cell-${i}`), mu, width: 4, mmd: { values: layer(6), width: 6 } },
    obs,
    files: new Map(),
  } as unknown as TrainingResults;
}

/** Every cell's latent values for `n` cells in three clusters (by cell type), as the run's worker holds them. */
function fixtureDataset(n: number): DatasetLatent {
  const rng = createRng(4);
  const typeCodes = Int32Array.from({ length: n }, (_, i) => i % 3);
  const mu = Float32Array.from({ length: n * 4 }, (_, j) => (j % 4 === typeCodes[j >> 2] ? 6 : 0) + rng.normal());
  const order = Int32Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const labels = [{ name: 'cell_type', categories: types, codes: typeCodes }];
  return { obsNames: Array.from({ length: n }, (_, i) => `cell-${i}`), mu, width: 4, obs: [{ ...labels[0], kind: 'categorical' }], labels, order };
}

const panels: EmbeddingPanel[] = [];
// WebGL unless asked otherwise: this Chromium's WebGL is SwiftShader, which 'auto' leaves for the 2-D canvas.
function mount(results: ShownCells, seed = 0, renderer: ScatterRenderer = 'webgl', showCells?: (count: number) => Promise<ShownCells>): EmbeddingPanel {
  const panel = renderEmbeddingPanel(results, { seed, renderer, showCells });
  document.body.append(panel.element);
  panels.push(panel);
  return panel;
}
afterEach(() => {
  for (const p of panels.splice(0)) p.element.remove();
  // A panel replaced by another sample leaves its successor in the page.
  for (const e of document.querySelectorAll('[data-testid="embedding"]')) e.remove();
});

const part = <T extends HTMLElement>(panel: EmbeddingPanel, id: string) => panel.element.querySelector<T>(`[data-testid="${id}"]`)!;
const canvasOf = (panel: EmbeddingPanel) => panel.element.querySelector('canvas')!;

/** The drawn pixels (alpha > 0) of the panel's canvas, and the most opaque one (a point's centre). */
function drawnPixels(panel: EmbeddingPanel): { count: number; data: Uint8ClampedArray; at: [number, number] } {
  const canvas = canvasOf(panel);
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  let count = 0;
  let best = -1;
  let at: [number, number] = [0, 0];
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] === 0) continue;
    count++;
    if (data[i] > best) {
      best = data[i];
      const p = (i - 3) / 4;
      at = [p % canvas.width, Math.floor(p / canvas.width)];
    }
  }
  return { count, data, at };
}

const spaceOf = (panel: EmbeddingPanel) => panel.element.dataset.space;
const statusOf = (panel: EmbeddingPanel) => panel.element.querySelector('.embedding-status-text')!.textContent;

describe('embedding panel', () => {
  it('shows the PCA at once, then the seeded UMAP of μ; colour, hover and the MMD layer', async () => {
    const n = 300;
    const results = fixtureResults(n);
    const panel = mount(results, 5);
    expect(panel.element.dataset.renderer).toBe('webgl');
    await expect.poll(() => spaceOf(panel)).toBe('pca-mu');
    expect(panel.element.querySelector('figcaption')!.textContent).toBe('Latent space (PCA of μ) — 300 sampled cells of 600');
    await expect.poll(() => spaceOf(panel), { timeout: 60_000 }).toBe('umap-mu');
    expect(panel.element.querySelector('figcaption')!.textContent).toBe('Latent space (UMAP of μ) — 300 sampled cells of 600');
    expect(panel.element.dataset.points).toBe(String(n));
    expect(statusOf(panel)).toBe('');
    await expect.poll(() => drawnPixels(panel).count).toBeGreaterThan(300);

    // The default colouring is the cell type: one legend entry per type with its count.
    const legend = () => part(panel, 'embedding-legend');
    expect(panel.element.dataset.colorBy).toBe('cell_type');
    expect([...legend().querySelectorAll('.legend-item')].map((e) => e.textContent)).toEqual(['B (100)', 'NK (100)', 'T (100)']);
    const colorBy = part<HTMLSelectElement>(panel, 'embedding-color-by');
    colorBy.value = 'n_counts';
    colorBy.dispatchEvent(new Event('change'));
    expect(legend().dataset.kind).toBe('numeric');
    expect(legend().querySelector('.legend-min')!.textContent).toBe('1000');
    expect(legend().querySelector('.legend-max')!.textContent).toBe('1299');

    // The same results and seed draw the same picture.
    const before = drawnPixels(panel);
    const twin = mount(results, 5);
    await expect.poll(() => spaceOf(twin), { timeout: 60_000 }).toBe('umap-mu');
    const colorTwin = part<HTMLSelectElement>(twin, 'embedding-color-by');
    colorTwin.value = 'n_counts';
    colorTwin.dispatchEvent(new Event('change'));
    await expect.poll(() => drawnPixels(twin).data.every((v, i) => v === before.data[i])).toBe(true);
    twin.element.remove();

    // Hovering the most opaque drawn pixel (a point's centre) shows that cell's obs values.
    const canvas = canvasOf(panel);
    const box = canvas.getBoundingClientRect();
    const scale = box.width / canvas.width;
    const [px, py] = before.at;
    const clientX = box.left + (px + 0.5) * scale;
    const clientY = box.top + (py + 0.5) * scale;
    canvas.dispatchEvent(new MouseEvent('mouseenter', { clientX, clientY }));
    window.dispatchEvent(new MouseEvent('mousemove', { clientX, clientY }));
    const tooltip = part(panel, 'embedding-tooltip');
    await expect.poll(() => tooltip.hidden).toBe(false);
    const cell = Number(tooltip.dataset.cell);
    expect(tooltip.querySelector('strong')!.textContent).toBe(`cell-${cell}`);
    const values = Object.fromEntries([...tooltip.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]));
    expect(values).toEqual({ condition: ['control', 'stimulated'][(cell >> 1) % 2], cell_type: types[cell % 3], n_counts: String(1000 + cell) });

    // The MMD layer is another space: the PCA stands in while its UMAP is computed.
    const space = part<HTMLSelectElement>(panel, 'embedding-space');
    expect([...space.options].map((o) => o.textContent)).toEqual(['UMAP of μ', 'UMAP of the MMD layer', 'PCA of μ']);
    space.value = 'umap-mmd';
    space.dispatchEvent(new Event('change'));
    await expect.poll(() => statusOf(panel)).toMatch(/^UMAP of the MMD layer/);
    await expect.poll(() => spaceOf(panel), { timeout: 60_000 }).toBe('umap-mmd');
    expect(panel.element.querySelector('figcaption')!.textContent).toBe('Latent space (UMAP of the MMD layer) — 300 sampled cells of 600');
    // Back to μ: kept, drawn at once.
    space.value = 'umap-mu';
    space.dispatchEvent(new Event('change'));
    await expect.poll(() => spaceOf(panel)).toBe('umap-mu');
  });

  it('cancel stops the UMAP and offers to compute it again; results without an MMD layer (scGen) offer μ and PCA only', async () => {
    const results = fixtureResults(200);
    const scgen = { ...results, latent: { ...results.latent, mmd: undefined } } as TrainingResults;
    const panel = mount(scgen);
    const space = part<HTMLSelectElement>(panel, 'embedding-space');
    expect([...space.options].map((o) => o.value)).toEqual(['umap-mu', 'pca-mu']);
    // The UMAP starts in the task after the panel's.
    await expect.poll(() => part(panel, 'embedding-cancel').hidden).toBe(false);
    part(panel, 'embedding-cancel').click();
    await expect.poll(() => statusOf(panel)).toBe('UMAP of μ cancelled. Showing PCA of μ. ');
    expect(part(panel, 'embedding-compute').hidden).toBe(false);
    expect(part(panel, 'embedding-cancel').hidden).toBe(true);
    await expect.poll(() => spaceOf(panel)).toBe('pca-mu');
    part(panel, 'embedding-compute').click();
    await expect.poll(() => spaceOf(panel), { timeout: 60_000 }).toBe('umap-mu');
  });

  it('without WebGL: says so and draws the same cells on a 2-D canvas', async () => {
    // A browser without WebGL: every WebGL context request fails (2-D canvases still work).
    const getContext = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, ...rest: unknown[]) {
      return type.startsWith('webgl') ? null : (getContext as (...a: unknown[]) => unknown).call(this, type, ...rest);
    } as typeof getContext;
    let panel: EmbeddingPanel;
    try {
      panel = mount(fixtureResults(120));
    } finally {
      HTMLCanvasElement.prototype.getContext = getContext;
    }
    expect(panel.element.dataset.renderer).toBe('canvas');
    expect(part(panel, 'embedding-fallback').textContent).toContain('Not drawn with WebGL: this browser gives no WebGL context');
    await expect.poll(() => spaceOf(panel), { timeout: 60_000 }).toBe('umap-mu');
    expect(panel.element.dataset.points).toBe('120');
    expect(drawnPixels(panel).count).toBeGreaterThan(120);
    expect(part(panel, 'embedding-legend').querySelectorAll('.legend-item')).toHaveLength(3);
  });

  it("'auto' on a software WebGL (SwiftShader here) draws on the 2-D canvas, with hover, wheel zoom and drag pan", async () => {
    const panel = mount(fixtureResults(150), 0, 'auto');
    expect(panel.element.dataset.renderer).toBe('canvas');
    expect(part(panel, 'embedding-fallback').textContent).toMatch(/runs on the CPU \(.*SwiftShader/i);
    await expect.poll(() => spaceOf(panel), { timeout: 60_000 }).toBe('umap-mu');
    const before = drawnPixels(panel);
    const canvas = canvasOf(panel);
    const box = canvas.getBoundingClientRect();
    const scale = box.width / canvas.width;
    const [px, py] = before.at;
    const at = { clientX: box.left + (px + 0.5) * scale, clientY: box.top + (py + 0.5) * scale, bubbles: true };
    canvas.dispatchEvent(new PointerEvent('pointermove', at));
    const tooltip = part(panel, 'embedding-tooltip');
    await expect.poll(() => tooltip.hidden).toBe(false);
    expect(tooltip.querySelector('strong')!.textContent).toBe(`cell-${tooltip.dataset.cell}`);
    canvas.dispatchEvent(new PointerEvent('pointerleave', at));
    await expect.poll(() => tooltip.hidden).toBe(true);
    // Zooming in around a point spreads the picture: fewer cells stay inside the canvas.
    canvas.dispatchEvent(new WheelEvent('wheel', { ...at, deltaY: -800, cancelable: true }));
    await expect.poll(() => drawnPixels(panel).count).toBeLessThan(before.count);
    const zoomed = drawnPixels(panel);
    // A drag moves it; Reset view brings back the first picture.
    canvas.dispatchEvent(new PointerEvent('pointerdown', { ...at, pointerId: 1 }));
    canvas.dispatchEvent(new PointerEvent('pointermove', { ...at, clientX: at.clientX + 60, pointerId: 1 }));
    canvas.dispatchEvent(new PointerEvent('pointerup', { ...at, pointerId: 1 }));
    await expect.poll(() => drawnPixels(panel).data.some((v, i) => v !== zoomed.data[i])).toBe(true);
    [...panel.element.querySelectorAll('button')].find((b) => b.textContent === 'Reset view')!.click();
    await expect.poll(() => drawnPixels(panel).data.every((v, i) => v === before.data[i])).toBe(true);
  });

  it('another sample of cells: the choice offers sizes up to all cells, and the panel is redrawn with them, keeping space and colouring', async () => {
    const dataset = fixtureDataset(12_000);
    const asked: number[] = [];
    const panel = mount(shownCells(dataset, 5_000), 0, 'canvas', async (count) => (asked.push(count), shownCells(dataset, count)));
    const cells = part<HTMLSelectElement>(panel, 'embedding-cells');
    expect([...cells.options].map((o) => o.textContent)).toEqual(['5,000', '10,000', 'all 12,000']);
    expect(cells.value).toBe('5000');
    const space = part<HTMLSelectElement>(panel, 'embedding-space');
    space.value = 'pca-mu';
    space.dispatchEvent(new Event('change'));
    cells.value = '12000';
    cells.dispatchEvent(new Event('change'));
    await expect.poll(() => document.querySelector<HTMLElement>('[data-testid="embedding"]')?.dataset.points, { timeout: 30_000 }).toBe('12000');
    const next = document.querySelector<HTMLElement>('[data-testid="embedding"]')!;
    expect(panel.element.isConnected).toBe(false);
    expect(asked).toEqual([12_000]);
    expect(next.dataset.space).toBe('pca-mu');
    expect(next.dataset.colorBy).toBe('cell_type');
    expect(next.querySelector('figcaption')!.textContent).toBe('Latent space (PCA of μ) — all 12,000 cells');
    expect(next.querySelector<HTMLSelectElement>('[data-testid="embedding-cells"]')!.value).toBe('12000');
  });

  it('without a way to take other cells there is no choice', () => {
    const panel = mount(shownCells(fixtureDataset(12_000), 5_000), 0, 'canvas');
    expect(panel.element.querySelector('[data-testid="embedding-cells"]')).toBeNull();
  });

  it('a bad latent value fails in the worker with a typed error naming the cell', async () => {
    const values = new Float32Array(40);
    values[13] = Number.NaN;
    const error = await startUmap({ values, n: 10, width: 4 }, () => {}).result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect(error).toMatchObject({ code: 'non-finite', message: 'UMAP input: cell 3 has a non-finite value (NaN) in dimension 1' });
  });
});
