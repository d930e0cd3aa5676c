// Predicted vs real per-gene mean as an interactive uPlot scatter: one point per model gene, the top
// DEGs in another colour, the identity line (a perfect prediction lies on it), and the gene's name,
// predicted and real mean on hover. uPlot's x must ascend, so the genes are drawn sorted by their
// predicted mean, points only; hovering finds the nearest point in both directions itself.
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { h } from './dom.ts';

const colours = { gene: '#4f6fb5', deg: '#d97a2b', identity: '#888' } as const;

export interface PredictionPlotInput {
  /** Per-gene mean, predicted and real, interleaved [G, 2]. */
  readonly meanPoints: Float32Array;
  readonly geneNames: readonly string[];
  /** Gene indices highlighted (the top DEGs). */
  readonly degs: readonly number[];
  readonly title: string;
  readonly size?: number;
}

export interface PredictionPlot {
  readonly element: HTMLElement;
  destroy(): void;
}

/** The index of the point nearest (x, y) within `radius` (all in the same pixels), or -1. */
export function nearestPoint(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number, y: number, radius: number): number {
  let best = -1;
  let bestDistance = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] - x) ** 2 + (ys[i] - y) ** 2;
    if (d <= bestDistance) [best, bestDistance] = [i, d];
  }
  return best;
}

export function predictionPlot(input: PredictionPlotInput): PredictionPlot {
  const { meanPoints, geneNames, degs } = input;
  const size = input.size ?? 360;
  const G = meanPoints.length / 2;
  const isDeg = new Uint8Array(G);
  for (const g of degs) isDeg[g] = 1;
  const order = Array.from({ length: G }, (_, g) => g).sort((a, b) => meanPoints[2 * a] - meanPoints[2 * b] || a - b);
  const predicted = order.map((g) => meanPoints[2 * g]);
  const real = order.map((g) => meanPoints[2 * g + 1]);
  let lo = Math.min(...predicted, ...real);
  let hi = Math.max(...predicted, ...real);
  const pad = (hi - lo || 1) * 0.04;
  [lo, hi] = [lo - pad, hi + pad];
  const points = (colour: string, size: number) => ({ paths: () => null, points: { show: true, size, width: 0, fill: colour, stroke: colour } });

  const tooltip = h('div', { class: 'plot-tooltip', role: 'tooltip', hidden: true, 'data-testid': 'prediction-tooltip' });
  const ring = h('div', { class: 'plot-ring', hidden: true });
  const holder = h('div', { class: 'plot-holder' });
  const plot = new uPlot(
    {
      width: size,
      height: size,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false, setScale: false }, x: false, y: false },
      scales: { x: { time: false, range: () => [lo, hi] }, y: { range: () => [lo, hi] } },
      axes: [
        { label: 'predicted mean (log1p)', stroke: 'currentColor', grid: { stroke: '#8883' }, ticks: { stroke: '#8886' } },
        { label: 'real mean (log1p)', stroke: 'currentColor', grid: { stroke: '#8883' }, ticks: { stroke: '#8886' } },
      ],
      series: [{}, { label: 'genes', ...points(`${colours.gene}aa`, 4) }, { label: `top ${degs.length} DEGs`, ...points(colours.deg, 6) }],
      hooks: {
        // y = x under the points.
        drawAxes: [
          (u) => {
            const { ctx } = u;
            ctx.save();
            ctx.strokeStyle = colours.identity;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.lineWidth = devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(u.valToPos(lo, 'x', true), u.valToPos(lo, 'y', true));
            ctx.lineTo(u.valToPos(hi, 'x', true), u.valToPos(hi, 'y', true));
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    },
    [predicted, order.map((g, i) => (isDeg[g] ? null : real[i])), order.map((g, i) => (isDeg[g] ? real[i] : null))],
    holder,
  );
  plot.over.append(ring, tooltip);

  const fmt = (v: number) => v.toFixed(3);
  const hide = () => {
    tooltip.hidden = true;
    ring.hidden = true;
  };
  plot.over.addEventListener('mouseleave', hide);
  plot.over.addEventListener('mousemove', (event) => {
    const box = plot.over.getBoundingClientRect();
    const xs = predicted.map((v) => plot.valToPos(v, 'x'));
    const ys = real.map((v) => plot.valToPos(v, 'y'));
    const i = nearestPoint(xs, ys, event.clientX - box.left, event.clientY - box.top, 16);
    if (i < 0) return hide();
    const g = order[i];
    tooltip.replaceChildren(
      h('strong', {}, geneNames[g] ?? `gene ${g}`),
      h('span', {}, `predicted ${fmt(predicted[i])} · real ${fmt(real[i])}`),
      ...(isDeg[g] ? [h('span', { class: 'deg' }, `one of the top ${degs.length} DEGs`)] : []),
    );
    tooltip.hidden = false;
    ring.hidden = false;
    ring.style.transform = `translate(${xs[i]}px, ${ys[i]}px)`;
    // Kept inside the plot: to the left of points on the right half, above points in the lower half.
    tooltip.style.left = `${xs[i] < box.width / 2 ? xs[i] + 10 : xs[i] - 10 - tooltip.offsetWidth}px`;
    tooltip.style.top = `${ys[i] > box.height / 2 ? ys[i] - 10 - tooltip.offsetHeight : ys[i] + 10}px`;
  });

  const legend = h(
    'div',
    { class: 'legend' },
    h('span', { class: 'legend-item', style: `--swatch:${colours.gene}` }, 'genes'),
    h('span', { class: 'legend-item', style: `--swatch:${colours.deg}` }, `top ${degs.length} DEGs (real vs source)`),
    h('span', { class: 'legend-item identity' }, 'identity: predicted = real'),
  );
  const element = h(
    'figure',
    { class: 'chart prediction-plot', 'data-testid': 'prediction-plot', 'aria-label': `${input.title}: ${G} genes, hover a point for its name` },
    h('style', {}, uplotCss),
    h('figcaption', {}, input.title),
    holder,
    legend,
  );
  return { element, destroy: () => plot.destroy() };
}
