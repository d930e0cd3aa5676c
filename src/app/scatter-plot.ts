// A canvas scatter plot: 2-D points coloured by a category (the latent embedding where WebGL is
// unavailable) or plain (predicted vs real means, with the identity line).
import { h } from './dom.ts';

const palette = ['#2f7d6d', '#d97a2b', '#4f6fb5', '#b5475f', '#7a5cb5', '#5b8c2a', '#b58f2a', '#2a9bb5', '#8c5a3c', '#6b6b6b'];

export interface ScatterOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Draw y = x (for predicted vs real). */
  readonly identity?: boolean;
  readonly size?: number;
}

export interface Coloring {
  /** A code per point (negative: missing, grey). */
  readonly codes: ArrayLike<number>;
  /** Named in the legend below the plot (with the default palette). */
  readonly categories: readonly string[];
  /** The colour of each code, instead of the palette (embedding-colors.ts; the caller draws the legend). */
  readonly colors?: readonly string[];
}

export function scatterPlot(points: Float32Array | Float64Array, options: ScatterOptions, coloring?: Coloring): HTMLElement {
  const size = options.size ?? 420;
  const canvas = h('canvas', { width: size * devicePixelRatio, height: size * devicePixelRatio, style: `width:${size}px;height:${size}px`, role: 'img', 'aria-label': options.title });
  const legend = h('div', { class: 'legend' }, ...(coloring?.categories ?? []).map((name, i) => h('span', { class: 'legend-item', style: `--swatch:${palette[i % palette.length]}` }, name)));
  const n = points.length / 2;
  const ctx = canvas.getContext('2d');
  if (ctx && n > 0) {
    const dpr = devicePixelRatio;
    const pad = 36 * dpr;
    let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
    for (let i = 0; i < n; i++) {
      xMin = Math.min(xMin, points[2 * i]);
      xMax = Math.max(xMax, points[2 * i]);
      yMin = Math.min(yMin, points[2 * i + 1]);
      yMax = Math.max(yMax, points[2 * i + 1]);
    }
    if (options.identity) {
      xMin = yMin = Math.min(xMin, yMin);
      xMax = yMax = Math.max(xMax, yMax);
    }
    const spanX = xMax - xMin || 1;
    const spanY = yMax - yMin || 1;
    const W = canvas.width - 2 * pad;
    const H = canvas.height - 2 * pad;
    const px = (x: number) => pad + ((x - xMin) / spanX) * W;
    const py = (y: number) => canvas.height - pad - ((y - yMin) / spanY) * H;
    ctx.strokeStyle = '#8888';
    ctx.strokeRect(pad, pad, W, H);
    if (options.identity) {
      ctx.beginPath();
      ctx.moveTo(px(xMin), py(yMin));
      ctx.lineTo(px(xMax), py(yMax));
      ctx.stroke();
    }
    ctx.fillStyle = '#777';
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText(options.xLabel, pad, canvas.height - 10 * dpr);
    ctx.save();
    ctx.translate(12 * dpr, canvas.height - pad);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(options.yLabel, 0, 0);
    ctx.restore();
    const radius = (n > 5000 ? 1.2 : 2) * dpr;
    ctx.globalAlpha = n > 5000 ? 0.5 : 0.75;
    for (let i = 0; i < n; i++) {
      const code = coloring ? coloring.codes[i] : 0;
      ctx.fillStyle = code < 0 ? '#999' : (coloring?.colors?.[code] ?? palette[code % palette.length]);
      ctx.beginPath();
      ctx.arc(px(points[2 * i]), py(points[2 * i + 1]), radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  return h('figure', { class: 'chart scatter' }, h('figcaption', {}, options.title), canvas, legend);
}
