// Fits 2-D points into WebGL clip space ([-1, 1]², regl-scatterplot's coordinates): centred, both
// axes scaled by the larger span (the picture keeps its aspect), with a margin for the point size.

const margin = 0.94;

/** Interleaved [n, 2] data coordinates → separate x and y in clip space. */
export function toClipSpace(xy: Float32Array): { x: Float32Array; y: Float32Array } {
  const n = xy.length >> 1;
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const px = xy[2 * i], py = xy[2 * i + 1];
    if (px < xMin) xMin = px;
    if (px > xMax) xMax = px;
    if (py < yMin) yMin = py;
    if (py > yMax) yMax = py;
  }
  const half = Math.max(xMax - xMin, yMax - yMin) / 2;
  const scale = half > 0 ? margin / half : 1;
  const cx = (xMin + xMax) / 2, cy = (yMin + yMax) / 2;
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (xy[2 * i] - cx) * scale;
    y[i] = (xy[2 * i + 1] - cy) * scale;
  }
  return { x, y };
}
