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

/** Points in clip space bucketed on a `cells` × `cells` grid over [-1, 1]², for hover lookups. */
export interface PointGrid {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly cells: number;
  /** Bucket b's points are order[start[b] .. start[b + 1]). */
  readonly start: Int32Array;
  readonly order: Int32Array;
}

const bucketOf = (v: number, cells: number) => Math.min(cells - 1, Math.max(0, Math.floor(((v + 1) / 2) * cells)));

/** Indices grouped by key (a counting sort): key k's indices, ascending, are order[start[k] .. start[k + 1]). */
export function groupByKey(keys: ArrayLike<number>, nKeys: number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(nKeys + 1);
  for (let i = 0; i < keys.length; i++) start[keys[i] + 1]++;
  for (let k = 0; k < nKeys; k++) start[k + 1] += start[k];
  const fill = start.slice(0, -1);
  const order = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) order[fill[keys[i]]++] = i;
  return { start, order };
}

export function pointGrid(points: { x: Float32Array; y: Float32Array }, cells = 64): PointGrid {
  const { x, y } = points;
  const bucket = Int32Array.from(x, (v, i) => bucketOf(y[i], cells) * cells + bucketOf(v, cells));
  return { x, y, cells, ...groupByKey(bucket, cells * cells) };
}

/** The point nearest (cx, cy) within `radius` (clip units), or null. */
export function nearestPoint(grid: PointGrid, cx: number, cy: number, radius: number): number | null {
  const { x, y, cells, start, order } = grid;
  let best: number | null = null;
  let bestDistance = radius * radius;
  for (let by = bucketOf(cy - radius, cells); by <= bucketOf(cy + radius, cells); by++) {
    for (let bx = bucketOf(cx - radius, cells); bx <= bucketOf(cx + radius, cells); bx++) {
      const b = by * cells + bx;
      for (let k = start[b]; k < start[b + 1]; k++) {
        const i = order[k];
        const d = (x[i] - cx) ** 2 + (y[i] - cy) ** 2;
        if (d <= bestDistance) [best, bestDistance] = [i, d];
      }
    }
  }
  return best;
}
