// The embedding's drawing surface: a WebGL scatter (regl-scatterplot: wheel zoom, drag pan, hover
// events) of up to 100k+ cells, or — where WebGL is unavailable or runs on the CPU — the same on a
// 2-D canvas (embedding-canvas.ts), with the reason shown. Points arrive in data coordinates and are fitted into
// clip space here; colours arrive as one colour index per cell (embedding-colors.ts).
import createScatterplot, { createRenderer } from 'regl-scatterplot';
import { h, nextTask } from './dom.ts';
import type { ColorEncoding } from './embedding-colors.ts';
import { canvasSurface } from './embedding-canvas.ts';
import { toClipSpace } from './embedding-points.ts';

export interface ScatterSurface {
  readonly element: HTMLElement;
  readonly renderer: 'webgl' | 'canvas';
  /** Why WebGL is not used (canvas renderer only). */
  readonly fallbackReason?: string;
  /** Draws [n, 2] points (data coordinates) coloured by `colors`; `title` labels the picture. */
  draw(points: Float32Array, colors: ColorEncoding, title: string): Promise<void>;
  /** Recolours the drawn points. */
  recolor(colors: ColorEncoding): Promise<void>;
  /** Called with the hovered cell and its position (CSS px in `element`), or null when none is. */
  onHover(callback: (cell: number | null, x: number, y: number) => void): void;
  zoom(factor: number): void;
  resetView(): void;
  /** Releases the WebGL context. */
  dispose(): void;
}

type Scatterplot = ReturnType<typeof createScatterplot>;
type Renderer = ReturnType<typeof createRenderer>;

// What regl-scatterplot's renderer needs (its GL_EXTENSIONS): float textures it renders and blends into.
const requiredExtensions = ['OES_texture_float', 'OES_element_index_uint', 'WEBGL_color_buffer_float', 'EXT_float_blend'];

/** WebGL renderers that run on the CPU: compiling regl-scatterplot's shaders there holds the page for a second or more. */
const softwareRenderer = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** Why WebGL should not draw the embedding, or undefined when it should (a throwaway context is probed). */
function webglMissing(allowSoftware: boolean): string | undefined {
  const gl = document.createElement('canvas').getContext('webgl');
  if (!gl) return 'this browser gives no WebGL context (disabled, or no GPU driver)';
  try {
    const missing = requiredExtensions.filter((e) => !gl.getExtension(e));
    if (missing.length > 0) return `WebGL lacks ${missing.join(', ')}`;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    if (!allowSoftware && softwareRenderer.test(name)) return `WebGL here runs on the CPU (${name}), where setting it up would freeze the page`;
    return undefined;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}


/** 'auto': WebGL on a GPU, the 2-D canvas otherwise; 'webgl' also takes a software WebGL. */
export type ScatterRenderer = 'auto' | 'webgl' | 'canvas';

export function createScatterSurface(size = 480, renderer: ScatterRenderer = 'auto'): ScatterSurface {
  const missing = renderer === 'canvas' ? 'the 2-D canvas was asked for' : webglMissing(renderer === 'webgl');
  return missing ? canvasSurface(size, missing) : webglSurface(size);
}

function webglSurface(size: number): ScatterSurface {
  const canvas = h('canvas', { class: 'embedding-canvas', style: `width:${size}px;height:${size}px` });
  const element = h('div', { class: 'embedding-surface' }, canvas);
  let renderer: Renderer | undefined;
  let plot: Scatterplot | undefined;
  let starting: Promise<Scatterplot> | undefined;
  let disposed = false;
  let hover: (cell: number | null, x: number, y: number) => void = () => {};
  let drawn: { x: Float32Array; y: Float32Array } | undefined;
  // Set up at the first draw, a step per task (nextTask lets the page render between them): on a software GL (SwiftShader) each step compiles
  // shaders for a while, and one task doing all of them would hold up the page's frames.
  const start = async (): Promise<Scatterplot> => {
    await nextTask();
    renderer = createRenderer();
    await nextTask();
    if (disposed) throw new Error('the embedding was closed');
    const p = createScatterplot({
      renderer,
      canvas,
      width: size,
      height: size,
      backgroundColor: [0, 0, 0, 0],
      pointSize: 3,
      opacity: 0.8,
      pointColorHover: '#000000',
      spatialIndexUseWorker: false,
      lassoInitiatorParentElement: element,
      lassoLongPressIndicatorParentElement: element,
      actionKeyMap: {},
      colorBy: 'valueA',
    } as Parameters<typeof createScatterplot>[0]);
    p.subscribe('pointOver', (cell: number) => {
      const at = p.getScreenPosition(cell);
      if (at) hover(cell, at[0], at[1]);
    });
    p.subscribe('pointOut', () => hover(null, 0, 0));
    await nextTask();
    plot = p;
    return p;
  };
  const points = (colors: ColorEncoding) => ({ x: drawn!.x, y: drawn!.y, valueA: colors.index });
  return {
    element,
    renderer: 'webgl',
    async draw(xy, colors, title) {
      const p = await (starting ??= start());
      if (disposed) return;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', title);
      drawn = toClipSpace(xy);
      await p.set({ pointColor: [...colors.colors] });
      await p.draw(points(colors), { zDataType: 'categorical' });
      p.zoomToOrigin();
    },
    async recolor(colors) {
      if (!plot || !drawn) return;
      await plot.set({ pointColor: [...colors.colors] });
      // Same positions: the spatial index (for hover) is kept, not rebuilt.
      await plot.draw(points(colors), { zDataType: 'categorical', preventFilterReset: true, spatialIndex: plot.get('spatialIndex') });
    },
    onHover(callback) {
      hover = callback;
    },
    zoom(factor) {
      if (!plot) return;
      const camera = plot.get('camera');
      void plot.zoomToLocation([...camera.target], camera.distance[0] / factor, { transition: false });
    },
    resetView() {
      void plot?.zoomToOrigin();
    },
    dispose() {
      disposed = true;
      if (!renderer) return;
      // The renderer forgets its canvas when destroyed; the context is lost at once, not at GC.
      const gl = renderer.canvas.getContext('webgl');
      plot?.destroy();
      if (!renderer.isDestroyed) renderer.destroy();
      gl?.getExtension('WEBGL_lose_context')?.loseContext();
    },
  };
}
