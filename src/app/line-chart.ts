// A small canvas line chart for live training curves: several named series, log or linear y,
// redrawn on demand (the caller throttles). No dependency: a chart library would outweigh the app.
import { h } from './dom.ts';

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: { x: number; y: number }[];
}

export interface LineChart {
  readonly element: HTMLElement;
  add(series: string, x: number, y: number): void;
  clear(): void;
  draw(): void;
}

const palette = ['#2f7d6d', '#d97a2b', '#4f6fb5', '#b5475f', '#7a5cb5', '#5b8c2a'];

export function createLineChart(options: { title: string; xLabel: string; logY?: boolean; height?: number }): LineChart {
  const canvas = h('canvas', { height: options.height ?? 220, 'aria-label': options.title, role: 'img' });
  const legend = h('div', { class: 'legend' });
  const element = h('figure', { class: 'chart' }, h('figcaption', {}, options.title), canvas, legend);
  const series = new Map<string, Series>();

  const transform = (y: number): number => (options.logY ? Math.log10(Math.max(y, 1e-12)) : y);

  function draw(): void {
    const width = (canvas.width = Math.max(200, canvas.clientWidth * devicePixelRatio || 600));
    const height = canvas.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    const all = [...series.values()].flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
    if (all.length === 0) return;
    const pad = { left: 56, right: 10, top: 8, bottom: 24 };
    const xMin = Math.min(...all.map((p) => p.x));
    const xMax = Math.max(...all.map((p) => p.x), xMin + 1);
    const ys = all.map((p) => transform(p.y));
    let yMin = Math.min(...ys);
    let yMax = Math.max(...ys);
    if (yMax - yMin < 1e-9) {
      yMin -= 0.5;
      yMax += 0.5;
    }
    const px = (x: number) => pad.left + ((x - xMin) / (xMax - xMin)) * (width - pad.left - pad.right);
    const py = (y: number) => height - pad.bottom - ((transform(y) - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);
    const style = getComputedStyle(element);
    ctx.strokeStyle = style.getPropertyValue('--line') || '#ccc';
    ctx.fillStyle = style.color || '#333';
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (let i = 0; i <= 4; i++) {
      const t = yMin + ((yMax - yMin) * i) / 4;
      const y = height - pad.bottom - (i / 4) * (height - pad.top - pad.bottom);
      ctx.beginPath();
      ctx.moveTo(pad.left, y);
      ctx.lineTo(width - pad.right, y);
      ctx.stroke();
      const label = options.logY ? `1e${t.toFixed(1)}` : t.toPrecision(3);
      ctx.fillText(label, 4, y + 4);
    }
    ctx.fillText(`${options.xLabel} ${Math.round(xMax)}`, width - pad.right - 90 * devicePixelRatio, height - 6);
    for (const s of series.values()) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      let started = false;
      for (const p of s.points) {
        if (!Number.isFinite(p.y)) continue;
        if (started) ctx.lineTo(px(p.x), py(p.y));
        else ctx.moveTo(px(p.x), py(p.y));
        started = true;
      }
      ctx.stroke();
    }
  }

  return {
    element,
    add(name, x, y) {
      let s = series.get(name);
      if (!s) {
        s = { name, color: palette[series.size % palette.length], points: [] };
        series.set(name, s);
        legend.append(h('span', { class: 'legend-item', style: `--swatch:${s.color}` }, name));
      }
      s.points.push({ x, y });
    },
    clear() {
      series.clear();
      legend.replaceChildren();
      draw();
    },
    draw,
  };
}
