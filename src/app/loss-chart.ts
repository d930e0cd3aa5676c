// Live loss curves drawn by uPlot: named series over one x axis (steps or epochs), log or linear y
// with readable tick labels, uPlot's legend, resized with its container. Redraws are coalesced:
// a chart redraws at most once per `minIntervalMs` however fast points arrive, and the charts of
// the page take turns, one per animation frame, so no frame carries several redraws.
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import { h } from './dom.ts';

export interface LossChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel?: string;
  readonly logY?: boolean;
  readonly height?: number;
  /** Shown while the chart has no points yet. */
  readonly emptyText?: string;
  /** Shortest time between two redraws. */
  readonly minIntervalMs?: number;
}

export interface LossChart {
  readonly element: HTMLElement;
  /** One x with the values of some series (a new label adds a series; a missing one is a gap). */
  add(x: number, values: Readonly<Record<string, number>>): void;
  /** Series known before their first point: the chart (axes, legend) is built now, not amid training. */
  declare(labels: readonly string[]): void;
  clear(): void;
  /** Redraws soon (coalesced and throttled). */
  draw(): void;
  destroy(): void;
}

const wholeIncrements = [1, 2, 5].flatMap((m) => [1, 10, 100, 1000, 10_000, 100_000].map((p) => m * p)).sort((a, b) => a - b);

const palette = ['#2f7d6d', '#d97a2b', '#4f6fb5', '#b5475f', '#7a5cb5', '#5b8c2a'];

const plain = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 });

/** A tick or legend value as people read it: 0.05, 12.5, 1,200, 35K, 1e-4 (never a fractional exponent). */
export function formatTick(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs < 1e-3) {
    const [mantissa, exponent] = value.toExponential(2).split('e');
    return `${Number(mantissa)}e${exponent}`;
  }
  return abs < 1e4 ? plain.format(value) : compact.format(value);
}

// uPlot's stylesheet goes into whatever root a chart is mounted in (the document or the
// <trvae-trainer> shadow root, whose adopted style.css does not include it).
let sheet: CSSStyleSheet | undefined;
export function adoptChartStyles(node: Node): void {
  const root = node.getRootNode();
  if (!(root instanceof ShadowRoot) && !(root instanceof Document)) return;
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(uPlotCss);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

// Charts waiting for their redraw, served one per animation frame in the order they asked.
const waiting = new Set<() => void>();
let frameRequested = false;
function drawNext(): void {
  frameRequested = false;
  const next = waiting.values().next();
  if (next.done) return;
  waiting.delete(next.value);
  next.value();
  if (waiting.size > 0) requestDrawFrame();
}
function requestDrawFrame(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(drawNext);
}

export function createLossChart(options: LossChartOptions): LossChart {
  const height = options.height ?? 240;
  const minInterval = options.minIntervalMs ?? 500;
  const plotBox = h('div', { class: 'plot', role: 'img', 'aria-label': options.title });
  const empty = h('p', { class: 'chart-empty hint' }, options.emptyText ?? 'No points yet.');
  const element = h('figure', { class: 'chart loss-chart' }, h('figcaption', {}, options.title), empty, plotBox);
  const xs: number[] = [];
  const ys = new Map<string, (number | null)[]>();
  let plot: uPlot | undefined;
  let plotSeries = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let queued = false;
  let lastDraw = -Infinity;

  const build = (width: number): uPlot => {
    adoptChartStyles(element);
    const style = getComputedStyle(element);
    const fg = style.color || '#333';
    const grid = style.getPropertyValue('--line').trim() || '#ddd';
    // On a log axis, grid lines and ticks at the powers of ten only: nine lines a decade read as a band.
    const decades = (_u: uPlot, splits: number[]) => splits.map((v) => (v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9 ? v : null));
    const axis = (label: string, incrs?: number[], log = false): uPlot.Axis => ({
      label,
      incrs,
      stroke: fg,
      grid: { stroke: grid, width: 1, ...(log ? { filter: decades } : {}) },
      ticks: { stroke: grid, width: 1, ...(log ? { filter: decades } : {}) },
      values: (_u, splits) => splits.map(formatTick),
      size: 54,
    });
    const labels = [...ys.keys()];
    plotSeries = labels.length;
    return new uPlot(
      {
        width,
        height,
        scales: { x: { time: false }, y: options.logY ? { distr: 3, log: 10 } : {} },
        series: [
          { label: options.xLabel, value: (_u, v) => formatTick(v) },
          ...labels.map((label, i): uPlot.Series => ({ label, stroke: palette[i % palette.length], width: 1.5, spanGaps: true, value: (_u, v) => formatTick(v) })),
        ],
        // Steps and epochs are whole numbers: no tick at 2.5.
        axes: [axis(options.xLabel, wholeIncrements), axis(options.yLabel ?? `loss${options.logY ? ' (log scale)' : ''}`, undefined, options.logY)],
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false } },
      },
      [xs, ...labels.map((l) => ys.get(l)!)] as uPlot.AlignedData,
      plotBox,
    );
  };

  const render = (): void => {
    queued = false;
    lastDraw = performance.now();
    empty.hidden = xs.length > 0;
    const width = plotBox.clientWidth;
    if (width === 0 || ys.size === 0) return;
    if (!plot || plotSeries !== ys.size) {
      plot?.destroy();
      plot = build(width);
      return;
    }
    if (Math.abs(plot.width - width) > 1) plot.setSize({ width, height });
    plot.setData([xs, ...ys.values()] as uPlot.AlignedData);
  };

  const draw = (): void => {
    if (timer !== undefined || queued) return;
    const wait = Math.max(0, lastDraw + minInterval - performance.now());
    timer = setTimeout(() => {
      timer = undefined;
      queued = true;
      waiting.add(render);
      requestDrawFrame();
    }, wait);
  };

  const resize = new ResizeObserver(() => draw());
  resize.observe(plotBox);

  return {
    element,
    add(x, values) {
      xs.push(x);
      for (const label of Object.keys(values)) if (!ys.has(label)) ys.set(label, new Array<number | null>(xs.length - 1).fill(null));
      for (const [label, column] of ys) {
        const v = values[label];
        // A log scale has no place for 0 or a negative value: a gap instead.
        column.push(v === undefined || !Number.isFinite(v) || (options.logY && v <= 0) ? null : v);
      }
      draw();
    },
    clear() {
      xs.length = 0;
      ys.clear();
      plot?.destroy();
      plot = undefined;
      plotBox.replaceChildren();
      empty.hidden = false;
    },
    declare(labels) {
      for (const label of labels) if (!ys.has(label)) ys.set(label, new Array<number | null>(xs.length).fill(null));
      draw();
    },
    draw,
    destroy() {
      resize.disconnect();
      if (timer !== undefined) clearTimeout(timer);
      waiting.delete(render);
      plot?.destroy();
    },
  };
}
