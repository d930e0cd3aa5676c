// The embedding drawn on a 2-D canvas, where WebGL is missing or runs on the CPU: wheel zoom around
// the pointer, drag pan, zoom buttons and hover (a grid index finds the nearest cell), redrawn at
// most once per frame, one fill style per colour.
import { h, nextTask } from './dom.ts';
import type { ColorEncoding } from './embedding-colors.ts';
import { groupByKey, nearestPoint, pointGrid, toClipSpace, type PointGrid } from './embedding-points.ts';
import type { ScatterSurface } from './embedding-scatter.ts';

const hoverRadiusPx = 6;

export function canvasSurface(size: number, reason: string): ScatterSurface {
  const ratio = devicePixelRatio;
  const canvas = h('canvas', { class: 'embedding-canvas', width: size * ratio, height: size * ratio, style: `width:${size}px;height:${size}px`, role: 'img', tabindex: '-1' });
  const element = h('div', { class: 'embedding-surface' }, canvas);
  const ctx = canvas.getContext('2d');
  let drawn: PointGrid | undefined;
  let colors: ColorEncoding | undefined;
  let groups: ReturnType<typeof groupByKey> | undefined;
  // The view: clip-space point at the canvas centre, and the zoom.
  let view = { x: 0, y: 0, scale: 1 };
  let hovered: number | null = null;
  let hover: (cell: number | null, x: number, y: number) => void = () => {};
  let frame = 0;

  /** Clip space → canvas pixels, under the view. */
  const toPixel = (cx: number, cy: number): [number, number] => [
    (((cx - view.x) * view.scale + 1) / 2) * canvas.width,
    ((1 - (cy - view.y) * view.scale) / 2) * canvas.height,
  ];
  /** CSS px inside the canvas → clip space. */
  const toClip = (px: number, py: number): [number, number] => [
    ((px * ratio) / canvas.width * 2 - 1) / view.scale + view.x,
    (1 - (py * ratio) / canvas.height * 2) / view.scale + view.y,
  ];

  const paint = () => {
    // a direct paint (draw, recolor) makes a pending frame's paint redundant
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (!ctx || !drawn || !colors || !groups) return;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const side = Math.max(2, Math.round(ratio * (drawn.x.length > 20_000 ? 2 : 3)));
    ctx.globalAlpha = 0.8;
    for (let c = 0; c < colors.colors.length; c++) {
      ctx.fillStyle = colors.colors[c];
      for (let k = groups.start[c]; k < groups.start[c + 1]; k++) {
        const i = groups.order[k];
        const [px, py] = toPixel(drawn.x[i], drawn.y[i]);
        if (px < -side || py < -side || px > canvas.width + side || py > canvas.height + side) continue;
        ctx.fillRect(px - side / 2, py - side / 2, side, side);
      }
    }
    if (hovered !== null) {
      const [px, py] = toPixel(drawn.x[hovered], drawn.y[hovered]);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = '#000';
      ctx.lineWidth = ratio;
      ctx.strokeRect(px - side, py - side, 2 * side, 2 * side);
    }
  };
  const repaint = () => {
    if (!frame) frame = requestAnimationFrame(paint);
  };

  const zoomAt = (factor: number, px: number, py: number) => {
    const [bx, by] = toClip(px, py);
    view = { ...view, scale: Math.min(200, Math.max(0.5, view.scale * factor)) };
    const [ax, ay] = toClip(px, py);
    view = { ...view, x: view.x + bx - ax, y: view.y + by - ay };
    repaint();
  };
  const setHovered = (cell: number | null) => {
    if (cell === hovered) return;
    hovered = cell;
    repaint();
    if (cell === null || !drawn) return hover(null, 0, 0);
    const [px, py] = toPixel(drawn.x[cell], drawn.y[cell]);
    hover(cell, px / ratio, py / ratio);
  };

  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoomAt(Math.exp(-e.deltaY / 500), e.offsetX, e.offsetY);
  }, { passive: false });
  let dragging: { x: number; y: number } | undefined;
  canvas.addEventListener('pointerdown', (e) => {
    dragging = { x: e.offsetX, y: e.offsetY };
    // A drag that leaves the canvas still pans (no capture for a pointer the browser does not know).
    if (e.isTrusted) canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointerup', () => (dragging = undefined));
  canvas.addEventListener('pointermove', (e) => {
    if (dragging) {
      view = { ...view, x: view.x - ((e.offsetX - dragging.x) * ratio * 2) / canvas.width / view.scale, y: view.y + ((e.offsetY - dragging.y) * ratio * 2) / canvas.height / view.scale };
      dragging = { x: e.offsetX, y: e.offsetY };
      repaint();
      return;
    }
    if (!drawn) return;
    const [cx, cy] = toClip(e.offsetX, e.offsetY);
    setHovered(nearestPoint(drawn, cx, cy, (hoverRadiusPx * ratio * 2) / canvas.width / view.scale));
  });
  canvas.addEventListener('pointerleave', () => setHovered(null));

  return {
    element,
    renderer: 'canvas',
    fallbackReason: reason,
    async draw(xy, encoding, title) {
      canvas.setAttribute('aria-label', title);
      const grid = pointGrid(toClipSpace(xy));
      const byColor = groupByKey(encoding.index, encoding.colors.length);
      // the painting of every point in a task of its own, after the indexing above
      await nextTask();
      drawn = grid;
      colors = encoding;
      groups = byColor;
      view = { x: 0, y: 0, scale: 1 };
      hovered = null;
      paint();
    },
    async recolor(encoding) {
      colors = encoding;
      groups = groupByKey(encoding.index, encoding.colors.length);
      paint();
    },
    onHover(callback) {
      hover = callback;
    },
    zoom(factor) {
      zoomAt(factor, canvas.width / ratio / 2, canvas.height / ratio / 2);
    },
    resetView() {
      view = { x: 0, y: 0, scale: 1 };
      repaint();
    },
    dispose() {
      cancelAnimationFrame(frame);
    },
  };
}
