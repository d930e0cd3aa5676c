// The uPlot loss chart in a shadow root, as <trvae-trainer> mounts it: uPlot's stylesheet reaches
// the shadow root, series appear in the legend under their (weighted) labels, the chart follows its
// container's width, and redraws stay short.
import { afterEach, expect, it } from 'vitest';
import { createLossChart, formatTick } from './loss-chart.ts';

const frames = (n: number) => new Promise<void>((resolve) => {
  let i = 0;
  const tick = () => (++i >= n ? resolve() : requestAnimationFrame(tick));
  requestAnimationFrame(tick);
});
const until = async (ok: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

const hosts: HTMLElement[] = [];
afterEach(() => hosts.splice(0).forEach((h) => h.remove()));

it('draws in a shadow root with uPlot\'s styles, labels its series, follows the container width', async () => {
  const host = document.createElement('div');
  hosts.push(host);
  host.style.width = '600px';
  document.body.append(host);
  const shadow = host.attachShadow({ mode: 'open' });
  const chart = createLossChart({ title: 'loss per step', xLabel: 'step', logY: true, minIntervalMs: 0 });
  shadow.append(chart.element);
  // Declared before any point: axes and legend are built empty, the points come later.
  chart.declare(['total', 'η·reconstruction', 'α·KL', 'β·MMD']);
  await until(() => !!shadow.querySelector('.uplot canvas'), 'the empty chart');
  const empty = shadow.querySelector<HTMLElement>('.chart-empty')!;
  expect(empty.hidden).toBe(false);
  for (let step = 1; step <= 400; step++) {
    chart.add(step, { total: 400 / Math.sqrt(step), 'η·reconstruction': 380 / Math.sqrt(step), 'α·KL': 5 + 1 / step, 'β·MMD': step % 7 === 0 ? 0 : 1e-3 * step });
  }
  await until(() => !!shadow.querySelector('.uplot canvas'), 'the chart');
  await until(() => empty.hidden === true, 'the empty note to go');
  const legend = shadow.querySelector('.u-legend')!;
  for (const label of ['total', 'η·reconstruction', 'α·KL', 'β·MMD']) expect(legend.textContent).toContain(label);
  // uPlot's own CSS is adopted by the shadow root (its legend is a table styled by .u-legend rules).
  expect(shadow.adoptedStyleSheets.some((s) => [...s.cssRules].some((r) => r.cssText.includes('.u-legend')))).toBe(true);
  expect(getComputedStyle(shadow.querySelector('.u-over')!).position).toBe('absolute');
  const box = shadow.querySelector<HTMLElement>('.plot')!;
  const width = () => shadow.querySelector('.uplot canvas')!.getBoundingClientRect().width;
  expect(Math.abs(width() - box.clientWidth)).toBeLessThan(2);
  host.style.width = '400px';
  await until(() => box.clientWidth < 400 && Math.abs(width() - box.clientWidth) < 2, 'the resize');
  // Appending points redraws within one frame's budget (a redraw of 1,600 points).
  chart.add(401, { total: 20, 'η·reconstruction': 19, 'α·KL': 5, 'β·MMD': 0.4 });
  const started = performance.now();
  await frames(3);
  const elapsed = performance.now() - started;
  console.log(`3 frames with one redraw: ${elapsed.toFixed(0)} ms`);
  chart.destroy();
  expect(elapsed).toBeLessThan(1000);
});

it('formats ticks as people read them', () => {
  expect([0.05, 12.5, 1200, 35_000, 1e-4, 2.5e-5, 0].map(formatTick)).toEqual(['0.05', '12.5', '1,200', '35K', '1e-4', '2.5e-5', '0']);
  expect(formatTick(null)).toBe('');
});
